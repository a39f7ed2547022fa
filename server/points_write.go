package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// pointRoutes registers the point routes.
func (s *Server) pointRoutes() {
	const p = "/collections/:name/points"
	s.add(http.MethodPut, p, accessWrite, s.writeRoute(upsertOp))
	s.add(http.MethodPost, p+"/delete", accessWrite, s.writeRoute(deleteOp))
	s.add(http.MethodPost, p+"/payload", accessWrite, s.writeRoute(setPayloadOp))
	s.add(http.MethodPut, p+"/payload", accessWrite, s.writeRoute(overwritePayloadOp))
	s.add(http.MethodPost, p+"/payload/delete", accessWrite, s.writeRoute(deletePayloadOp))
	s.add(http.MethodPost, p+"/payload/clear", accessWrite, s.writeRoute(clearPayloadOp))
	s.add(http.MethodPut, p+"/vectors", accessWrite, s.writeRoute(updateVectorsOp))
	s.add(http.MethodPost, p+"/vectors/delete", accessWrite, s.writeRoute(deleteVectorsOp))
	s.add(http.MethodPost, p+"/batch", accessWrite, s.batchUpdate)
	s.readRoutes()
}

// writeOp decodes one kind of update from JSON and applies it.
type writeOp func(ctx context.Context, col *engine.Collection, body []byte, wait bool) (engine.UpdateResult, error)

// writeRoute turns a writeOp into a handler: resolve the collection, read
// wait/ordering, decode, apply, answer the UpdateResult.
func (s *Server) writeRoute(op writeOp) echo.HandlerFunc {
	return func(c echo.Context) error {
		col, err := s.collection(c)
		if err != nil {
			return err
		}
		wait, err := waitParam(c)
		if err != nil {
			return err
		}
		secs, err := timeoutParam(c)
		if err != nil {
			return err
		}
		body, release, err := s.readPooledBody(c)
		if err != nil {
			return err
		}
		defer release()
		res, err := op(engine.WithClientTimeout(c.Request().Context(), secs), col, body, wait)
		if err != nil {
			return err
		}
		return ok(c, res)
	}
}

// pointIn is one point of an upsert: Qdrant's PointStruct.
type pointIn struct {
	ID      *point.ID `json:"id"`
	Vector  vectorIn  `json:"vector"`
	Payload rawJSON   `json:"payload"`
}

// batchIn is Qdrant's Batch: parallel arrays of ids, vectors, payloads.
type batchIn struct {
	IDs      []point.ID `json:"ids"`
	Vectors  rawJSON    `json:"vectors"`
	Payloads []rawJSON  `json:"payloads"`
}

// insertIn is Qdrant's PointInsertOperations: a list or a batch.
type insertIn struct {
	Points       *[]pointIn      `json:"points"`
	Batch        *batchIn        `json:"batch"`
	ShardKey     rawJSON         `json:"shard_key"`
	UpdateFilter *payload.Filter `json:"update_filter"`
	UpdateMode   *string         `json:"update_mode"`
}

// options returns the conditional upsert the body asks for.
func (in *insertIn) options() engine.UpsertOptions {
	o := engine.UpsertOptions{Filter: in.UpdateFilter}
	if in.UpdateMode != nil {
		o.Mode = engine.UpdateMode(*in.UpdateMode)
	}
	return o
}

func upsertOp(ctx context.Context, col *engine.Collection, body []byte, wait bool) (engine.UpdateResult, error) {
	if pts, ok := fastUpsert(body); ok {
		return col.Upsert(ctx, pts, wait)
	}
	var in insertIn
	if err := decodeJSON(body, &in); err != nil {
		return engine.UpdateResult{}, err
	}
	pts, err := in.points()
	if err != nil {
		return engine.UpdateResult{}, badJSON(err)
	}
	return col.UpsertWith(ctx, pts, in.options(), wait)
}

// points converts either form to engine points.
func (in *insertIn) points() ([]engine.PointStruct, error) {
	switch {
	case !in.ShardKey.isNull():
		return nil, &fieldError{Field: "shard_key", Msg: "Cairn has no custom sharding; leave shard_key out"}
	case in.Points != nil && in.Batch != nil:
		return nil, &fieldError{Field: "points", Msg: "give either points or batch, not both"}
	case in.Points != nil:
		return listPoints(*in.Points)
	case in.Batch != nil:
		return in.Batch.points()
	}
	return nil, &fieldError{Field: "points", Msg: "missing field: expected points or batch"}
}

