package grpcapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cairn-db/cairn/engine"
)

// Collection settings arrive as proto messages. They are turned into the
// JSON body of the REST request that asks for the same (Qdrant's REST and
// gRPC schemas name the same settings), and that body goes through REST's
// path: decoded into the engine's request type, checked by
// engine.CheckCreateCollection or engine.CheckCollectionUpdate (the one
// table of settings Cairn refuses), applied by the engine. So a setting
// gRPC sends is implemented, kept or refused exactly as REST does it, with
// REST's message.

// jsonObject is one JSON object of a REST body under construction.
type jsonObject map[string]any

// setOpt sets key to *v when v is set.
func setOpt[T any](o jsonObject, key string, v *T) {
	if v != nil {
		o[key] = *v
	}
}

// createCollectionBody is the REST create-collection body asking for what
// req asks for. Timeout is not part of it: it bounds, in Qdrant, the wait
// for the cluster's consensus, which a single Cairn node does not have
// (the collection exists when the call returns).
func createCollectionBody(req *qdrant.CreateCollection) (jsonObject, error) {
	b := jsonObject{}
	if vc := req.GetVectorsConfig(); vc != nil {
		v, err := vectorsConfigJSON(vc)
		if err != nil {
			return nil, err
		}
		b["vectors"] = v
	}
	setOpt(b, "shard_number", req.ShardNumber)
	setOpt(b, "replication_factor", req.ReplicationFactor)
	setOpt(b, "write_consistency_factor", req.WriteConsistencyFactor)
	setOpt(b, "on_disk_payload", req.OnDiskPayload)
	if req.ShardingMethod != nil {
		b["sharding_method"] = shardingMethodJSON(*req.ShardingMethod)
	}
	if h := req.HnswConfig; h != nil {
		b["hnsw_config"] = hnswDiffJSON(h)
	}
	if w := req.WalConfig; w != nil {
		b["wal_config"] = walDiffJSON(w)
	}
	if o := req.OptimizersConfig; o != nil {
		b["optimizers_config"] = optimizersDiffJSON(o)
	}
	if q := req.QuantizationConfig; q != nil {
		raw, err := quantizationJSON(q)
		if err != nil {
			return nil, err
		}
		b["quantization_config"] = raw
	}
	if err := setMessages(b, req.SparseVectorsConfig, req.StrictModeConfig); err != nil {
		return nil, err
	}
	if req.Metadata != nil {
		b["metadata"] = valuesJSON(req.Metadata)
	}
	return b, nil
}

// updateCollectionBody is the REST update-collection body asking for what
// req asks for (Timeout as in createCollectionBody).
func updateCollectionBody(req *qdrant.UpdateCollection) (jsonObject, error) {
	b := jsonObject{}
	if vc := req.GetVectorsConfig(); vc != nil {
		v, err := vectorsDiffJSON(vc)
		if err != nil {
			return nil, err
		}
		b["vectors"] = v
	}
	if o := req.OptimizersConfig; o != nil {
		b["optimizers_config"] = optimizersDiffJSON(o)
	}
	if p := req.Params; p != nil {
		pj := jsonObject{}
		setOpt(pj, "replication_factor", p.ReplicationFactor)
		setOpt(pj, "write_consistency_factor", p.WriteConsistencyFactor)
		setOpt(pj, "on_disk_payload", p.OnDiskPayload)
		setOpt(pj, "read_fan_out_factor", p.ReadFanOutFactor)
		setOpt(pj, "read_fan_out_delay_ms", p.ReadFanOutDelayMs)
		b["params"] = pj
	}
	if h := req.HnswConfig; h != nil {
		b["hnsw_config"] = hnswDiffJSON(h)
	}
	if q := req.QuantizationConfig; q != nil {
		raw, err := messageJSON(q)
		if err != nil {
			return nil, err
		}
		b["quantization_config"] = raw
	}
	if err := setMessages(b, req.SparseVectorsConfig, req.StrictModeConfig); err != nil {
		return nil, err
	}
	if req.Metadata != nil {
		b["metadata"] = valuesJSON(req.Metadata)
	}
	return b, nil
}

