package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory Store for tests. Hooks let a test fail or observe
// operations; the zero value is not usable, call NewMem.
type Mem struct {
	mu      sync.Mutex
	objects map[string]memObject
	now     func() time.Time
	// Fail, when set, is called before every operation with its name
	// ("put", "get", "stat", "list", "delete") and key; a non-nil result
	// fails the operation with that error and changes nothing.
	Fail func(op, key string) error
}

type memObject struct {
	data     []byte
	modified time.Time
}

// NewMem returns an empty in-memory store whose clock is now (nil:
// time.Now).
func NewMem(now func() time.Time) *Mem {
	if now == nil {
		now = time.Now
	}
	return &Mem{objects: map[string]memObject{}, now: now}
}

func (m *Mem) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	if op != "list" {
		if err := ValidKey(key); err != nil {
			return fmt.Errorf("%s object: %w", op, err)
		}
	} else if err := validPrefix(key); err != nil {
		return fmt.Errorf("list objects: %w", err)
	}
	if m.Fail != nil {
		if err := m.Fail(op, key); err != nil {
			return fmt.Errorf("%s %s: %w", op, key, err)
		}
	}
	return nil
}

// Put implements Store.
func (m *Mem) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := m.check(ctx, "put", key); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if size >= 0 && int64(buf.Len()) != size {
		return fmt.Errorf("put %s: read %d bytes, want %d", key, buf.Len(), size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memObject{data: buf.Bytes(), modified: m.now()}
	return nil
}

// PutHashed implements HashedPutter: the body is hashed as it is read and
// refused unless its SHA-256 is sum.
func (m *Mem) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	v, err := newVerifier(r, sum)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return m.Put(ctx, key, v, size)
}

// Get implements Store.
func (m *Mem) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := m.check(ctx, "get", key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	o, ok := m.objects[key]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotExist)
	}
	if off < 0 || off > int64(len(o.data)) {
		return nil, fmt.Errorf("get %s: offset %d outside 0..%d", key, off, len(o.data))
	}
	end := int64(len(o.data))
	if n >= 0 && off+n < end {
		end = off + n
	}
	return io.NopCloser(bytes.NewReader(o.data[off:end])), nil
}

// Stat implements Store.
func (m *Mem) Stat(ctx context.Context, key string) (Info, error) {
	if err := m.check(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return Info{}, fmt.Errorf("stat %s: %w", key, ErrNotExist)
	}
	return Info{Key: key, Size: int64(len(o.data)), Modified: o.modified}, nil
}

// List implements Store.
func (m *Mem) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := m.check(ctx, "list", prefix); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Info
	for k, o := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, Info{Key: k, Size: int64(len(o.data)), Modified: o.modified})
		}
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete implements Store.
func (m *Mem) Delete(ctx context.Context, key string) error {
	if err := m.check(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// String implements Store.
func (m *Mem) String() string { return "mem://" }
