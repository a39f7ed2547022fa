package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

func f32p(v float32) *float32 { return &v }
func f64p(v float64) *float64 { return &v }
func boolp(v bool) *bool      { return &v }

// quantReq is a 64-d Cosine collection with scalar int8 at quantile 0.99.
func quantReq() CreateCollection {
	r := simpleReq(64, point.Cosine)
	r.QuantizationConfig = &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8", Quantile: f32p(0.99), AlwaysRam: boolp(true)}}
	return r
}

// fillQuant upserts n random points (seed 1) and seals them into a segment.
func fillQuant(t *testing.T, c *Collection, n, dim int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]PointStruct, n)
	for i := range pts {
		pts[i] = PointStruct{ID: point.NumID(uint64(i + 1)), Vector: Vectors{"": randVec(rng, dim)}}
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
}

func quantSearch(t *testing.T, c *Collection, q []float32, params *SearchParams) []ScoredPoint {
	t.Helper()
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// quantFiles lists the quantized files under the collection's folder.
func quantFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".sq8") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestQuantizedSearch: 5,000 × 64-d points (seed 1) sealed into a quantized
// segment, searched by exact scan of the codes (no graph) and by the HNSW
// graph walked on the codes (after the optimizer built one); 50 queries.
// Rescoring with oversampling 2 keeps recall@10 ≥ 0.95 against exact search
// (≥ 0.85 with the default oversampling 1), ignore:true equals the exact
// search of the same points in a collection without quantization (built
// alike: same graph), and rescore:false returns the int8 estimates (scores differ from
// the exact ones), which shows the codes are searched.
func TestQuantizedSearch(t *testing.T) {
	const n, dim = 5000, 64
	t.Run("scan", func(t *testing.T) {
		dir := t.TempDir()
		st := openTest(t, dir, nil)
		defer st.Close()
		c := mustCreate(t, st, "c", quantReq())
		fillQuant(t, c, n, dim)
		if f := quantFiles(t, dir); len(f) != 1 {
			t.Fatalf("quantized files after seal: %v", f)
		}
		plain := mustCreate(t, st, "plain", simpleReq(dim, point.Cosine))
		fillQuant(t, plain, n, dim)
		checkQuantizedSearch(t, c, plain, dim)
	})
	t.Run("graph", func(t *testing.T) {
		dir := t.TempDir()
		st := openTest(t, dir, nil)
		req := quantReq()
		req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
		req.HnswConfig = &HnswConfigDiff{MaxIndexingThreads: intp(1)}
		fillQuant(t, mustCreate(t, st, "c", req), n, dim)
		req.QuantizationConfig = nil
		fillQuant(t, mustCreate(t, st, "plain", req), n, dim)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		st = openTest(t, dir, nil)
		defer st.Close()
		c, err := st.Collection("c")
		if err != nil {
			t.Fatal(err)
		}
		plain, err := st.Collection("plain")
		if err != nil {
			t.Fatal(err)
		}
		f := quantFiles(t, dir)
		if len(f) != 1 {
			t.Fatalf("quantized files: %v", f)
		}
		if g, _ := filepath.Glob(filepath.Join(filepath.Dir(f[0]), "graph*")); len(g) != 1 {
			t.Fatalf("no graph beside %s", f[0])
		}
		checkQuantizedSearch(t, c, plain, dim)
	})
}

func checkQuantizedSearch(t *testing.T, c, plain *Collection, dim int) {
	t.Helper()
	const queries = 50
	rng := rand.New(rand.NewPCG(7, 7))
	recall := map[float64]int{}
	estimated := false
	for range queries {
		q := randVec(rng, dim)
		exact := quantSearch(t, c, q, &SearchParams{Exact: true})
		if ign := quantSearch(t, c, q, &SearchParams{Quantization: &QuantizationSearchParams{Ignore: true}}); jsonOf(ign) != jsonOf(quantSearch(t, plain, q, nil)) {
			t.Fatalf("ignore:true differs from the unquantized search:\n%s\n%s", jsonOf(ign), jsonOf(quantSearch(t, plain, q, nil)))
		}
		for _, over := range []float64{1, 2} {
			got := quantSearch(t, c, q, &SearchParams{Quantization: &QuantizationSearchParams{Oversampling: f64p(over)}})
			for _, r := range got {
				if i := slices.IndexFunc(exact, func(e ScoredPoint) bool { return e.ID == r.ID }); i >= 0 {
					recall[over]++
					if exact[i].Score != r.Score {
						t.Fatalf("rescored score %g, exact %g", r.Score, exact[i].Score)
					}
				}
			}
		}
		raw := quantSearch(t, c, q, &SearchParams{Quantization: &QuantizationSearchParams{Rescore: boolp(false)}})
		rescored := quantSearch(t, c, q, nil)
		for _, r := range raw {
			for _, e := range rescored {
				if e.ID == r.ID && e.Score != r.Score {
					estimated = true
				}
			}
		}
	}
	for over, floor := range map[float64]float64{1: 0.85, 2: 0.95} {
		r := float64(recall[over]) / (queries * 10)
		t.Logf("oversampling %g: recall@10 %.3f", over, r)
		if r < floor {
			t.Errorf("oversampling %g: recall@10 %.3f < %.2f", over, r, floor)
		}
	}
	if !estimated {
		t.Error("rescore:false returned exact scores: the quantized codes were not searched")
	}
}

