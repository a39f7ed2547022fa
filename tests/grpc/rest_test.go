package grpctests

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

// restHit is one scored point of a REST answer.
type restHit struct {
	ID      any            `json:"id"`
	Score   json.Number    `json:"score"`
	Payload map[string]any `json:"payload"`
}

// idString is a REST id (a json.Number or a UUID string) as text.
func idString(id any) string {
	switch x := id.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(id)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// sameHits fails unless gRPC's scored points are REST's: the same ids in
// the same order with the same float32 scores.
func sameHits(t *testing.T, what string, got []*qdrant.ScoredPoint, rest []restHit) {
	t.Helper()
	if len(got) != len(rest) {
		t.Errorf("%s: gRPC answered %d points, REST %d", what, len(got), len(rest))
		return
	}
	for i, p := range got {
		id, err := strconv.ParseUint(idString(rest[i].ID), 10, 64)
		if err != nil {
			t.Fatalf("%s: REST id %q: %v", what, rest[i].ID, err)
		}
		score, err := strconv.ParseFloat(rest[i].Score.String(), 32)
		if err != nil {
			t.Fatalf("%s: REST score %q: %v", what, rest[i].Score, err)
		}
		if p.GetId().GetNum() != id || p.GetScore() != float32(score) {
			t.Errorf("%s: hit %d is %d (score %v) over gRPC, %d (score %v) over REST", what, i, p.GetId().GetNum(), p.GetScore(), id, float32(score))
		}
	}
}

// restValue converts a REST payload value (numbers as json.Number) to what
// qdrant.NewValue takes: integers as int64, other numbers as float64.
func restValue(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatalf("REST number %q: %v", x, err)
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = restValue(t, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = restValue(t, e)
		}
		return out
	}
	return v
}

