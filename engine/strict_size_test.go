package engine

import (
	"errors"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestStrictModePayloadSize: max_collection_payload_size_bytes refuses
// upserts, vector updates and payload sets once the payload bytes (sealed
// segments' and the head's) reach it; deletes and clears still pass.
func TestStrictModePayloadSize(t *testing.T) {
	st, c := strictCollection(t, nil, nil) // 5 points of {"city":"Berlin"}
	per := len(mustEncode(t, payload.Payload{"city": "Berlin"}))
	if got := c.payloadBytes(); got != 5*per {
		t.Fatalf("payload bytes %d, want %d", got, 5*per)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := c.payloadBytes(); got != 5*per {
		t.Fatalf("payload bytes after seal %d, want %d", got, 5*per)
	}
	lim := 6 * per
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{Enabled: boolp(true), MaxCollectionPayloadSizeBytes: intp(lim)}}); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, strictPoints(6, 1)...) // 6 payloads: the limit reached
	want := "Bad request: Max payload storage size limit of " + megabytes(lim) + "MB reached!"
	_, err := c.Upsert(ctxb, strictPoints(7, 1), true)
	wantStrict(t, "upsert", err, want)
	_, err = c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(1), Vector: Vectors{"": {1, 1, 1, 1}}}}, true)
	wantStrict(t, "update vectors", err, want)
	_, err = c.SetPayload(ctxb, SetPayload{Payload: payload.Payload{"x": 1}, Points: []point.ID{point.NumID(1)}}, true)
	wantStrict(t, "set payload", err, want)
	_, err = c.OverwritePayload(ctxb, SetPayload{Payload: payload.Payload{"x": 1}, Points: []point.ID{point.NumID(1)}}, true)
	wantStrict(t, "overwrite payload", err, want)
	if n := mustCount(t, c, nil); n != 6 {
		t.Fatalf("%d points after refusals, want 6", n)
	}
	// Clearing payloads is no payload write: it passes and frees the head's bytes.
	if _, err := c.ClearPayload(ctxb, PointsSelector{Points: []point.ID{point.NumID(6)}}, true); err != nil {
		t.Fatalf("clear payload: %v", err)
	}
	if got := c.payloadBytes(); got != 5*per {
		t.Fatalf("payload bytes after clear %d, want %d", got, 5*per)
	}
	mustUpsert(t, c, strictPoints(7, 1)...)
	if got := megabytes(1000); got != "0.0009536743" {
		t.Fatalf("megabytes(1000) %s", got)
	}
}

func mustEncode(t *testing.T, p payload.Payload) []byte {
	t.Helper()
	b, err := encodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStrictModeSparseLength: sparse_config refuses, on upsert and vector
// update, a sparse vector of more indices than its name's max_length, in
// Qdrant's words, and is stored, merged (replaced whole) and validated.
func TestStrictModeSparseLength(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := sparseReq()
	req.StrictModeConfig = &StrictModeConfig{Enabled: boolp(true), SparseConfig: map[string]StrictModeSparse{"s": {MaxLength: intp(2)}}}
	c := mustCreate(t, st, "c", req)
	long := point.SparseVector{Indices: []uint32{1, 2, 3}, Values: []float32{1, 2, 3}}
	short := point.SparseVector{Indices: []uint32{1, 2}, Values: []float32{1, 2}}
	pt := func(id uint64, sv SparseVectors) PointStruct {
		return PointStruct{ID: point.NumID(id), Vector: Vectors{"d": {1, 2}}, Sparse: sv}
	}
	want := "Bad request: Sparse vector 's' has a limit of 2 indices, but 3 were provided!"
	_, err := c.Upsert(ctxb, []PointStruct{pt(1, SparseVectors{"s": short}), pt(2, SparseVectors{"s": long})}, true)
	wantStrict(t, "upsert", err, want)
	mustUpsert(t, c, pt(1, SparseVectors{"s": short, "t": long})) // "t" has no limit
	_, err = c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(1), Sparse: SparseVectors{"s": long}}}, true)
	wantStrict(t, "update vectors", err, want)
	if n := mustCount(t, c, nil); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
	// A PATCH giving sparse_config replaces it; one without keeps it.
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxQueryLimit: intp(9)}}); err != nil {
		t.Fatal(err)
	}
	if got, want := jsonOf(c.Info().Config.StrictModeConfig), `{"enabled":true,"max_query_limit":9,"sparse_config":{"s":{"max_length":2}}}`; got != want {
		t.Fatalf("strict mode %s, want %s", got, want)
	}
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{SparseConfig: map[string]StrictModeSparse{"t": {MaxLength: intp(1)}}}}); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, pt(2, SparseVectors{"s": long}))
	_, err = c.Upsert(ctxb, []PointStruct{pt(3, SparseVectors{"t": long})}, true)
	wantStrict(t, "upsert t", err, "Bad request: Sparse vector 't' has a limit of 1 indices, but 3 were provided!")
	err = st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{SparseConfig: map[string]StrictModeSparse{"t": {MaxLength: intp(0)}}}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("max_length 0: %v, want ErrInvalid", err)
	}
}
