package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// FuzzRestoreLyingFolder restores a real collection folder (a sealed
// segment and a WAL tail) whose collection file and shard manifest bodies
// are the fuzzer's, sealed with valid checksums: the lies of issue 21 get
// past every checksum and meet only the engine's checks. A refused restore
// must wrap ErrVerify and leave the live collection as it was; an accepted
// one must give a collection whose count, scroll, gets and search agree.
func FuzzRestoreLyingFolder(f *testing.F) {
	base := f.TempDir()
	tmpl := sourceFolder(f, filepath.Join(base, "tmpl"), 1, 20, 10)
	coll, err := os.ReadFile(filepath.Join(tmpl, CollectionFile))
	if err != nil {
		f.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(tmpl, "shard-0", ManifestFile))
	if err != nil {
		f.Fatal(err)
	}
	collBody, manBody := coll[envelopeSize:], man[envelopeSize:]
	f.Add(collBody, manBody)
	for _, lie := range fuzzLies(f, collBody, manBody) {
		f.Add(lie[0], lie[1])
	}
	st, err := Open(Options{Dir: filepath.Join(base, "live"), Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateCollection("c", simpleReq(4, point.Dot)); err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, collBody, manBody []byte) {
		if !bounded(collBody) {
			t.Skip("a config whose WAL preallocation could fill the disk")
		}
		n++
		src := filepath.Join(base, fmt.Sprintf("src-%d", n))
		if err := copyTree(vfs.OS, tmpl, src); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(src)
		write := func(path, magic string, body []byte) {
			if err := os.WriteFile(path, sealEnvelope(magic, 1, body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(filepath.Join(src, CollectionFile), collectionMagic, collBody)
		write(filepath.Join(src, "shard-0", ManifestFile), manifestMagic, manBody)
		c, err := st.Collection("c")
		if err != nil {
			t.Fatal(err)
		}
		before := fuzzState(t, c)
		if err := st.RestoreCollection("c", src, nil); err != nil {
			if !errors.Is(err, ErrVerify) {
				t.Fatalf("refused without ErrVerify: %v", err)
			}
			if c2, _ := st.Collection("c"); c2 != c || fuzzState(t, c) != before {
				t.Fatal("a refused restore changed the collection")
			}
			return
		}
		c, err = st.Collection("c")
		if err != nil {
			t.Fatal(err)
		}
		fuzzState(t, c)
	})
}

// envelopeSize is the envelope before an engine file's JSON body.
const envelopeSize = 20

// fuzzLies returns the collection file and manifest bodies of the lies of
// issue 21 told about the template's.
func fuzzLies(f *testing.F, collBody, manBody []byte) [][2][]byte {
	var cf collectionFile
	var m manifest
	if err := json.Unmarshal(collBody, &cf); err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(manBody, &m); err != nil {
		f.Fatal(err)
	}
	enc := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	var out [][2][]byte
	for _, change := range []func(c *collectionFile){
		func(c *collectionFile) { c.Config.Params.Vectors = VectorsConfig{"": {Size: 5, Distance: point.Dot}} },
		func(c *collectionFile) { c.Config.Params.ShardNumber = 8 },
		func(c *collectionFile) { c.Config.Params.ShardNumber = 2 },
	} {
		c := cf
		c.Config = cf.Config.clone()
		change(&c)
		out = append(out, [2][]byte{enc(c), manBody})
	}
	twice := m
	twice.Segments = append(append([]manifestEntry(nil), m.Segments...), m.Segments...)
	low := m
	low.NextSegment = 0
	count := m
	count.Segments = append([]manifestEntry(nil), m.Segments...)
	count.Segments[0].Points++
	for _, lie := range []manifest{twice, low, count} {
		out = append(out, [2][]byte{collBody, enc(lie)})
	}
	return out
}

// bounded reports whether a collection file body would let the restore's
// check open the WAL files of a few shards of a few MiB each (the harness
// must not fill the disk; bounding these is CollectionConfig.Validate's).
func bounded(body []byte) bool {
	var cf collectionFile
	if err := json.Unmarshal(body, &cf); err != nil {
		return true // refused when decoded
	}
	return cf.Config.Params.ShardNumber <= 8 && cf.Config.WalConfig.WalCapacityMB <= 4
}

// fuzzState returns what c holds, checking that its count, a full scroll,
// a get of every point and a search agree.
func fuzzState(t *testing.T, c *Collection) string {
	t.Helper()
	n := mustCount(t, c, nil)
	res, err := c.Scroll(ctxb, ScrollRequest{Limit: 1 << 20, WithVector: &WithVector{Enable: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != n {
		t.Fatalf("count %d, scroll %d", n, len(res.Points))
	}
	ids := make([]point.ID, len(res.Points))
	seen := map[point.ID]bool{}
	for i, r := range res.Points {
		if seen[r.ID] {
			t.Fatalf("point %s scrolled twice", r.ID)
		}
		seen[r.ID], ids[i] = true, r.ID
	}
	got, err := c.Get(ctxb, ids, WithPayload{}, WithVector{})
	if err != nil || len(got) != n {
		t.Fatalf("get of %d points: %d, %v", n, len(got), err)
	}
	cfg := c.Config()
	for _, name := range cfg.Params.Vectors.Names() {
		q := make([]float32, cfg.Params.Vectors[name].Size)
		q[0] = 1
		if _, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: name, Vector: q}, Limit: 5}); err != nil {
			t.Fatalf("search %s: %v", vectorLabel(name), err)
		}
	}
	b, _ := json.Marshal(res.Points)
	return string(b)
}
