package engine

import (
	"errors"
	"sync/atomic"
	"testing"
)

// TestConcurrently: every function runs, errors are joined, and a panic in
// another goroutine (a crash test's simulated crash) reaches the caller
// only once every function has returned.
func TestConcurrently(t *testing.T) {
	e1, e2 := errors.New("one"), errors.New("two")
	if err := concurrently(func() error { return e1 }, func() error { return nil }, func() error { return e2 }); !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Fatalf("joined error %v", err)
	}
	if err := concurrently(func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	var done atomic.Int32
	got := func() (p any) {
		defer func() { p = recover() }()
		release := make(chan struct{})
		_ = concurrently(
			func() error { close(release); done.Add(1); return nil },
			func() error { <-release; panic("crash") },
			func() error { <-release; done.Add(1); return nil },
		)
		return nil
	}()
	if got != "crash" || done.Load() != 2 {
		t.Fatalf("panic %v after %d functions returned, want crash after 2", got, done.Load())
	}
}
