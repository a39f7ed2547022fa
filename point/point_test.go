package point

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestIDJSONExact(t *testing.T) {
	for _, in := range []string{"0", "9007199254740993", "18446744073709551615"} {
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err != nil {
			t.Fatalf("unmarshal %s: %v", in, err)
		}
		out, err := json.Marshal(id)
		if err != nil || string(out) != in {
			t.Fatalf("round trip %s = %s, %v", in, out, err)
		}
	}
	for _, bad := range []string{"-1", "18446744073709551616", "1.5", "1e3", `"abc"`, `""`, "null", "true"} {
		var id ID
		if err := json.Unmarshal([]byte(bad), &id); !errors.Is(err, ErrBadID) {
			t.Errorf("unmarshal %s: err %v, want ErrBadID", bad, err)
		}
	}
}

func TestIDUUIDSpellingsComeBackCanonical(t *testing.T) {
	const canon = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
	for _, in := range []string{canon, "5C56C793-69F3-4FBF-87E6-C4BF54C28C26",
		"{5c56c793-69f3-4fbf-87e6-c4bf54c28c26}", "urn:uuid:5c56c793-69f3-4fbf-87e6-c4bf54c28c26",
		"5c56c79369f34fbf87e6c4bf54c28c26"} {
		id, err := ParseID(in)
		if err != nil {
			t.Fatalf("ParseID(%q): %v", in, err)
		}
		if !id.IsUUID() || id.String() != canon {
			t.Fatalf("ParseID(%q) = %v", in, id)
		}
		b, _ := json.Marshal(id)
		if string(b) != `"`+canon+`"` {
			t.Fatalf("marshal = %s", b)
		}
	}
}

func TestIDOrderAndBinaryForm(t *testing.T) {
	u1 := UUIDID(uuid.MustParse("00000000-0000-0000-0000-000000000001"))
	u2 := UUIDID(uuid.MustParse("ffffffff-0000-0000-0000-000000000000"))
	ids := []ID{NumID(0), NumID(1), NumID(1 << 40), NumID(^uint64(0)), u1, u2}
	for i, a := range ids {
		bin := a.AppendBinary(nil)
		if len(bin) != BinarySize {
			t.Fatalf("binary size %d", len(bin))
		}
		back, err := IDFromBinary(bin)
		if err != nil || back != a {
			t.Fatalf("binary round trip %v = %v, %v", a, back, err)
		}
		for j, b := range ids {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Fatalf("Compare(%v, %v) = %d, want %d", a, b, got, want)
			}
			if got := slices.Compare(bin, b.AppendBinary(nil)); got != want {
				t.Fatalf("binary order of %v, %v = %d, want %d", a, b, got, want)
			}
		}
	}
	if _, err := IDFromBinary([]byte{2, 0}); !errors.Is(err, ErrBadID) {
		t.Fatalf("short binary: %v", err)
	}
}

// TestIDHashIsStable pins the shard-routing hash: stored shards depend on it,
// so a change here is a storage format change.
func TestIDHashIsStable(t *testing.T) {
	got := []uint64{NumID(0).Hash(), NumID(42).Hash(), UUIDID(uuid.MustParse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26")).Hash()}
	want := []uint64{0x4dfa4cffd1f7979f, 0x4dfa36ffd1f7723d, 0x4fc54dc15575132}
	if !slices.Equal(got, want) {
		t.Fatalf("Hash changed: got %#x, want %#x", got, want)
	}
}

func TestDistanceNames(t *testing.T) {
	for _, d := range []Distance{Cosine, Euclid, Dot, Manhattan} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Distance
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Fatalf("round trip %v = %v, %v", d, back, err)
		}
	}
	if _, err := ParseDistance("cosine"); !errors.Is(err, ErrBadDistance) {
		t.Fatalf("lower-case name accepted: %v", err)
	}
	if !Cosine.HigherIsBetter() || !Dot.HigherIsBetter() || Euclid.HigherIsBetter() || Manhattan.HigherIsBetter() {
		t.Fatal("HigherIsBetter wrong")
	}
}