// setMessages sets the settings Cairn refuses (or accepts only in their
// "off" form) from their proto messages, field for field in REST's names,
// so that the check sees what was asked for.
func setMessages(b jsonObject, sparse *qdrant.SparseVectorConfig, strict *qdrant.StrictModeConfig) error {
	if sparse != nil {
		m := jsonObject{}
		for name, p := range sparse.GetMap() {
			m[name] = sparseParamsJSON(p)
		}
		b["sparse_vectors"] = m
	}
	if strict != nil {
		raw, err := strictJSON(strict)
		if err != nil {
			return err
		}
		b["strict_mode_config"] = raw
	}
	return nil
}

// strictJSON writes a StrictModeConfig as REST spells it: its uint64
// limits as numbers (protojson writes them as strings), and sparse_config
// and multivector_config flattened to their maps (the proto wraps each map
// in a message of one field named as the setting).
func strictJSON(m *qdrant.StrictModeConfig) (json.RawMessage, error) {
	raw, err := messageJSON(m)
	if err != nil {
		return nil, err
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, invalidArg("Format error in JSON body: %v", err)
	}
	for k, v := range o {
		var s string
		if json.Unmarshal(v, &s) == nil {
			if _, err := strconv.ParseUint(s, 10, 64); err == nil {
				o[k] = json.RawMessage(s)
			}
		}
	}
	if sc := m.GetSparseConfig(); sc != nil {
		out := jsonObject{}
		for name, l := range sc.GetSparseConfig() {
			e := jsonObject{}
			if l.MaxLength != nil {
				e["max_length"] = l.GetMaxLength()
			}
			out[name] = e
		}
		o["sparse_config"], _ = json.Marshal(out)
	}
	if mc := m.GetMultivectorConfig(); mc != nil {
		inner, err := messageJSON(mc)
		if err != nil {
			return nil, err
		}
		var w map[string]json.RawMessage
		if json.Unmarshal(inner, &w) == nil && w["multivector_config"] != nil {
			o["multivector_config"] = w["multivector_config"]
		}
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, invalidArg("Format error in JSON body: %v", err)
	}
	return b, nil
}

// quantizationJSON writes a QuantizationConfig as REST spells it: the
// scalar form by hand (REST's type is "int8", protojson's enum name
// "Int8"), the others (which the check refuses) field for field.
func quantizationJSON(q *qdrant.QuantizationConfig) (json.RawMessage, error) {
	sq := q.GetScalar()
	if sq == nil {
		return messageJSON(q)
	}
	o := jsonObject{"type": strings.ToLower(sq.GetType().String())}
	if sq.Quantile != nil {
		o["quantile"] = sq.GetQuantile()
	}
	if sq.AlwaysRam != nil {
		o["always_ram"] = sq.GetAlwaysRam()
	}
	b, err := json.Marshal(jsonObject{"scalar": o})
	if err != nil {
		return nil, invalidArg("Format error in JSON body: %v", err)
	}
	return b, nil
}

// sparseParamsJSON is REST's SparseVectorParams for p (enum values in
// REST's lower-case spelling, which protojson would not give).
func sparseParamsJSON(p *qdrant.SparseVectorParams) jsonObject {
	o := jsonObject{}
	if ix := p.GetIndex(); ix != nil {
		io := jsonObject{}
		setOpt(io, "full_scan_threshold", ix.FullScanThreshold)
		setOpt(io, "on_disk", ix.OnDisk)
		if ix.Datatype != nil {
			io["datatype"] = datatypeNames[*ix.Datatype]
		}
		o["index"] = io
	}
	if p.Modifier != nil {
		switch *p.Modifier {
		case qdrant.Modifier_Idf:
			o["modifier"] = "idf"
		case qdrant.Modifier_None:
			o["modifier"] = "none"
		default:
			o["modifier"] = fmt.Sprintf("%d", *p.Modifier)
		}
	}
	return o
}