func listPoints(list []pointIn) ([]engine.PointStruct, error) {
	out := make([]engine.PointStruct, len(list))
	for i := range list {
		p := &list[i]
		field := fmt.Sprintf("points[%d]", i)
		if p.ID == nil {
			return nil, &fieldError{Field: field + ".id", Msg: "missing field"}
		}
		if !p.Vector.set {
			return nil, &fieldError{Field: field + ".vector", Msg: "missing field"}
		}
		pl, err := decodePayload(p.Payload, field+".payload")
		if err != nil {
			return nil, err
		}
		out[i] = engine.PointStruct{ID: *p.ID, Vector: p.Vector.dense, Sparse: p.Vector.sparse, Payload: pl}
	}
	return out, nil
}

func (b *batchIn) points() ([]engine.PointStruct, error) {
	n := len(b.IDs)
	vecs, sparse, err := batchVectors(b.Vectors, n)
	if err != nil {
		return nil, err
	}
	if b.Payloads != nil && len(b.Payloads) != n {
		return nil, &fieldError{Field: "batch.payloads", Msg: fmt.Sprintf("%d payloads for %d ids", len(b.Payloads), n)}
	}
	out := make([]engine.PointStruct, n)
	for i, id := range b.IDs {
		out[i] = engine.PointStruct{ID: id, Vector: vecs[i], Sparse: sparse[i]}
		if b.Payloads != nil {
			pl, err := decodePayload(b.Payloads[i], fmt.Sprintf("batch.payloads[%d]", i))
			if err != nil {
				return nil, err
			}
			out[i].Payload = pl
		}
	}
	return out, nil
}

// batchVectors reads Qdrant's BatchVectorStruct: a list of arrays (the
// unnamed vector) or an object of named lists of arrays or sparse vectors.
func batchVectors(raw rawJSON, n int) ([]engine.Vectors, []engine.SparseVectors, error) {
	if raw.isNull() {
		return nil, nil, &fieldError{Field: "batch.vectors", Msg: "missing field"}
	}
	sparse := make([]engine.SparseVectors, n)
	out := make([]engine.Vectors, n)
	for i := range out {
		out[i] = engine.Vectors{}
	}
	named := map[string]rawJSON{}
	if raw[0] == '[' {
		named[""] = raw
	} else if err := (codec{}).unmarshal(raw, &named); err != nil {
		return nil, nil, &fieldError{Field: "batch.vectors", Msg: jsonErrorText(err)}
	}
	for name, list := range named {
		field := "batch.vectors"
		if name != "" {
			field += "." + name
		}
		var items []rawJSON
		if err := (codec{}).unmarshal(list, &items); err != nil {
			return nil, nil, &fieldError{Field: field, Msg: jsonErrorText(err)}
		}
		if len(items) != n {
			return nil, nil, &fieldError{Field: field, Msg: fmt.Sprintf("%d vectors for %d ids", len(items), n)}
		}
		for i, it := range items {
			at := fmt.Sprintf("%s[%d]", field, i)
			if len(it) > 0 && it[0] == '{' && name != "" {
				sv, err := parseSparse(it, at)
				if err != nil {
					return nil, nil, err
				}
				if sparse[i] == nil {
					sparse[i] = engine.SparseVectors{}
				}
				sparse[i][name] = sv
				continue
			}
			f, err := parseFloats(it, at)
			if err != nil {
				return nil, nil, err
			}
			out[i][name] = f
		}
	}
	return out, sparse, nil
}

// decodePayload reads a payload object with exact numbers; null is none.
func decodePayload(raw rawJSON, field string) (payload.Payload, error) {
	if raw.isNull() {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, &fieldError{Field: field, Msg: "expected an object"}
	}
	pl, err := payload.Parse(raw)
	if err != nil {
		return nil, &fieldError{Field: field, Msg: err.Error()}
	}
	return pl, nil
}

