package payload

import (
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestHasIDLookup checks has_id membership for a short list (scanned) and
// a long one (looked up in its set), with the long list matched from
// several goroutines at once, as concurrent shard searches do.
func TestHasIDLookup(t *testing.T) {
	for _, n := range []int{hasIDLinear, 10 * hasIDLinear} {
		h := &HasID{}
		for i := range n {
			h.IDs = append(h.IDs, point.NumID(uint64(2*i)))
		}
		h.IDs = append(h.IDs, mustID(t, "8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f"))
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 2 * n {
					if got, want := h.Has(point.NumID(uint64(i))), i%2 == 0; got != want {
						t.Errorf("n %d goroutine %d: Has(%d) = %v", n, g, i, got)
					}
				}
				if !h.Has(mustID(t, "8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e5f")) || h.Has(mustID(t, "8c5a5c4e-3d7b-4d1a-9d8e-0a1b2c3d4e50")) {
					t.Errorf("n %d: UUID membership wrong", n)
				}
			}()
		}
		wg.Wait()
		f := &Filter{Must: []Condition{{HasID: h}}}
		if !f.MatchWith(point.NumID(4), nil, nil) || f.MatchWith(point.NumID(5), nil, nil) {
			t.Errorf("n %d: filter match wrong", n)
		}
	}
}

func mustID(t *testing.T, s string) point.ID {
	id, err := point.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
