package engine

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// writeState returns every shard's last LSN and points 1..n as JSON, to
// check that a failed request changed nothing.
func writeState(t *testing.T, c *Collection, n uint64) string {
	t.Helper()
	var ids []point.ID
	for i := uint64(1); i <= n; i++ {
		ids = append(ids, point.NumID(i))
	}
	recs, err := c.Get(ctxb, ids, WithPayload{Enable: true}, WithVector{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	var lsns []uint64
	for _, s := range c.shards {
		lsns = append(lsns, s.lastLSNValue())
	}
	return jsonOf(lsns) + jsonOf(recs)
}

func twoShardCollection(t *testing.T) (*Storage, *Collection) {
	st := openTest(t, t.TempDir(), nil)
	req := simpleReq(4, point.Euclid)
	req.ShardNumber = intp(2)
	c := mustCreate(t, st, "c", req)
	for i := uint64(1); i <= 10; i++ {
		mustUpsert(t, c, PointStruct{ID: point.NumID(i), Vector: Vectors{"": {0, 0, 0, float32(i)}},
			Payload: payload.Payload{"n": float64(i)}})
	}
	return st, c
}

// TestUpdateVectorsMissingPointChangesNothing: a missing id on one shard
// fails the request before any shard logs or applies its part.
func TestUpdateVectorsMissingPointChangesNothing(t *testing.T) {
	st, c := twoShardCollection(t)
	defer st.Close()
	before := writeState(t, c, 10)
	for missing := uint64(1001); missing <= 1010; missing++ {
		var upd []PointVectors
		for i := uint64(1); i <= 10; i++ {
			upd = append(upd, PointVectors{ID: point.NumID(i), Vector: Vectors{"": {9, 9, 9, 9}}})
		}
		upd = append(upd, PointVectors{ID: point.NumID(missing), Vector: Vectors{"": {9, 9, 9, 9}}})
		_, err := c.UpdateVectors(ctxb, upd, true)
		if !errors.Is(err, ErrPointNotFound) || !strings.Contains(err.Error(), "No point with id "+point.NumID(missing).String()+" found") {
			t.Fatalf("UpdateVectors with missing %d: %v", missing, err)
		}
		if after := writeState(t, c, 10); after != before {
			t.Fatalf("failed UpdateVectors changed state:\nbefore %s\nafter  %s", before, after)
		}
	}
}

// TestStrictPayloadOpMissingPointChangesNothing: the same for set_payload
// and delete_vectors with a listed id that does not exist.
func TestStrictPayloadOpMissingPointChangesNothing(t *testing.T) {
	st, c := twoShardCollection(t)
	defer st.Close()
	before := writeState(t, c, 10)
	ids := []point.ID{}
	for i := uint64(1); i <= 10; i++ {
		ids = append(ids, point.NumID(i))
	}
	for missing := uint64(1001); missing <= 1010; missing++ {
		list := append(append([]point.ID(nil), ids...), point.NumID(missing))
		_, err := c.SetPayload(ctxb, SetPayload{Payload: payload.Payload{"x": "y"}, Points: list}, true)
		if !errors.Is(err, ErrPointNotFound) {
			t.Fatalf("SetPayload with missing %d: %v", missing, err)
		}
		_, err = c.DeleteVectors(ctxb, DeleteVectors{Points: list, Vector: []string{""}}, true)
		if !errors.Is(err, ErrPointNotFound) {
			t.Fatalf("DeleteVectors with missing %d: %v", missing, err)
		}
		if after := writeState(t, c, 10); after != before {
			t.Fatalf("failed request changed state:\nbefore %s\nafter  %s", before, after)
		}
	}
}

// TestPayloadEncodeErrorWritesNothing: a payload that cannot be encoded
// fails the request without logging a rewrite of the points.
func TestPayloadEncodeErrorWritesNothing(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(4, point.Euclid))
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 2, 3, 4}}, Payload: payload.Payload{"a": "b"}})
	before := writeState(t, c, 1)
	_, err := c.SetPayload(ctxb, SetPayload{Payload: payload.Payload{"x": math.NaN()}, Points: []point.ID{point.NumID(1)}}, true)
	if err == nil {
		t.Fatal("unencodable payload accepted")
	}
	if after := writeState(t, c, 1); after != before {
		t.Fatalf("failed SetPayload changed state:\nbefore %s\nafter  %s", before, after)
	}
}

// TestUpdateVectorsRepeatedIDFolds: a batch naming one id twice applies
// both updates in order.
func TestUpdateVectorsRepeatedIDFolds(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", CreateCollection{Vectors: VectorsConfig{
		"a": {Size: 2, Distance: point.Euclid}, "b": {Size: 2, Distance: point.Euclid}}})
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"a": {0, 0}, "b": {0, 0}}})
	_, err := c.UpdateVectors(ctxb, []PointVectors{
		{ID: point.NumID(1), Vector: Vectors{"a": {1, 1}}},
		{ID: point.NumID(1), Vector: Vectors{"b": {2, 2}}},
		{ID: point.NumID(1), Vector: Vectors{"b": {3, 3}}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Get(ctxb, []point.ID{point.NumID(1)}, WithPayload{}, WithVector{Enable: true})
	if err != nil || len(recs) != 1 {
		t.Fatalf("Get: %v %v", recs, err)
	}
	if got := jsonOf(recs[0].Vector); got != `{"a":[1.0,1.0],"b":[3.0,3.0]}` {
		t.Fatalf("vectors after repeated updates = %s", got)
	}
}
