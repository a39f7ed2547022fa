package snapshot

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// recordSyncs makes fetchSynced record every name a restore syncs and
// call also (when not nil) with it.
func recordSyncs(t *testing.T, also func(string)) func() map[string]bool {
	var mu sync.Mutex
	seen := map[string]bool{}
	fetchSynced = func(name string) {
		mu.Lock()
		seen[name] = true
		mu.Unlock()
		if also != nil {
			also(name)
		}
	}
	t.Cleanup(func() { fetchSynced = func(string) {} })
	return func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]bool, len(seen))
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

// TestRemoteRestoreSyncsFilesAsTheyComplete: a restore from the store
// syncs a file as soon as its last chunk is in, while the chunks of the
// other files are still on their way (the chunks of every other file are
// held back until the first file is synced), and hands the folder to the
// install only once every file and every folder is synced; the restored
// collection holds the source's points.
func TestRemoteRestoreSyncsFilesAsTheyComplete(t *testing.T) {
	old := chunkBytes
	chunkBytes = 16 << 10 // files of several chunks
	t.Cleanup(func() { chunkBytes = old })
	e, cs, _ := remoteEnv(t, remoteStores["mem"])
	src := e.create(t, "src", dim, 1)
	fill(t, src, 5, dim)
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := manifestKey("src", d.Name)
	rm, err := e.m.readRemote(ctxb, key)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	mine := map[string]bool{} // the first file's objects
	others := map[string]bool{}
	for _, en := range rm.Entries {
		if en.Dir || len(en.Chunks) == 0 {
			continue
		}
		for _, c := range en.Chunks {
			if first == "" || first == en.Path {
				first = en.Path
				mine[c.Object] = true
			} else {
				others[c.Object] = true
			}
		}
	}
	for o := range mine {
		delete(others, o)
	}
	if len(others) == 0 {
		t.Fatal("no object of another file to hold back")
	}
	firstSynced := make(chan struct{})
	var once sync.Once
	synced := recordSyncs(t, func(name string) {
		if name == first {
			once.Do(func() { close(firstSynced) })
		}
	})
	cs.setFail(func(op, key string) error {
		if op != "get" || !others[key] {
			return nil
		}
		select {
		case <-firstSynced:
			return nil
		case <-time.After(time.Minute): // a fail-safe: without it the test would hang
			return errors.New("the first file was not synced while other files were downloading")
		}
	})
	err = e.m.restoreRemote(ctxb, key, "", KindCollection, func(dir string, sums engine.FileSums) error {
		got := synced()
		for _, en := range rm.Entries {
			if !got[en.Path] {
				t.Errorf("%s handed to the install before it was synced", en.Path)
			}
			if !en.Dir && !got[path.Dir(en.Path)] {
				t.Errorf("folder of %s handed to the install before it was synced", en.Path)
			}
		}
		if !got["."] {
			t.Error("restore folder handed to the install before it was synced")
		}
		return e.st.RestoreCollection("copy", dir, sums)
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Collection("copy")
	if err != nil {
		t.Fatal(err)
	}
	if dump(t, c) != dump(t, src) {
		t.Fatal("restored collection differs from its source")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestWritebackWriter: the writer puts every byte at its offset, across
// writebackStep boundaries, and wait succeeds on a regular file; a write
// the file refuses is an error.
func TestWritebackWriter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const off = 4096 + 7
	want := make([]byte, 3*writebackStep+123)
	for i := range want {
		want[i] = byte(i*7 + i/4096)
	}
	w := &writebackWriter{f: f, start: off, off: off, next: off}
	for b := want; len(b) > 0; {
		n := min(len(b), writebackStep/3+1)
		if k, err := w.Write(b[:n]); k != n || err != nil {
			t.Fatalf("write: %d, %v", k, err)
		}
		b = b[n:]
	}
	if err := w.wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != off+len(want) || string(got[off:]) != string(want) {
		t.Fatalf("file holds %d bytes, want %d at %d", len(got), len(want), off)
	}
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bad := &writebackWriter{f: r}
	if _, err := bad.Write([]byte("x")); err == nil {
		t.Fatal("a write to a read-only file succeeded")
	}
}