// TestRESTAndGRPC: points REST wrote are read by gRPC (ids, payloads with
// integers and doubles apart, vectors, search scores), and points gRPC
// wrote are read by REST the same way.
func TestRESTAndGRPC(t *testing.T) {
	t.Parallel()
	c := start(t, opts{})
	c.mustREST("PUT", "/collections/fromrest", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot"}})
	var restPts []map[string]any
	for i := range n {
		restPts = append(restPts, map[string]any{"id": i, "vector": vec(i), "payload": payloadOf(i)})
	}
	// A UUID id and a payload of every kind, nulls and a whole-number double included.
	const uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"
	odd := map[string]any{"null": nil, "whole": 2.0, "neg": int64(-7), "big": int64(1) << 53, "text": "ünïcode ✓", "deep": map[string]any{"a": []any{map[string]any{"b": 1.5}}},
		"maxint": int64(math.MaxInt64), "minint": int64(math.MinInt64), "tiny": 5e-324, "huge": 1.7976931348623157e308, "empty": map[string]any{}, "none": []any{}}
	oddJSON := maps.Clone(odd)
	oddJSON["whole"] = json.Number("2.0") // json.Marshal writes 2.0 as 2, an integer
	restPts = append(restPts, map[string]any{"id": uuid, "vector": vec(500), "payload": oddJSON})
	c.mustREST("PUT", "/collections/fromrest/points?wait=true", map[string]any{"points": restPts})
	c.createCollection("fromgrpc")
	c.upsert("fromgrpc", 0, n)
	if _, err := c.client.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "fromgrpc", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{{
		Id: qdrant.NewID(uuid), Vectors: qdrant.NewVectorsDense(vec(500)), Payload: qdrant.NewValueMap(odd)}}}); err != nil {
		t.Fatalf("upsert the uuid point: %v", err)
	}

	for _, coll := range []string{"fromrest", "fromgrpc"} {
		// gRPC reads.
		got, err := c.client.Get(ctx(t), &qdrant.GetPoints{CollectionName: coll, Ids: []*qdrant.PointId{qdrant.NewIDNum(5), qdrant.NewID(uuid)},
			WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true)})
		if err != nil {
			t.Fatalf("%s: gRPC get: %v", coll, err)
		}
		if len(got) != 2 {
			t.Fatalf("%s: gRPC get returned %d points, want 2", coll, len(got))
		}
		for _, p := range got {
			if p.GetId().GetUuid() == uuid {
				checkPayload(t, coll+" gRPC get uuid", 500, p.GetPayload(), odd)
				continue
			}
			checkPayload(t, coll+" gRPC get", 5, p.GetPayload(), payloadOf(5))
			if v := p.GetVectors().GetVector().GetDenseVector().GetData(); !slices.Equal(v, vec(5)) {
				t.Errorf("%s: gRPC vector of 5 = %v, want %v", coll, v, vec(5))
			}
		}
		// REST reads.
		var restGot []struct {
			ID      any            `json:"id"`
			Payload map[string]any `json:"payload"`
			Vector  []float32      `json:"vector"`
		}
		c.mustREST("POST", "/collections/"+coll+"/points", map[string]any{"ids": []any{5, uuid}, "with_payload": true, "with_vector": true}).Result(t, &restGot)
		if len(restGot) != 2 {
			t.Fatalf("%s: REST get returned %d points, want 2", coll, len(restGot))
		}
		for _, p := range restGot {
			want, wantVec := payloadOf(5), vec(5)
			if p.ID == uuid {
				want, wantVec = odd, vec(500)
			}
			checkPayload(t, coll+" REST get", 5, qdrant.NewValueMap(restValue(t, p.Payload).(map[string]any)), want)
			if !slices.Equal(p.Vector, wantVec) {
				t.Errorf("%s: REST vector of %v = %v, want %v", coll, p.ID, p.Vector, wantVec)
			}
		}
		// The same search over both transports.
		q := vec(4242)
		gs, err := c.client.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: coll, Vector: q, Limit: 7,
			Filter: &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewMatch("city", "Oslo")}}})
		if err != nil {
			t.Fatalf("%s: gRPC search: %v", coll, err)
		}
		var rs []restHit
		c.mustREST("POST", "/collections/"+coll+"/points/search", map[string]any{"vector": q, "limit": 7,
			"filter": map[string]any{"must_not": []any{map[string]any{"key": "city", "match": map[string]any{"value": "Oslo"}}}}}).Result(t, &rs)
		// The uuid point has no city: it may rank; compare all but ids' kinds.
		sameScoredMixed(t, coll+" search", gs.GetResult(), rs, uuid)
		// Counts agree.
		var rc struct {
			Count int `json:"count"`
		}
		c.mustREST("POST", "/collections/"+coll+"/points/count", map[string]any{"exact": true}).Result(t, &rc)
		if g := c.count(coll, nil); g != uint64(rc.Count) || g != n+1 {
			t.Errorf("%s: count %d over gRPC, %d over REST, want %d", coll, g, rc.Count, n+1)
		}
	}
}

// sameScoredMixed is sameHits for answers that may hold the uuid point.
func sameScoredMixed(t *testing.T, what string, got []*qdrant.ScoredPoint, rest []restHit, uuid string) {
	t.Helper()
	if len(got) != len(rest) {
		t.Errorf("%s: gRPC answered %d points, REST %d", what, len(got), len(rest))
		return
	}
	for i, p := range got {
		gid := strconv.FormatUint(p.GetId().GetNum(), 10)
		if p.GetId().GetUuid() != "" {
			gid = p.GetId().GetUuid()
		}
		score, err := strconv.ParseFloat(rest[i].Score.String(), 32)
		if err != nil {
			t.Fatalf("%s: REST score %q: %v", what, rest[i].Score, err)
		}
		if gid != idString(rest[i].ID) || p.GetScore() != float32(score) {
			t.Errorf("%s: hit %d is %s (score %v) over gRPC, %s (score %v) over REST", what, i, gid, p.GetScore(), rest[i].ID, float32(score))
		}
	}
}
