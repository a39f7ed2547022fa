package bench

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/simd"
)

func genFiles(t *testing.T, o GenOptions) (base, query []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateDataset(dir, o, 5); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(dir, BaseFile))
	if err != nil {
		t.Fatal(err)
	}
	query, err = os.ReadFile(filepath.Join(dir, QueryFile))
	if err != nil {
		t.Fatal(err)
	}
	return base, query
}

func TestGenerateDeterministic(t *testing.T) {
	o := GenOptions{N: 500, Queries: 20, Dim: 24, Clusters: 7, Seed: 42}
	b1, q1 := genFiles(t, o)
	b2, q2 := genFiles(t, o)
	if !bytes.Equal(b1, b2) || !bytes.Equal(q1, q2) {
		t.Fatal("same seed gave different bytes")
	}
	if len(b1) != 500*(24+1)*4 || len(q1) != 20*(24+1)*4 {
		t.Fatalf("file sizes %d, %d", len(b1), len(q1))
	}
	o.Seed = 43
	b3, q3 := genFiles(t, o)
	if bytes.Equal(b1, b3) || bytes.Equal(q1, q3) {
		t.Fatal("different seeds gave the same bytes")
	}
}

// TestGenerateShape checks the mixture: rows read back with the TEXMEX
// reader, cosine rows are unit length, and points lie around a few centres
// with the power-law spectrum's variance (trace 6.25·Σ 1/i times scale²).
func TestGenerateShape(t *testing.T) {
	for _, m := range []Metric{L2, Cosine} {
		t.Run(string(m), func(t *testing.T) {
			dir := t.TempDir()
			o := GenOptions{N: 3000, Queries: 50, Dim: 16, Clusters: 1, Seed: 7, Metric: m}
			if err := GenerateDataset(dir, o, 10); err != nil {
				t.Fatal(err)
			}
			base, dim, err := ReadFvecs(filepath.Join(dir, BaseFile))
			if err != nil || dim != 16 || len(base) != 3000*16 {
				t.Fatalf("read back: dim %d, %d floats, %v", dim, len(base), err)
			}
			if m == Cosine {
				for i := 0; i < len(base); i += dim {
					if n := simd.Dot(base[i:i+dim], base[i:i+dim]); math.Abs(float64(n)-1) > 1e-4 {
						t.Fatalf("row %d has squared norm %v", i/dim, n)
					}
				}
				return
			}
			mean := make([]float64, dim)
			for i, x := range base {
				mean[i%dim] += float64(x) / 3000
			}
			trace := 0.0
			for i, x := range base {
				d := float64(x) - mean[i%dim]
				trace += d * d / 3000
			}
			want := 0.0
			for i := 1; i <= dim; i++ {
				want += 6.25 / float64(i)
			}
			// one cluster with scale in [0.7, 1.3]: trace within want·[0.49, 1.69]
			if trace < 0.45*want || trace > 1.75*want {
				t.Fatalf("total variance %.2f, want about %.2f", trace, want)
			}
		})
	}
}

func TestRandomRotationOrthogonal(t *testing.T) {
	o := GenOptions{N: 1, Dim: 33, Seed: 1}.withDefaults()
	m := newMixture(o)
	r := randomRotation(m.rng, 33)
	for i := range 33 {
		for j := range 33 {
			d := simd.Dot(r[i*33:(i+1)*33], r[j*33:(j+1)*33])
			want := float32(0)
			if i == j {
				want = 1
			}
			if math.Abs(float64(d-want)) > 1e-5 {
				t.Fatalf("row %d · row %d = %v", i, j, d)
			}
		}
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	for _, o := range []GenOptions{{N: 0, Dim: 4}, {N: 4, Dim: 0}, {N: 4, Dim: 4, Queries: -1}} {
		if _, _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) accepted", o)
		}
	}
}

// TestWriteReadRoundTrip checks the writers against the HNSW engineer's
// TEXMEX readers.
func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := []float32{1, -2.5, 3, float32(math.Pi), 0, 1e-30}
	if err := WriteFvecs(filepath.Join(dir, "a.fvecs"), f, 3); err != nil {
		t.Fatal(err)
	}
	got, dim, err := ReadFvecs(filepath.Join(dir, "a.fvecs"))
	if err != nil || dim != 3 || len(got) != 6 {
		t.Fatalf("fvecs: %v %d %v", got, dim, err)
	}
	for i := range f {
		if got[i] != f[i] {
			t.Fatalf("fvecs[%d] = %v, want %v", i, got[i], f[i])
		}
	}
	iv := []int32{5, -1, 7, 1 << 30}
	if err := WriteIvecs(filepath.Join(dir, "a.ivecs"), iv, 2); err != nil {
		t.Fatal(err)
	}
	gi, dim, err := ReadIvecs(filepath.Join(dir, "a.ivecs"))
	if err != nil || dim != 2 || len(gi) != 4 || gi[3] != 1<<30 || gi[1] != -1 {
		t.Fatalf("ivecs: %v %d %v", gi, dim, err)
	}
	if err := WriteFvecs(filepath.Join(dir, "b.fvecs"), f, 4); err == nil {
		t.Fatal("WriteFvecs accepted 6 floats in rows of 4")
	}
}
