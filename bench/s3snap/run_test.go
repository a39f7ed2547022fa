package s3snap

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/bench"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/point"
)

// smallStorage writes a closed storage holding the collection "bench" of n
// sealed points of dimension dim.
func smallStorage(t *testing.T, n, dim int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "storage")
	st, err := engine.Open(engine.Options{Dir: dir, Logger: quiet(), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: dim, Distance: point.Cosine}}}
	if err := st.CreateCollection("bench", req); err != nil {
		t.Fatal(err)
	}
	c, _ := st.Collection("bench")
	if _, err := c.Upsert(context.Background(), randomPoints(rand.New(rand.NewPCG(1, 1)), 0, n, dim), true); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunOnVersitygw runs the whole benchmark, small, on a versitygw it
// starts itself, and checks the shape of what it reports (never a time).
func TestRunOnVersitygw(t *testing.T) {
	bin, err := s3test.Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	src := smallStorage(t, 3000, 16)
	res, err := Run(context.Background(), bench.S3Options{Storage: src, Collection: "bench", VersityGW: bin,
		WorkDir: t.TempDir(), Rounds: 2, Restores: 2, Series: 2, Churn: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Points != 3000 || res.Dim != 16 || res.ArchiveBytes <= 0 || len(res.Rounds) != 2 || len(res.Series) != 3 || len(res.Restores) != 2 {
		t.Fatalf("result %+v", res)
	}
	first := res.Series[0]
	for _, p := range res.Series[1:] {
		if p.BytesPut <= 0 || p.ObjectsPut <= 0 || p.Segments != first.Segments+p.Index {
			t.Errorf("series point %+v after first %+v", p, first)
		}
	}
	if res.RestoreBytes <= first.BytesPut/2 {
		t.Errorf("restore of %d bytes, first snapshot put %d", res.RestoreBytes, first.BytesPut)
	}
	for _, x := range res.Restores {
		if x.RestoreS <= 0 || x.DownloadS <= 0 {
			t.Errorf("restore %+v", x)
		}
	}
	if got := res.Series[len(res.Series)-1].Points - first.Points; got != 2*300 {
		t.Errorf("the series added %d points, want 600", got)
	}
}