// messageJSON is a message in JSON with its proto (snake_case, REST's)
// field names and only the fields that are set.
func messageJSON(m proto.Message) (json.RawMessage, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, invalidArg("Format error in JSON body: %v", err)
	}
	return b, nil
}

func vectorsConfigJSON(vc *qdrant.VectorsConfig) (any, error) {
	switch c := vc.GetConfig().(type) {
	case *qdrant.VectorsConfig_Params:
		return vectorParamsJSON(c.Params)
	case *qdrant.VectorsConfig_ParamsMap:
		m := jsonObject{}
		for name, p := range c.ParamsMap.GetMap() {
			v, err := vectorParamsJSON(p)
			if err != nil {
				return nil, err
			}
			m[name] = v
		}
		return m, nil
	}
	return nil, invalidArg("Validation error: vectors_config: one of params or params_map is required")
}

func vectorParamsJSON(p *qdrant.VectorParams) (jsonObject, error) {
	if p == nil {
		p = &qdrant.VectorParams{}
	}
	dist, ok := distanceNames[p.GetDistance()]
	if !ok {
		return nil, invalidArg("Wrong input: Malformed distance parameter: %s", p.GetDistance())
	}
	o := jsonObject{"size": p.GetSize(), "distance": dist}
	if p.HnswConfig != nil {
		o["hnsw_config"] = hnswDiffJSON(p.HnswConfig)
	}
	if p.QuantizationConfig != nil {
		raw, err := quantizationJSON(p.QuantizationConfig)
		if err != nil {
			return nil, err
		}
		o["quantization_config"] = raw
	}
	setOpt(o, "on_disk", p.OnDisk)
	if p.Datatype != nil {
		o["datatype"] = datatypeNames[*p.Datatype]
	}
	if p.MultivectorConfig != nil {
		raw, err := messageJSON(p.MultivectorConfig)
		if err != nil {
			return nil, err
		}
		o["multivector_config"] = raw
	}
	return o, nil
}

// vectorsDiffJSON is REST's map of vector names to changes; the single
// unnamed form changes the unnamed vector ("").
func vectorsDiffJSON(vc *qdrant.VectorsConfigDiff) (jsonObject, error) {
	diffs := map[string]*qdrant.VectorParamsDiff{}
	switch c := vc.GetConfig().(type) {
	case *qdrant.VectorsConfigDiff_Params:
		diffs[""] = c.Params
	case *qdrant.VectorsConfigDiff_ParamsMap:
		diffs = c.ParamsMap.GetMap()
	}
	m := jsonObject{}
	for name, d := range diffs {
		if d == nil {
			d = &qdrant.VectorParamsDiff{}
		}
		o := jsonObject{}
		if d.HnswConfig != nil {
			o["hnsw_config"] = hnswDiffJSON(d.HnswConfig)
		}
		if d.QuantizationConfig != nil {
			raw, err := messageJSON(d.QuantizationConfig)
			if err != nil {
				return nil, err
			}
			o["quantization_config"] = raw
		}
		setOpt(o, "on_disk", d.OnDisk)
		m[name] = o
	}
	return m, nil
}

func hnswDiffJSON(h *qdrant.HnswConfigDiff) jsonObject {
	o := jsonObject{}
	setOpt(o, "m", h.M)
	setOpt(o, "ef_construct", h.EfConstruct)
	setOpt(o, "full_scan_threshold", h.FullScanThreshold)
	setOpt(o, "max_indexing_threads", h.MaxIndexingThreads)
	setOpt(o, "on_disk", h.OnDisk)
	setOpt(o, "payload_m", h.PayloadM)
	setOpt(o, "inline_storage", h.InlineStorage)
	return o
}

func walDiffJSON(w *qdrant.WalConfigDiff) jsonObject {
	o := jsonObject{}
	setOpt(o, "wal_capacity_mb", w.WalCapacityMb)
	setOpt(o, "wal_segments_ahead", w.WalSegmentsAhead)
	setOpt(o, "wal_retain_closed", w.WalRetainClosed)
	return o
}

