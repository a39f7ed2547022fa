package adversarial

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshotOf cuts a collection snapshot over REST and downloads it.
func (c *cairn) snapshotOf(name string) []byte {
	c.t.Helper()
	res := c.must(200, http.MethodPost, "/collections/"+url.PathEscape(name)+"/snapshots?wait=true", nil)
	snap, _ := res.Result().(map[string]any)["name"].(string)
	if snap == "" {
		c.t.Fatalf("snapshot of %s: no name in %s", name, res)
	}
	r, err := c.try(req{method: http.MethodGet, path: "/collections/" + url.PathEscape(name) + "/snapshots/" + url.PathEscape(snap)})
	if err != nil || r.Status != 200 {
		c.t.Fatalf("download snapshot %s of %s: %v %s", snap, name, err, r)
	}
	return r.Body
}

// upload restores an archive into a collection (wait=true).
func (c *cairn) upload(name string, archive []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("snapshot", "crafted.snapshot")
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(archive)
	mw.Close()
	return c.doReq(req{method: http.MethodPost, path: "/collections/" + url.PathEscape(name) + "/snapshots/upload?wait=true",
		body: body.Bytes(), header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

// rewrite returns a copy of a Cairn snapshot archive in which change
// replaced the content of each regular file it returns non-nil for, with
// snapshot.json's sizes and CRC-32Cs recomputed: valid checksums, lying
// contents. changeConfig, when set, edits snapshot.json's config object.
func rewrite(t *testing.T, archive []byte, change func(path string, body []byte) []byte, changeConfig func(cfg map[string]any)) []byte {
	t.Helper()
	type entry struct {
		hdr  *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h, b})
	}
	last := &entries[len(entries)-1]
	if last.hdr.Name != "snapshot.json" {
		t.Fatalf("last archive entry is %s, not snapshot.json", last.hdr.Name)
	}
	var man map[string]any
	if err := json.Unmarshal(last.body, &man); err != nil {
		t.Fatal(err)
	}
	changed := 0
	sums := map[string][2]int64{}
	for i := range entries[:len(entries)-1] {
		e := &entries[i]
		if e.hdr.Typeflag != tar.TypeReg {
			continue
		}
		if nb := change(e.hdr.Name, bytes.Clone(e.body)); nb != nil {
			e.body, e.hdr.Size = nb, int64(len(nb))
			sums[e.hdr.Name] = [2]int64{int64(len(nb)), int64(crc32.Checksum(nb, castagnoli))}
			changed++
		}
	}
	if changed == 0 && changeConfig == nil {
		t.Fatal("rewrite changed no file")
	}
	files, _ := man["files"].([]any)
	for _, f := range files {
		fm := f.(map[string]any)
		if s, ok := sums[fm["path"].(string)]; ok {
			fm["size"], fm["crc32c"] = s[0], s[1]
		}
	}
	if changeConfig != nil {
		cfg, _ := man["config"].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
			man["config"] = cfg
		}
		changeConfig(cfg)
	}
	mb, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	last.body, last.hdr.Size = mb, int64(len(mb))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// editEnvelope decodes an engine metadata file (docs/format/manifest.md:
// magic, version, length, CRC-32C, JSON body), lets edit change the body
// and seals it again with a valid checksum.
func editEnvelope(t *testing.T, b []byte, edit func(body map[string]any)) []byte {
	t.Helper()
	if len(b) < 20 {
		t.Fatalf("envelope of %d bytes", len(b))
	}
	var body map[string]any
	if err := json.Unmarshal(b[20:], &body); err != nil {
		t.Fatalf("envelope body: %v", err)
	}
	edit(body)
	nb, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), b[:12]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nb)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(nb, castagnoli))
	return append(out, nb...)
}

// editCollectionFile applies edit to the `collection` file's config.params
// (and to the same object in snapshot.json's config when it is there).
func editParams(t *testing.T, archive []byte, edit func(params map[string]any)) []byte {
	t.Helper()
	return rewrite(t, archive, func(path string, b []byte) []byte {
		if path != "collection" {
			return nil
		}
		return editEnvelope(t, b, func(body map[string]any) {
			cfg, _ := body["config"].(map[string]any)
			params, _ := cfg["params"].(map[string]any)
			if params == nil {
				t.Fatalf("collection file without config.params: %v", body)
			}
			edit(params)
		})
	}, func(cfg map[string]any) {
		if inner, ok := cfg["config"].(map[string]any); ok {
			cfg = inner
		}
		if params, ok := cfg["params"].(map[string]any); ok {
			edit(params)
		}
	})
}

