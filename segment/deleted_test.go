package segment

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestBitmap(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 1000} {
		b := NewBitmap(n)
		if b.Len() != n || b.Count() != 0 {
			t.Fatalf("n=%d: new bitmap len %d count %d", n, b.Len(), b.Count())
		}
		want := 0
		for i := 0; i < n; i += 3 {
			b.Set(i)
			want++
		}
		c := b.Clone()
		if n > 0 {
			b.Clear(0)
			want--
		}
		if b.Count() != want || c.Count() != want+min(n, 1) {
			t.Fatalf("n=%d: count %d clone %d, want %d", n, b.Count(), c.Count(), want)
		}
		for i := range n {
			if b.Has(i) != (i%3 == 0 && i != 0) {
				t.Fatalf("n=%d: Has(%d) = %v", n, i, b.Has(i))
			}
		}
		if b.Has(-1) || b.Has(n) {
			t.Fatalf("n=%d: Has out of range is true", n)
		}
		data, _ := b.MarshalBinary()
		got, err := ParseDeleted(data, n)
		if err != nil || got.Count() != b.Count() || (n > 3 && !got.Has(3)) {
			t.Fatalf("n=%d: round trip %v, %v", n, got, err)
		}
		if _, err := ParseDeleted(data, n+1); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("n=%d: ParseDeleted with the wrong n = %v", n, err)
		}
	}
}

func TestBitmapPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Set out of range did not panic")
		}
	}()
	NewBitmap(5).Set(5)
}

func TestDeletedRoundTripKeepsLinkedState(t *testing.T) {
	dir := t.TempDir()
	b, err := LoadDeleted(dir, 100)
	if err != nil || b.Len() != 100 || b.Count() != 0 {
		t.Fatalf("LoadDeleted of a missing file = %v, %v", b, err)
	}
	b.Set(7)
	b.Set(99)
	if err := StoreDeleted(vfs.OS, dir, b); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), DeletedFile)
	if err := os.Link(filepath.Join(dir, DeletedFile), snap); err != nil {
		t.Fatal(err)
	}
	b2 := b.Clone()
	b2.Clear(7)
	b2.Set(50)
	if err := StoreDeleted(nil, dir, b2); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDeleted(dir, 100)
	if err != nil || !got.Has(50) || got.Has(7) || got.Count() != 2 {
		t.Fatalf("LoadDeleted after the second store = %v, %v", got, err)
	}
	old, err := LoadDeleted(filepath.Dir(snap), 100)
	if err != nil || !old.Has(7) || old.Has(50) || old.Count() != 2 {
		t.Fatalf("hard link shows %v, %v; want the first state", old, err)
	}
	if _, err := LoadDeleted(dir, 101); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("LoadDeleted with the wrong n = %v", err)
	}
	flip(t, filepath.Join(dir, DeletedFile), 40)
	if _, err := LoadDeleted(dir, 100); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("LoadDeleted of a corrupt file = %v", err)
	}
}

func TestStoreDeletedFault(t *testing.T) {
	dir := t.TempDir()
	b := NewBitmap(10)
	b.Set(1)
	if err := StoreDeleted(nil, dir, b); err != nil {
		t.Fatal(err)
	}
	for _, op := range []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir} {
		fs := vfs.NewFaulty(vfs.OS)
		fs.FailNth(op, 1)
		nb := NewBitmap(10)
		nb.Set(2)
		if err := StoreDeleted(fs, dir, nb); !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("%s: StoreDeleted = %v, want ErrInjected", op, err)
		}
		got, err := LoadDeleted(dir, 10)
		if err != nil {
			t.Fatalf("%s: LoadDeleted after a failed store: %v", op, err)
		}
		if op != vfs.OpSyncDir && (!got.Has(1) || got.Has(2)) {
			t.Fatalf("%s: a failed store changed the state", op)
		}
		if err := StoreDeleted(nil, dir, b); err != nil {
			t.Fatal(err)
		}
	}
}