func optimizersDiffJSON(d *qdrant.OptimizersConfigDiff) jsonObject {
	o := jsonObject{}
	setOpt(o, "deleted_threshold", d.DeletedThreshold)
	setOpt(o, "vacuum_min_vector_number", d.VacuumMinVectorNumber)
	setOpt(o, "default_segment_number", d.DefaultSegmentNumber)
	setOpt(o, "max_segment_size", d.MaxSegmentSize)
	setOpt(o, "memmap_threshold", d.MemmapThreshold)
	setOpt(o, "indexing_threshold", d.IndexingThreshold)
	setOpt(o, "flush_interval_sec", d.FlushIntervalSec)
	setOpt(o, "prevent_unoptimized", d.PreventUnoptimized)
	// Qdrant reads the deprecated plain number when the new field is unset.
	setOpt(o, "max_optimization_threads", d.DeprecatedMaxOptimizationThreads)
	switch t := d.GetMaxOptimizationThreads().GetVariant().(type) {
	case *qdrant.MaxOptimizationThreads_Value:
		o["max_optimization_threads"] = t.Value
	case *qdrant.MaxOptimizationThreads_Setting_:
		o["max_optimization_threads"] = "auto" // Auto is the setting's only value
	}
	return o
}

var distanceNames = map[qdrant.Distance]string{
	qdrant.Distance_Cosine:    "Cosine",
	qdrant.Distance_Euclid:    "Euclid",
	qdrant.Distance_Dot:       "Dot",
	qdrant.Distance_Manhattan: "Manhattan",
}

var datatypeNames = map[qdrant.Datatype]string{
	qdrant.Datatype_Default: "float32", // Qdrant's default datatype
	qdrant.Datatype_Float32: "float32",
	qdrant.Datatype_Uint8:   "uint8",
	qdrant.Datatype_Float16: "float16",
}

func shardingMethodJSON(m qdrant.ShardingMethod) string {
	if m == qdrant.ShardingMethod_Custom {
		return "custom"
	}
	return "auto"
}

// valuesJSON turns a map of proto values (collection metadata) into JSON
// values.
func valuesJSON(m map[string]*qdrant.Value) jsonObject {
	o := make(jsonObject, len(m))
	for k, v := range m {
		o[k] = valueJSON(v)
	}
	return o
}

func valueJSON(v *qdrant.Value) any {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_DoubleValue:
		if math.IsNaN(k.DoubleValue) || math.IsInf(k.DoubleValue, 0) {
			return nil // JSON has no such number; Qdrant stores null
		}
		return k.DoubleValue
	case *qdrant.Value_IntegerValue:
		return k.IntegerValue
	case *qdrant.Value_StringValue:
		return k.StringValue
	case *qdrant.Value_BoolValue:
		return k.BoolValue
	case *qdrant.Value_StructValue:
		return valuesJSON(k.StructValue.GetFields())
	case *qdrant.Value_ListValue:
		out := make([]any, len(k.ListValue.GetValues()))
		for i, e := range k.ListValue.GetValues() {
			out[i] = valueJSON(e)
		}
		return out
	}
	return nil
}

// encodeBody is the JSON text of a REST body.
func encodeBody(b jsonObject) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, invalidArg("Format error in JSON body: %v", err)
	}
	return buf.Bytes(), nil
}

// decodeBody decodes a REST body into the engine's request type as REST
// does: a value out of range found while decoding keeps its engine kind
// (engine.ErrInvalid), anything else the type cannot hold (a number past
// its range) is a format error.
func decodeBody(body []byte, into any) error {
	err := json.Unmarshal(body, into)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrInvalid):
		return toStatus(err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return invalidArg("Format error in JSON body: invalid type for field `%s`: got %s, expected %s", te.Field, te.Value, te.Type)
	}
	return invalidArg("Format error in JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
}