// editWAL applies edit to the collection file's wal_config.
func editWAL(t *testing.T, archive []byte, edit func(wal map[string]any)) []byte {
	t.Helper()
	return rewrite(t, archive, func(path string, b []byte) []byte {
		if path != "collection" {
			return nil
		}
		return editEnvelope(t, b, func(body map[string]any) {
			cfg, _ := body["config"].(map[string]any)
			wal, _ := cfg["wal_config"].(map[string]any)
			if wal == nil {
				t.Fatalf("collection file without config.wal_config: %v", body)
			}
			edit(wal)
		})
	}, nil)
}

// duplicateSegment lists shard 0's first segment twice in its manifest.
func duplicateSegment(t *testing.T, archive []byte) []byte {
	return duplicateSegmentAt(t, archive, "shard-0/manifest")
}

const archiveDim, archivePoints = 16, 700

// craftedFixture starts a server holding collection "c" of 700 16-d points
// with sealed segments, and returns it with its snapshot. The storage is a
// tmpfs when one can be mounted; without one, a case whose regression
// would preallocate whatever the archive says (diskBound) is skipped and the
// others use a temp folder.
func craftedFixture(t *testing.T, diskBound bool) (*cairn, []byte) {
	t.Helper()
	dir, err := mountTmpfs(t, 256)
	if err != nil {
		if diskBound {
			t.Skipf("cannot mount a tmpfs (%v): this case needs a small filesystem to fill safely", err)
		}
		dir = t.TempDir()
	}
	c := start(t, opts{dir: dir})
	c.sealedCollection("c", archiveDim, archivePoints, map[string]any{"wal_config": map[string]any{"wal_capacity_mb": 1}})
	return c, c.snapshotOf("c")
}

// untouched asserts collection "c" still holds its 700 points and searches.
func (c *cairn) untouched(when string) {
	c.t.Helper()
	if n := c.count("c"); n != archivePoints {
		c.t.Errorf("%s: collection holds %d points, want %d", when, n, archivePoints)
	}
	if res := c.search("c", archiveDim); res.Status != 200 {
		c.t.Errorf("%s: search: %s", when, res)
	}
	info := c.must(200, http.MethodGet, "/collections/c", nil)
	params := info.Result().(map[string]any)["config"].(map[string]any)["params"].(map[string]any)
	if v := params["vectors"].(map[string]any)["size"]; v != float64(archiveDim) {
		c.t.Errorf("%s: vector size %v", when, v)
	}
	if s := params["shard_number"]; s != 1.0 {
		c.t.Errorf("%s: shard_number %v", when, s)
	}
}

// TestCraftedSnapshots: archives with valid checksums and lying contents
// are refused with 400 before anything replaces the live collection, which
// keeps its data across a restart.
func TestCraftedSnapshots(t *testing.T) {
	cases := []struct {
		name      string
		diskBound bool
		craft     func(t *testing.T, a []byte) []byte
	}{
		{"vector size 17 over 16-d segments", false, func(t *testing.T, a []byte) []byte {
			return editParams(t, a, func(p map[string]any) { p["vectors"].(map[string]any)["size"] = 17 })
		}},
		{"segment listed twice", false, duplicateSegment},
		{"shard_number 8", false, func(t *testing.T, a []byte) []byte {
			return editParams(t, a, func(p map[string]any) { p["shard_number"] = 8 })
		}},
		{"shard_number 1024", true, func(t *testing.T, a []byte) []byte {
			return editParams(t, a, func(p map[string]any) { p["shard_number"] = 1024 })
		}},
		{"wal_capacity_mb 1000000", true, func(t *testing.T, a []byte) []byte {
			return editWAL(t, a, func(w map[string]any) { w["wal_capacity_mb"] = 1000000 })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, archive := craftedFixture(t, tc.diskBound)
			crafted := tc.craft(t, archive)
			res := c.upload("c", crafted)
			if res.Status != 400 || res.ErrMsg() == "" {
				t.Errorf("crafted archive: want 400 envelope, got %s", res)
			}
			c.untouched("after the refused archive")
			// The same archive into a new collection changes nothing either.
			if res := c.upload("fresh", crafted); res.Status != 400 {
				t.Errorf("crafted archive into an absent collection: want 400, got %s", res)
			}
			if res := c.do(http.MethodGet, "/collections/fresh", nil); res.Status != 404 {
				t.Errorf("a refused archive created its collection: %s", res)
			}
			c = c.restart(opts{})
			c.untouched("after a restart")
		})
	}
}

