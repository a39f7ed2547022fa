package s3snap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// counting is a Store that counts the objects and bytes put through it.
type counting struct {
	objstore.Store
	objects atomic.Int64
	bytes   atomic.Int64
}

// Put implements objstore.Store, counting the bytes the store read.
func (c *counting) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	r, n := c.count(r, size)
	err := c.Store.Put(ctx, key, r, size)
	c.objects.Add(1)
	c.bytes.Add(n(err))
	return err
}

// PutHashed implements objstore.HashedPutter, counting as Put does: the
// snapshot's chunks reach the S3 store with their SHA-256, as without
// this wrapper.
func (c *counting) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	r, n := c.count(r, size)
	err := objstore.PutHashed(ctx, c.Store, key, r, size, sum)
	c.objects.Add(1)
	c.bytes.Add(n(err))
	return err
}

// count returns the reader to give the store and how many bytes it read,
// once the put returned err. A body of known size goes as it is (an S3
// store sends one in memory without copying it) and counts its size when
// stored.
func (c *counting) count(r io.Reader, size int64) (io.Reader, func(err error) int64) {
	if size >= 0 {
		return r, func(err error) int64 {
			if err != nil {
				return 0
			}
			return size
		}
	}
	cr := &countingReader{r: r}
	return cr, func(error) int64 { return cr.n }
}

// take returns the counts since the last take and resets them.
func (c *counting) take() (objects int, bytes int64) {
	return int(c.objects.Swap(0)), c.bytes.Swap(0)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// emptyStore deletes every object of s (a store confined to its prefix).
func emptyStore(ctx context.Context, s objstore.Store) error {
	infos, err := s.List(ctx, "")
	if err != nil {
		return fmt.Errorf("list %s: %w", s, err)
	}
	for _, in := range infos {
		if err := s.Delete(ctx, in.Key); err != nil {
			return fmt.Errorf("empty %s: %w", s, err)
		}
	}
	return nil
}

// loadavg returns the 1, 5 and 15 minute load averages as uptime prints
// them.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// chunkRef is one chunk a remote snapshot's restore fetches.
type chunkRef struct {
	object, sha256 string
	size           int64
}

// manifestChunks reads the remote manifest key of s and returns every
// chunk its files reference, in order (as a restore fetches them), and
// their total size.
func manifestChunks(ctx context.Context, s objstore.Store, key string) ([]chunkRef, int64, error) {
	rc, err := s.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	var env struct {
		Magic string          `json:"magic"`
		Body  json.RawMessage `json:"body"`
	}
	if err := json.NewDecoder(io.LimitReader(rc, 256<<20)).Decode(&env); err != nil {
		return nil, 0, fmt.Errorf("decode manifest %s: %w", key, err)
	}
	if env.Magic != snapshot.RemoteMagic {
		return nil, 0, fmt.Errorf("manifest %s: magic %q", key, env.Magic)
	}
	var rm snapshot.RemoteManifest
	if err := json.Unmarshal(env.Body, &rm); err != nil {
		return nil, 0, fmt.Errorf("decode manifest body %s: %w", key, err)
	}
	var refs []chunkRef
	var total int64
	for _, e := range rm.Entries {
		for _, c := range e.Chunks {
			refs = append(refs, chunkRef{object: c.Object, sha256: c.SHA256, size: c.Size})
			total += c.Size
		}
	}
	return refs, total, nil
}

// getAll downloads every chunk of refs with GetObject of client, workers
// at a time, each into its own file under dir, synced: the bytes a restore
// fetches, moved by the same library with the same parallelism. With
// verify, each chunk's SHA-256 is computed as it streams and checked.
func getAll(ctx context.Context, client *minio.Client, bucket, prefix, dir string, refs []chunkRef, workers int, verify bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create download folder: %w", err)
	}
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(refs) {
					return
				}
				if err := getOne(ctx, client, bucket, prefix+"/"+refs[i].object, filepath.Join(dir, fmt.Sprint(i)), refs[i], verify); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func getOne(ctx context.Context, client *minio.Client, bucket, key, path string, ref chunkRef, verify bool) error {
	obj, err := client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	h := sha256.New()
	var w io.Writer = f
	if verify {
		w = io.MultiWriter(f, h)
	}
	n, err := io.Copy(w, obj)
	if err == nil && n != ref.size {
		err = fmt.Errorf("got %d bytes of %d", n, ref.size)
	}
	if err == nil && verify && hex.EncodeToString(h.Sum(nil)) != ref.sha256 {
		err = fmt.Errorf("SHA-256 mismatch")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	return nil
}

// hashFile returns how long the SHA-256 of the file at path takes, read
// first (so from the page cache): the content hash a snapshot adds to an
// upload of the same bytes.
func hashFile(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	sha256.Sum256(b)
	return time.Since(t0), nil
}