// TestQuantizedRestartAndRestore: the quantized file survives a restart
// unchanged (not rebuilt) and a pinned-and-staged restore carries it.
func TestQuantizedRestartAndRestore(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	c := mustCreate(t, st, "c", quantReq())
	fillQuant(t, c, 500, 64)
	files := quantFiles(t, filepath.Join(dir))
	if len(files) != 1 {
		t.Fatalf("quantized files: %v", files)
	}
	before, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	fi0, _ := os.Stat(files[0])
	q := randVec(rand.New(rand.NewPCG(3, 3)), 64)
	raw := &SearchParams{Quantization: &QuantizationSearchParams{Rescore: boolp(false)}}
	want := jsonOf(quantSearch(t, c, q, raw))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err = st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(quantSearch(t, c, q, raw)); got != want {
		t.Fatalf("after restart: %s, want %s", got, want)
	}
	after, err := os.ReadFile(files[0])
	fi1, _ := os.Stat(files[0])
	if err != nil || !bytes.Equal(before, after) || !os.SameFile(fi0, fi1) {
		t.Fatalf("quantized file changed or rebuilt on restart (err %v)", err)
	}
	p, err := c.Pin()
	if err != nil {
		t.Fatal(err)
	}
	stage := filepath.Join(dir, "tmp-d")
	err = stagePin(p, stage, "")
	p.Release()
	if err != nil {
		t.Fatal(err)
	}
	if len(quantFiles(t, stage)) != 1 {
		t.Fatal("the pinned snapshot lacks the quantized file")
	}
	if err := st.RestoreCollection("d", stage, nil); err != nil {
		t.Fatal(err)
	}
	d, err := st.Collection("d")
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(quantSearch(t, d, q, raw)); got != want {
		t.Fatalf("restored: %s, want %s", got, want)
	}
}

