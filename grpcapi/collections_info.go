package grpcapi

import (
	"encoding/json"
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// collectionInfoProto is REST's GET /collections/{c} answer in Qdrant's
// proto: the same status, optimizer status, counts, segments, config and
// payload schema, from the same engine.CollectionInfo.
func collectionInfoProto(info engine.CollectionInfo) *qdrant.CollectionInfo {
	points, indexed := uint64(info.PointsCount), uint64(info.IndexedVectorsCount)
	out := &qdrant.CollectionInfo{
		Status:              statusProto[info.Status],
		OptimizerStatus:     &qdrant.OptimizerStatus{Ok: info.OptimizerStatus.Error == "", Error: info.OptimizerStatus.Error},
		SegmentsCount:       uint64(info.SegmentsCount),
		PointsCount:         &points,
		IndexedVectorsCount: &indexed,
		Config:              collectionConfigProto(info.Config),
		PayloadSchema:       make(map[string]*qdrant.PayloadSchemaInfo, len(info.PayloadSchema)),
	}
	for k, pi := range info.PayloadSchema {
		out.PayloadSchema[k] = payloadSchemaProto(pi)
	}
	for _, w := range info.Warnings {
		out.Warnings = append(out.Warnings, &qdrant.CollectionWarning{Message: w.Message})
	}
	return out
}

var statusProto = map[engine.CollectionStatus]qdrant.CollectionStatus{
	engine.StatusGreen:  qdrant.CollectionStatus_Green,
	engine.StatusYellow: qdrant.CollectionStatus_Yellow,
	engine.StatusGrey:   qdrant.CollectionStatus_Grey,
	engine.StatusRed:    qdrant.CollectionStatus_Red,
}

func collectionConfigProto(c engine.CollectionConfig) *qdrant.CollectionConfig {
	p := c.Params
	rf, wcf := uint32(p.ReplicationFactor), uint32(p.WriteConsistencyFactor)
	return &qdrant.CollectionConfig{
		Params: &qdrant.CollectionParams{
			ShardNumber:            uint32(p.ShardNumber),
			OnDiskPayload:          p.OnDiskPayload,
			VectorsConfig:          vectorsConfigProto(p.Vectors),
			SparseVectorsConfig:    sparseConfigProto(p.SparseVectors),
			ReplicationFactor:      &rf,
			WriteConsistencyFactor: &wcf,
		},
		HnswConfig:       hnswProto(c.HnswConfig),
		OptimizerConfig:  optimizersProto(c.OptimizerConfig),
		WalConfig:        walProto(c.WalConfig),
		Metadata:         metadataProto(c.Metadata),
		StrictModeConfig: strictProto(c.StrictModeConfig),
	}
}

// strictProto is the collection's strict mode as Qdrant's message (the
// same field names), nil when never set.
func strictProto(s *engine.StrictModeConfig) *qdrant.StrictModeConfig {
	if s == nil {
		return nil
	}
	sc := s.SparseConfig
	flat := *s
	flat.SparseConfig = nil // the proto wraps the map in a message
	b, err := json.Marshal(&flat)
	if err != nil {
		return nil
	}
	var out qdrant.StrictModeConfig
	// Fields the proto lacks (search_max_batchsize,
	// max_resident_memory_percent) are left out, not the whole message.
	if (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &out) != nil {
		return nil
	}
	if sc != nil {
		m := make(map[string]*qdrant.StrictModeSparse, len(sc))
		for name, l := range sc {
			m[name] = &qdrant.StrictModeSparse{MaxLength: u64(l.MaxLength)}
		}
		out.SparseConfig = &qdrant.StrictModeSparseConfig{SparseConfig: m}
	}
	return &out
}

// sparseConfigProto is the collection's sparse vectors (nil when none,
// as REST leaves sparse_vectors out).
func sparseConfigProto(sc engine.SparseVectorsConfig) *qdrant.SparseVectorConfig {
	if len(sc) == 0 {
		return nil
	}
	m := make(map[string]*qdrant.SparseVectorParams, len(sc))
	for name, p := range sc {
		out := &qdrant.SparseVectorParams{}
		if ix := p.Index; ix != nil {
			out.Index = &qdrant.SparseIndexConfig{FullScanThreshold: u64(ix.FullScanThreshold), OnDisk: ix.OnDisk}
		}
		if p.Modifier != nil {
			mod := qdrant.Modifier_None
			if *p.Modifier == engine.ModifierIDF {
				mod = qdrant.Modifier_Idf
			}
			out.Modifier = &mod
		}
		m[name] = out
	}
	return &qdrant.SparseVectorConfig{Map: m}
}

// vectorsConfigProto is the single form for the unnamed vector alone, a
// map otherwise, as REST's VectorsConfig JSON.
func vectorsConfigProto(vc engine.VectorsConfig) *qdrant.VectorsConfig {
	if p, ok := vc[""]; ok && len(vc) == 1 {
		return &qdrant.VectorsConfig{Config: &qdrant.VectorsConfig_Params{Params: vectorParamsProto(p)}}
	}
	m := make(map[string]*qdrant.VectorParams, len(vc))
	for name, p := range vc {
		m[name] = vectorParamsProto(p)
	}
	return &qdrant.VectorsConfig{Config: &qdrant.VectorsConfig_ParamsMap{ParamsMap: &qdrant.VectorParamsMap{Map: m}}}
}

func vectorParamsProto(p engine.VectorParams) *qdrant.VectorParams {
	out := &qdrant.VectorParams{Size: uint64(p.Size), Distance: distanceProto(p.Distance.String()), OnDisk: p.OnDisk}
	if h := p.HnswConfig; h != nil {
		out.HnswConfig = &qdrant.HnswConfigDiff{M: u64(h.M), EfConstruct: u64(h.EfConstruct),
			FullScanThreshold: u64(h.FullScanThreshold), MaxIndexingThreads: u64(h.MaxIndexingThreads),
			OnDisk: h.OnDisk, PayloadM: u64(h.PayloadM)}
	}
	return out
}

func distanceProto(name string) qdrant.Distance {
	for d, n := range distanceNames {
		if strings.EqualFold(n, name) {
			return d
		}
	}
	return qdrant.Distance_UnknownDistance
}

func hnswProto(h engine.HnswConfig) *qdrant.HnswConfigDiff {
	return &qdrant.HnswConfigDiff{M: u64(&h.M), EfConstruct: u64(&h.EfConstruct), FullScanThreshold: u64(&h.FullScanThreshold),
		MaxIndexingThreads: u64(&h.MaxIndexingThreads), OnDisk: h.OnDisk, PayloadM: u64(h.PayloadM)}
}

// optimizersProto reports max_optimization_threads unset (REST's null) as
// Qdrant's setting Auto, which is what it means.
func optimizersProto(o engine.OptimizersConfig) *qdrant.OptimizersConfigDiff {
	dt := o.DeletedThreshold
	out := &qdrant.OptimizersConfigDiff{DeletedThreshold: &dt, VacuumMinVectorNumber: u64(&o.VacuumMinVectorNumber),
		DefaultSegmentNumber: u64(&o.DefaultSegmentNumber), MaxSegmentSize: u64(o.MaxSegmentSize),
		MemmapThreshold: u64(o.MemmapThreshold), IndexingThreshold: u64(o.IndexingThreshold),
		FlushIntervalSec: u64(&o.FlushIntervalSec)}
	if t := o.MaxOptimizationThreads; t != nil {
		out.MaxOptimizationThreads = &qdrant.MaxOptimizationThreads{Variant: &qdrant.MaxOptimizationThreads_Value{Value: uint64(*t)}}
	} else {
		out.MaxOptimizationThreads = &qdrant.MaxOptimizationThreads{Variant: &qdrant.MaxOptimizationThreads_Setting_{Setting: qdrant.MaxOptimizationThreads_Auto}}
	}
	return out
}

func walProto(w engine.WalConfig) *qdrant.WalConfigDiff {
	return &qdrant.WalConfigDiff{WalCapacityMb: u64(&w.WalCapacityMB), WalSegmentsAhead: u64(&w.WalSegmentsAhead)}
}

// u64 is *v as the proto's optional uint64 (nil for nil).
func u64(v *int) *uint64 {
	if v == nil {
		return nil
	}
	n := uint64(max(*v, 0))
	return &n
}

var payloadTypeProto = map[payload.FieldType]qdrant.PayloadSchemaType{
	payload.TypeKeyword:  qdrant.PayloadSchemaType_Keyword,
	payload.TypeInteger:  qdrant.PayloadSchemaType_Integer,
	payload.TypeFloat:    qdrant.PayloadSchemaType_Float,
	payload.TypeGeo:      qdrant.PayloadSchemaType_Geo,
	payload.TypeText:     qdrant.PayloadSchemaType_Text,
	payload.TypeBool:     qdrant.PayloadSchemaType_Bool,
	payload.TypeDatetime: qdrant.PayloadSchemaType_Datetime,
	payload.TypeUUID:     qdrant.PayloadSchemaType_Uuid,
}

func payloadSchemaProto(pi engine.PayloadIndexInfo) *qdrant.PayloadSchemaInfo {
	n := uint64(pi.Points)
	out := &qdrant.PayloadSchemaInfo{DataType: payloadTypeProto[pi.DataType], Points: &n}
	if len(pi.Params) > 0 {
		if s, err := payload.ParseFieldSchema(pi.Params); err == nil {
			out.Params = indexParamsProto(s)
		}
	}
	return out
}

// indexParamsProto is the proto form of an index schema given as an
// object (the parameters the proto has; memory and prefix have no field).
func indexParamsProto(s payload.FieldSchema) *qdrant.PayloadIndexParams {
	var p qdrant.PayloadIndexParams
	switch s.Type {
	case payload.TypeKeyword:
		p.IndexParams = &qdrant.PayloadIndexParams_KeywordIndexParams{KeywordIndexParams: &qdrant.KeywordIndexParams{
			IsTenant: s.IsTenant, OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}}
	case payload.TypeInteger:
		p.IndexParams = &qdrant.PayloadIndexParams_IntegerIndexParams{IntegerIndexParams: &qdrant.IntegerIndexParams{
			Lookup: s.Lookup, Range: s.RangeIdx, IsPrincipal: s.IsPrincipal, OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}}
	case payload.TypeFloat:
		p.IndexParams = &qdrant.PayloadIndexParams_FloatIndexParams{FloatIndexParams: &qdrant.FloatIndexParams{
			OnDisk: s.OnDisk, IsPrincipal: s.IsPrincipal, EnableHnsw: s.EnableHNSW}}
	case payload.TypeGeo:
		p.IndexParams = &qdrant.PayloadIndexParams_GeoIndexParams{GeoIndexParams: &qdrant.GeoIndexParams{
			OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}}
	case payload.TypeBool:
		p.IndexParams = &qdrant.PayloadIndexParams_BoolIndexParams{BoolIndexParams: &qdrant.BoolIndexParams{
			OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}}
	case payload.TypeDatetime:
		p.IndexParams = &qdrant.PayloadIndexParams_DatetimeIndexParams{DatetimeIndexParams: &qdrant.DatetimeIndexParams{
			OnDisk: s.OnDisk, IsPrincipal: s.IsPrincipal, EnableHnsw: s.EnableHNSW}}
	case payload.TypeUUID:
		p.IndexParams = &qdrant.PayloadIndexParams_UuidIndexParams{UuidIndexParams: &qdrant.UuidIndexParams{
			IsTenant: s.IsTenant, OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}}
	case payload.TypeText:
		p.IndexParams = &qdrant.PayloadIndexParams_TextIndexParams{TextIndexParams: textParamsProto(s)}
	default:
		return nil
	}
	return &p
}

var tokenizerProto = map[string]qdrant.TokenizerType{
	"prefix": qdrant.TokenizerType_Prefix, "whitespace": qdrant.TokenizerType_Whitespace,
	"word": qdrant.TokenizerType_Word, "multilingual": qdrant.TokenizerType_Multilingual,
}

func textParamsProto(s payload.FieldSchema) *qdrant.TextIndexParams {
	out := &qdrant.TextIndexParams{OnDisk: s.OnDisk, EnableHnsw: s.EnableHNSW}
	t := s.Text
	if t == nil {
		return out
	}
	out.Tokenizer = tokenizerProto[t.Tokenizer]
	out.Lowercase, out.PhraseMatching = t.Lowercase, t.PhraseMatching
	out.MinTokenLen, out.MaxTokenLen = u64(t.MinTokenLen), u64(t.MaxTokenLen)
	if t.Stopwords != nil {
		out.Stopwords = &qdrant.StopwordsSet{Custom: t.Stopwords}
	}
	return out
}

// metadataProto is the collection's metadata as Qdrant's values (nil when
// there is none), converted as stored payloads are.
func metadataProto(md payload.Payload) map[string]*qdrant.Value {
	if len(md) == 0 {
		return nil
	}
	return payloadToProto(md)
}
