package point

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/uuid"
)

func TestIDAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(r.Uint32())
		}
		n := r.Uint64() >> r.IntN(64)
		for _, c := range []struct {
			id   ID
			want string
		}{{UUIDID(u), `"` + u.String() + `"`}, {NumID(n), strconv.FormatUint(n, 10)}} {
			if got := c.id.AppendJSON([]byte("x")); string(got) != "x"+c.want {
				t.Fatalf("AppendJSON(%v) = %s, want %s", c.id, got[1:], c.want)
			}
			if got, err := c.id.MarshalJSON(); err != nil || string(got) != c.want {
				t.Fatalf("MarshalJSON(%v) = %s, %v, want %s", c.id, got, err, c.want)
			}
		}
	}
}
