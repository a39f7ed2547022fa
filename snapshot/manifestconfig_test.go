package snapshot

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// withManifestConfig returns the archive b with its manifest's config
// replaced by cfg (the manifest is the last entry; nothing checksums it).
func withManifestConfig(t *testing.T, b []byte, cfg string) []byte {
	t.Helper()
	return rewriteTar(t, b, func(h *tar.Header, body []byte) ([]byte, bool) {
		if h.Name != ManifestName {
			return body, true
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		m["config"] = json.RawMessage(cfg)
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return body, true
	})
}

// TestManifestConfigIgnored: the manifest's config is informational; a
// restore takes the configuration from the archive's collection file, so
// an archive whose manifest config disagrees restores as the collection
// file says (docs/format/snapshot.md).
func TestManifestConfigIgnored(t *testing.T) {
	e := newEnv(t, nil)
	c := e.create(t, "c", 4, 1)
	fill(t, c, 3, 4)
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(e.m.SnapshotsPath, "c", d.Name))
	if err != nil {
		t.Fatal(err)
	}
	lie := filepath.Join(e.dir, "lie.snapshot")
	cfg := `{"params":{"vectors":{"size":8,"distance":"Euclid"},"shard_number":3}}`
	if err := os.WriteFile(lie, withManifestConfig(t, b, cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Recover(ctxb, "r", lie, "", ""); err != nil {
		t.Fatalf("recover with a lying manifest config: %v", err)
	}
	r, err := e.st.Collection("r")
	if err != nil {
		t.Fatal(err)
	}
	got := r.Config()
	if v := got.Params.Vectors[""]; v.Size != 4 || got.Params.ShardNumber != 1 {
		t.Fatalf("restored config %+v, want the collection file's (size 4, 1 shard)", got.Params)
	}
}