// selectorIn is Qdrant's PointsSelector.
type selectorIn struct {
	Points *[]point.ID     `json:"points"`
	Filter *payload.Filter `json:"filter"`
}

func (in *selectorIn) selector() (engine.PointsSelector, error) {
	switch {
	case in.Points != nil && in.Filter != nil:
		return engine.PointsSelector{}, &fieldError{Field: "points", Msg: "give either points or filter, not both"}
	case in.Points != nil:
		return engine.PointsSelector{Points: nonNil(*in.Points)}, nil
	case in.Filter != nil:
		return engine.PointsSelector{Filter: in.Filter}, nil
	}
	return engine.PointsSelector{}, &fieldError{Field: "points", Msg: "missing field: expected points or filter"}
}

func decodeSelector(body []byte) (engine.PointsSelector, error) {
	var in selectorIn
	if err := decodeJSON(body, &in); err != nil {
		return engine.PointsSelector{}, err
	}
	sel, err := in.selector()
	if err != nil {
		return sel, badJSON(err)
	}
	return sel, nil
}

// decodeThen makes a writeOp from a body decoder and the engine method that
// applies what it decodes.
func decodeThen[R any](decode func([]byte) (R, error), apply func(*engine.Collection, context.Context, R, bool) (engine.UpdateResult, error)) writeOp {
	return func(ctx context.Context, col *engine.Collection, body []byte, wait bool) (engine.UpdateResult, error) {
		req, err := decode(body)
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return apply(col, ctx, req, wait)
	}
}

var (
	deleteOp           = decodeThen(decodeSelector, (*engine.Collection).Delete)
	clearPayloadOp     = decodeThen(decodeSelector, (*engine.Collection).ClearPayload)
	setPayloadOp       = decodeThen(decodeSetPayload, (*engine.Collection).SetPayload)
	overwritePayloadOp = decodeThen(decodeSetPayload, (*engine.Collection).OverwritePayload)
	deletePayloadOp    = decodeThen(decodeDeletePayload, (*engine.Collection).DeletePayload)
	updateVectorsOp    = decodeThen(decodeUpdateVectors, func(c *engine.Collection, ctx context.Context, u updateVectors, wait bool) (engine.UpdateResult, error) {
		return c.UpdateVectorsWith(ctx, u.points, u.filter, wait)
	})
	deleteVectorsOp = decodeThen(decodeDeleteVectors, (*engine.Collection).DeleteVectors)
)

// setPayloadIn is Qdrant's SetPayload body.
type setPayloadIn struct {
	Payload rawJSON         `json:"payload"`
	Points  *[]point.ID     `json:"points"`
	Filter  *payload.Filter `json:"filter"`
	Key     string          `json:"key"`
}

func decodeSetPayload(body []byte) (engine.SetPayload, error) {
	var in setPayloadIn
	if err := decodeJSON(body, &in); err != nil {
		return engine.SetPayload{}, err
	}
	if in.Payload.isNull() {
		return engine.SetPayload{}, badJSON(&fieldError{Field: "payload", Msg: "missing field"})
	}
	pl, err := decodePayload(in.Payload, "payload")
	if err != nil {
		return engine.SetPayload{}, badJSON(err)
	}
	sel, err := (&selectorIn{Points: in.Points, Filter: in.Filter}).selector()
	if err != nil {
		return engine.SetPayload{}, badJSON(err)
	}
	return engine.SetPayload{Payload: pl, Points: sel.Points, Filter: sel.Filter, Key: in.Key}, nil
}

type deletePayloadIn struct {
	Keys   *[]string       `json:"keys"`
	Points *[]point.ID     `json:"points"`
	Filter *payload.Filter `json:"filter"`
}

func decodeDeletePayload(body []byte) (engine.DeletePayload, error) {
	var in deletePayloadIn
	if err := decodeJSON(body, &in); err != nil {
		return engine.DeletePayload{}, err
	}
	if in.Keys == nil {
		return engine.DeletePayload{}, badJSON(&fieldError{Field: "keys", Msg: "missing field"})
	}
	sel, err := (&selectorIn{Points: in.Points, Filter: in.Filter}).selector()
	if err != nil {
		return engine.DeletePayload{}, badJSON(err)
	}
	return engine.DeletePayload{Keys: *in.Keys, Points: sel.Points, Filter: sel.Filter}, nil
}