// TestQuantizationConfig: create accepts scalar int8 (collection level and
// per vector) and info shows it as Qdrant does (null when unset); binary,
// product, memory, a bad type or quantile and every PATCH change are refused.
func TestQuantizationConfig(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	plain := mustCreate(t, st, "plain", simpleReq(4, point.Dot))
	if b, _ := json.Marshal(plain.Info()); !strings.Contains(string(b), `"quantization_config":null`) {
		t.Fatalf("unset: %s", b)
	}
	req := CreateCollection{Vectors: VectorsConfig{
		"a": {Size: 4, Distance: point.Dot, QuantizationConfig: &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8"}}},
		"b": {Size: 4, Distance: point.Euclid}}}
	req.QuantizationConfig = &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8", Quantile: f32p(0.95)}}
	c := mustCreate(t, st, "q", req)
	b, _ := json.Marshal(c.Info())
	for _, want := range []string{`"quantization_config":{"scalar":{"type":"int8","quantile":0.95}}`,
		`"a":{"size":4,"distance":"Dot","quantization_config":{"scalar":{"type":"int8"}}}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("info lacks %s: %s", want, b)
		}
	}
	ok := []string{`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"scalar":{"type":"int8","quantile":0.99,"always_ram":true}}}`,
		`{"vectors":{"v":{"size":4,"distance":"Dot","quantization_config":{"scalar":{"type":"int8"}}}}}`,
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":null}`}
	for _, body := range ok {
		if err := CheckCreateCollection([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	bad := map[string]string{
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"binary":{"always_ram":true}}}`:          "binary quantization is not supported",
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"product":{"compression":"x16"}}}`:       "product quantization is not supported",
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"scalar":{"type":"int8","memory":"x"}}}`: "memory placement",
		`{"vectors":{"size":4,"distance":"Dot"},"quantization_config":{"other":{}}}`:                            "unknown variant",
	}
	for body, want := range bad {
		if err := CheckCreateCollection([]byte(body)); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "quantization_config: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	if err := CheckCreateCollection([]byte(`{"vectors":{"v":{"size":4,"distance":"Dot","quantization_config":{"binary":{}}}}}`)); err == nil ||
		!strings.Contains(err.Error(), "vectors.v.quantization_config: binary quantization is not supported") {
		t.Errorf("per-vector binary: %v", err)
	}
	for _, q := range []*QuantizationConfig{{Scalar: &ScalarQuantization{Type: "int4"}},
		{Scalar: &ScalarQuantization{Type: "int8", Quantile: f32p(0.3)}}, {}} {
		r := simpleReq(4, point.Dot)
		r.QuantizationConfig = q
		if err := st.CreateCollection("bad", r); err == nil || st.CollectionExists("bad") {
			t.Errorf("create with %s: %v", jsonOf(q), err)
		}
	}
	for _, body := range []string{`{"quantization_config":{"scalar":{"type":"int8"}}}`,
		`{"vectors":{"":{"quantization_config":{"scalar":{"type":"int8"}}}}}`} {
		if err := CheckCollectionUpdate([]byte(body)); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "changing quantization_config") {
			t.Errorf("PATCH %s: %v", body, err)
		}
	}
	if _, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "a", Vector: []float32{1, 0, 0, 0}}, Limit: 1,
		Params: &SearchParams{Quantization: &QuantizationSearchParams{Oversampling: f64p(0.5)}}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("oversampling 0.5: %v", err)
	}
}

// TestQuantizedFilter: a filtered search of a quantized segment, through
// the codes' scan (a selective filter listed by its index) and through the
// full scan, returns only matching points, with exact scores, and recall@10
// against the exact filtered search of at least 0.95 with oversampling 2;
// a score_threshold applies to the rescored scores.
func TestQuantizedFilter(t *testing.T) {
	const n, dim = 3000, 32
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	r := simpleReq(dim, point.Euclid)
	r.QuantizationConfig = &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8"}}
	c := mustCreate(t, st, "c", r)
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]PointStruct, n)
	for i := range pts {
		pts[i] = PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": randVec(rng, dim)}, Payload: pl(t, `{"g":`+jsonOf(i%50)+`}`)}
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	var schema payload.FieldSchema
	if err := schema.UnmarshalJSON([]byte(`"integer"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "g", schema, true); err != nil {
		t.Fatal(err)
	}
	over := &SearchParams{Quantization: &QuantizationSearchParams{Oversampling: f64p(2)}}
	for _, fs := range []string{`{"must":[{"key":"g","match":{"value":7}}]}`, `{"must_not":[{"key":"g","match":{"value":7}}]}`} {
		f := filter(t, fs)
		hits, total := 0, 0
		for range 20 {
			q := randVec(rng, dim)
			exact, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Filter: f, Limit: 10, Params: &SearchParams{Exact: true}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Filter: f, Limit: 10, Params: over, WithPayload: &WithPayload{Enable: true}})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range got {
				if in := strings.Contains(jsonOf(g.Payload), `"g":7}`); in != strings.HasPrefix(fs, `{"must":`) {
					t.Fatalf("%s: point %v with payload %s", fs, g.ID, jsonOf(g.Payload))
				}
				for _, e := range exact {
					if e.ID == g.ID {
						hits++
						if e.Score != g.Score {
							t.Fatalf("rescored score %g, exact %g", g.Score, e.Score)
						}
					}
				}
			}
			total += len(exact)
			th := exact[len(exact)/2].Score
			cut, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Filter: f, Limit: 10, Params: over, ScoreThreshold: &th})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range cut {
				if g.Score > th {
					t.Fatalf("score %g beyond threshold %g", g.Score, th)
				}
			}
		}
		if rec := float64(hits) / float64(total); rec < 0.95 {
			t.Errorf("%s: recall@10 %.3f < 0.95", fs, rec)
		} else {
			t.Logf("%s: recall@10 %.3f", fs, rec)
		}
	}
}
