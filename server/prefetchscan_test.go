package server

import (
	"strings"
	"sync/atomic"
	"testing"
)

// nestedPrefetch is the reviewer's body: a list of three prefetch chains,
// each n levels deep in the single-object form: n+1 levels in all.
func nestedPrefetch(n int) string {
	const q = `{"query":[1,0,0,0]}`
	c := strings.Repeat(`{"prefetch":`, n) + q + strings.Repeat(`,"query":[1,0,0,0]}`, n)
	return `{"prefetch":[` + c + `,` + c + `,` + c + `],"query":[1,0,0,0]}`
}

// decodedBytes runs f and returns how many bytes codec decoded meanwhile.
func decodedBytes(t *testing.T, f func()) int {
	t.Helper()
	var n atomic.Int64
	hook := func(b int) { n.Add(int64(b)) }
	testHookUnmarshal.Store(&hook)
	defer testHookUnmarshal.Store(nil)
	f()
	return int(n.Load())
}

// TestDeepPrefetchRefusedBeforeDecoding checks that a prefetch tree
// nested deeper than MaxPrefetchDepth is refused by the linear scan,
// before any decoder runs (before the fix each nesting level re-ran the
// decoder over its whole subtree: O(bytes × depth), seconds of CPU for
// 6000 levels).
func TestDeepPrefetchRefusedBeforeDecoding(t *testing.T) {
	s := seeded(t)
	body := nestedPrefetch(6000)
	var r reply
	work := decodedBytes(t, func() { r = call(t, s, "POST", "/collections/c/points/query", body) })
	if r.code != 400 || !strings.Contains(r.err, "nested deeper than 64 levels") {
		t.Fatalf("6000-deep prefetch: %d %s", r.code, r.raw)
	}
	if work != 0 {
		t.Fatalf("6000-deep prefetch: %d bytes decoded before the refusal, want 0", work)
	}
	batch := `{"searches":[` + body + `]}`
	if r = call(t, s, "POST", "/collections/c/points/query/batch", batch); r.code != 400 || !strings.Contains(r.err, "nested deeper") {
		t.Fatalf("6000-deep prefetch in a batch: %d %s", r.code, r.raw)
	}
}

// TestPrefetchTreeDecodesInOnePass checks that a tree at the depth limit
// runs and that its decoding is linear: the bytes handed to decoders stay
// within a small multiple of the body, whatever the depth.
func TestPrefetchTreeDecodesInOnePass(t *testing.T) {
	s := seeded(t)
	for _, n := range []int{1, MaxPrefetchDepth - 1} {
		body := nestedPrefetch(n)
		var r reply
		work := decodedBytes(t, func() { r = call(t, s, "POST", "/collections/c/points/query", body) })
		if r.code != 200 {
			t.Fatalf("%d-deep prefetch: %d %s", n, r.code, r.raw)
		}
		if work > 2*len(body) {
			t.Fatalf("%d-deep prefetch: %d bytes decoded for a %d-byte body", n, work, len(body))
		}
	}
	deeper := nestedPrefetch(MaxPrefetchDepth)
	if r := call(t, s, "POST", "/collections/c/points/query", deeper); r.code != 400 {
		t.Fatalf("%d-deep prefetch: %d %s", MaxPrefetchDepth+1, r.code, r.raw)
	}
	// The list form, null, and a key spelled with an escape still decode.
	for _, body := range []string{
		`{"prefetch":[{"prefetch":{"query":[1,0,0,0],"limit":2},"query":[1,0,0,0]}],"query":[1,0,0,0]}`,
		`{"prefetch":null,"query":[1,0,0,0]}`,
		`{"pre\u0066etch":{"query":[1,0,0,0]},"query":[1,0,0,0],"filter":{"must":[{"key":"prefetch","match":{"value":"{"}}]}}`,
	} {
		if r := call(t, s, "POST", "/collections/c/points/query", body); r.code != 200 {
			t.Fatalf("%s: %d %s", body, r.code, r.raw)
		}
	}
}