// TestCraftedSnapshotAtStartup: `--snapshot PATH:NAME` refuses an archive
// listing a segment twice: start-up fails with a message, and the storage
// then starts without the collection.
func TestCraftedSnapshotAtStartup(t *testing.T) {
	c, archive := craftedFixture(t, false)
	c.stop()
	path := filepath.Join(t.TempDir(), "crafted.snapshot")
	if err := os.WriteFile(path, duplicateSegment(t, archive), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if s, err := launch(t, opts{dir: dir, args: []string{"--snapshot", path + ":restored"}}); err == nil {
		t.Errorf("--snapshot accepted an archive listing a segment twice")
		if n := s.count("restored"); n != archivePoints {
			t.Errorf("the restored collection counts %d points for %d ids", n, archivePoints)
		}
		s.stop()
		s = start(t, opts{dir: dir})
		s.stop()
		return
	} else if !strings.Contains(err.Error(), "exited") {
		t.Fatal(err)
	}
	s := start(t, opts{dir: dir})
	if res := s.do(http.MethodGet, "/collections/restored", nil); res.Status != 404 {
		t.Errorf("a refused start-up restore left its collection: %s", res)
	}
}

// TestRestoreErrorsShowNoPath: a corrupt segment (byte changed, CRC-32C in
// snapshot.json recomputed) is refused with 400 naming the collection and
// file relative to the storage root, never an absolute server path.
func TestRestoreErrorsShowNoPath(t *testing.T) {
	c, archive := craftedFixture(t, false)
	crafted := rewrite(t, archive, func(path string, b []byte) []byte {
		if !strings.HasPrefix(filepath.Base(path), "vectors-") || len(b) == 0 {
			return nil
		}
		b[len(b)-1] ^= 0x5a
		return b
	}, nil)
	res := c.upload("c", crafted)
	if res.Status != 400 {
		t.Errorf("corrupt segment: want 400, got %s", res)
	}
	c.noPath(res)
	c.untouched("after the refused archive")
}

// duplicateSegmentAt lists the first segment of the shard manifest at path
// twice.
func duplicateSegmentAt(t *testing.T, archive []byte, path string) []byte {
	t.Helper()
	return rewrite(t, archive, func(p string, b []byte) []byte {
		if p != path {
			return nil
		}
		return editEnvelope(t, b, func(body map[string]any) {
			segs, _ := body["segments"].([]any)
			if len(segs) == 0 {
				t.Fatalf("%s without segments: %v", path, body)
			}
			body["segments"] = append(segs, segs[0])
		})
	}, nil)
}

// TestCraftedShardAndFullSnapshots: the shard upload route and a start-up
// --storage-snapshot refuse a manifest listing a segment twice, too.
func TestCraftedShardAndFullSnapshots(t *testing.T) {
	c, _ := craftedFixture(t, false)
	full := c.must(200, http.MethodPost, "/snapshots?wait=true", nil)
	name, _ := full.Result().(map[string]any)["name"].(string)
	archive := c.doReq(req{method: http.MethodGet, path: "/snapshots/" + url.PathEscape(name)})
	if archive.Status != 200 {
		t.Fatalf("download full snapshot: %s", archive)
	}
	shard := c.doReq(req{method: http.MethodGet, path: "/collections/c/shards/0/snapshot"})
	if shard.Status != 200 {
		t.Fatalf("stream shard snapshot: %s", shard)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("snapshot", "crafted.snapshot")
	fw.Write(duplicateSegmentAt(t, shard.Body, "shard-0/manifest"))
	mw.Close()
	res := c.doReq(req{method: http.MethodPost, path: "/collections/c/shards/0/snapshots/upload?wait=true",
		body: body.Bytes(), header: map[string]string{"Content-Type": mw.FormDataContentType()}})
	if res.Status != 400 {
		t.Errorf("crafted shard snapshot: want 400, got %s", res)
	}
	c.untouched("after the refused shard snapshot")

	c.stop()
	path := filepath.Join(t.TempDir(), "crafted-full.snapshot")
	if err := os.WriteFile(path, duplicateSegmentAt(t, archive.Body, "collections/c/shard-0/manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if s, err := launch(t, opts{dir: dir, args: []string{"--storage-snapshot", path}}); err == nil {
		t.Errorf("--storage-snapshot accepted a full snapshot listing a segment twice (c counts %d points)", s.count("c"))
		s.stop()
	}
	start(t, opts{dir: dir}).stop()
}