type pointVectorsIn struct {
	ID     *point.ID `json:"id"`
	Vector vectorIn  `json:"vector"`
}

type updateVectorsIn struct {
	Points       *[]pointVectorsIn `json:"points"`
	UpdateFilter *payload.Filter   `json:"update_filter"`
}

// updateVectors is a decoded update-vectors body.
type updateVectors struct {
	points []engine.PointVectors
	filter *payload.Filter
}

func decodeUpdateVectors(body []byte) (updateVectors, error) {
	var in updateVectorsIn
	if err := decodeJSON(body, &in); err != nil {
		return updateVectors{}, err
	}
	if in.Points == nil {
		return updateVectors{}, badJSON(&fieldError{Field: "points", Msg: "missing field"})
	}
	pts := make([]engine.PointVectors, len(*in.Points))
	for i, p := range *in.Points {
		if p.ID == nil || !p.Vector.set {
			return updateVectors{}, badJSON(&fieldError{Field: fmt.Sprintf("points[%d]", i), Msg: "missing field id or vector"})
		}
		pts[i] = engine.PointVectors{ID: *p.ID, Vector: p.Vector.dense, Sparse: p.Vector.sparse}
	}
	return updateVectors{points: pts, filter: in.UpdateFilter}, nil
}

type deleteVectorsIn struct {
	Points *[]point.ID     `json:"points"`
	Filter *payload.Filter `json:"filter"`
	Vector *[]string       `json:"vector"`
}

func decodeDeleteVectors(body []byte) (engine.DeleteVectors, error) {
	var in deleteVectorsIn
	if err := decodeJSON(body, &in); err != nil {
		return engine.DeleteVectors{}, err
	}
	if in.Vector == nil {
		return engine.DeleteVectors{}, badJSON(&fieldError{Field: "vector", Msg: "missing field"})
	}
	sel, err := (&selectorIn{Points: in.Points, Filter: in.Filter}).selector()
	if err != nil {
		return engine.DeleteVectors{}, badJSON(err)
	}
	return engine.DeleteVectors{Points: sel.Points, Filter: sel.Filter, Vector: *in.Vector}, nil
}

// batchOps maps the keys of Qdrant's UpdateOperation to their decoders.
var batchOps = map[string]writeOp{
	"upsert":            upsertOp,
	"delete":            deleteOp,
	"set_payload":       setPayloadOp,
	"overwrite_payload": overwritePayloadOp,
	"delete_payload":    deletePayloadOp,
	"clear_payload":     clearPayloadOp,
	"update_vectors":    updateVectorsOp,
	"delete_vectors":    deleteVectorsOp,
}

type batchUpdateIn struct {
	Operations *[]map[string]rawJSON `json:"operations"`
}

// batchUpdate applies a list of update operations in order, one by one as
// Qdrant does (not atomically). An unknown operation name is refused before
// anything is applied; a later operation that fails leaves the earlier ones
// applied and names its index.
func (s *Server) batchUpdate(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	var in batchUpdateIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	if in.Operations == nil {
		return badJSON(&fieldError{Field: "operations", Msg: "missing field"})
	}
	type step struct {
		op   writeOp
		body []byte
	}
	steps := make([]step, len(*in.Operations))
	for i, m := range *in.Operations {
		if len(m) != 1 {
			return badJSON(&fieldError{Field: fmt.Sprintf("operations[%d]", i), Msg: "expected exactly one operation"})
		}
		for k, v := range m {
			op, found := batchOps[k]
			if !found {
				return badJSON(&fieldError{Field: fmt.Sprintf("operations[%d]", i), Msg: fmt.Sprintf("unknown operation `%s`", k)})
			}
			steps[i] = step{op, v}
		}
	}
	results := make([]engine.UpdateResult, 0, len(steps))
	for i, st := range steps {
		res, err := st.op(c.Request().Context(), col, st.body, wait)
		if err != nil {
			return fmt.Errorf("operations[%d]: %w", i, err)
		}
		results = append(results, res)
	}
	return ok(c, results)
}
