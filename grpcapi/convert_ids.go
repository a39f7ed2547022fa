package grpcapi

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// idFromProto converts a PointId; a missing id or a UUID that does not
// parse is InvalidArgument, with Qdrant's wording.
func idFromProto(id *qdrant.PointId) (point.ID, error) {
	switch o := id.GetPointIdOptions().(type) {
	case *qdrant.PointId_Num:
		return point.NumID(o.Num), nil
	case *qdrant.PointId_Uuid:
		u, err := uuid.Parse(o.Uuid)
		if err != nil {
			return point.ID{}, invalidArg("Unable to parse UUID: %s", o.Uuid)
		}
		return point.UUIDID(u), nil
	}
	return point.ID{}, invalidArg("No ID options provided")
}

// idsFromProto converts a list of ids; never nil.
func idsFromProto(ids []*qdrant.PointId) ([]point.ID, error) {
	out := make([]point.ID, len(ids))
	for i, id := range ids {
		p, err := idFromProto(id)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// idToProto converts an id for an answer; UUIDs in canonical form.
func idToProto(id point.ID) *qdrant.PointId {
	if id.IsUUID() {
		return &qdrant.PointId{PointIdOptions: &qdrant.PointId_Uuid{Uuid: id.UUID().String()}}
	}
	return &qdrant.PointId{PointIdOptions: &qdrant.PointId_Num{Num: id.Num()}}
}

// selectorFromProto converts a PointsSelector: ids or a filter, exactly
// one (field names the request field in the error).
func selectorFromProto(sel *qdrant.PointsSelector, field string) (engine.PointsSelector, error) {
	switch o := sel.GetPointsSelectorOneOf().(type) {
	case *qdrant.PointsSelector_Points:
		ids, err := idsFromProto(o.Points.GetIds())
		if err != nil {
			return engine.PointsSelector{}, err
		}
		return engine.PointsSelector{Points: ids}, nil
	case *qdrant.PointsSelector_Filter:
		f, err := filterFromProto(o.Filter)
		if err != nil {
			return engine.PointsSelector{}, err
		}
		if f == nil {
			f = &payload.Filter{} // an empty filter selects every point
		}
		return engine.PointsSelector{Filter: f}, nil
	}
	return engine.PointsSelector{}, invalidArg("%s: missing field: expected points or filter", field)
}

// withPayloadFromProto converts a WithPayloadSelector; nil is nil (the
// operation's default applies, as with REST).
func withPayloadFromProto(w *qdrant.WithPayloadSelector) *engine.WithPayload {
	switch o := w.GetSelectorOptions().(type) {
	case *qdrant.WithPayloadSelector_Enable:
		return &engine.WithPayload{Enable: o.Enable}
	case *qdrant.WithPayloadSelector_Include:
		return &engine.WithPayload{Enable: true, Include: nonNilStrings(o.Include.GetFields())}
	case *qdrant.WithPayloadSelector_Exclude:
		return &engine.WithPayload{Enable: true, Exclude: nonNilStrings(o.Exclude.GetFields())}
	}
	return nil
}

// withVectorFromProto converts a WithVectorsSelector; nil is nil.
func withVectorFromProto(w *qdrant.WithVectorsSelector) *engine.WithVector {
	switch o := w.GetSelectorOptions().(type) {
	case *qdrant.WithVectorsSelector_Enable:
		return &engine.WithVector{Enable: o.Enable}
	case *qdrant.WithVectorsSelector_Include:
		return &engine.WithVector{Enable: true, Names: nonNilStrings(o.Include.GetNames())}
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkShardKey refuses a shard key selector: Cairn has no custom
// sharding (REST refuses shard_key the same way).
func checkShardKey(s *qdrant.ShardKeySelector) error {
	if s != nil && (len(s.GetShardKeys()) > 0 || s.GetFallback() != nil) {
		return invalidArg("shard_key: Cairn has no custom sharding; leave shard_key_selector out")
	}
	return nil
}

// checkOrdering accepts every write ordering: weak, medium and strong all
// mean the same on one node, as REST's `ordering` parameter.
func checkOrdering(o *qdrant.WriteOrdering) error {
	switch o.GetType() {
	case qdrant.WriteOrderingType_Weak, qdrant.WriteOrderingType_Medium, qdrant.WriteOrderingType_Strong:
		return nil
	}
	return invalidArg("ordering: unknown variant `%d`, expected one of `weak`, `medium`, `strong`", o.GetType())
}

// checkConsistency accepts every read consistency (a factor of at least
// 1, or all/majority/quorum): on one node every replica is the one.
func checkConsistency(rc *qdrant.ReadConsistency) error {
	switch v := rc.GetValue().(type) {
	case nil:
		return nil
	case *qdrant.ReadConsistency_Factor:
		if v.Factor < 1 {
			return invalidArg("read_consistency: factor must be 1 or more")
		}
	case *qdrant.ReadConsistency_Type:
		switch v.Type {
		case qdrant.ReadConsistencyType_All, qdrant.ReadConsistencyType_Majority, qdrant.ReadConsistencyType_Quorum:
		default:
			return invalidArg("read_consistency: unknown variant `%d`", v.Type)
		}
	}
	return nil
}

// uintToInt converts a proto unsigned count to int, saturating (the
// engine bounds what it allocates itself).
func uintToInt(u uint64) int {
	if u > uint64(maxInt) {
		return maxInt
	}
	return int(u)
}

const maxInt = int(^uint(0) >> 1)

// fieldf names a field of a list element ("points[3]").
func fieldf(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
