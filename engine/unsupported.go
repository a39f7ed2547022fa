package engine

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/cairn-db/cairn/payload"
)

// ruleKind says what Cairn does with one field of a Qdrant settings
// schema.
type ruleKind int

const (
	// implemented fields are decoded into the Go type and act.
	implemented ruleKind = iota
	// stored fields are decoded, kept and reported back, and change
	// nothing Cairn could do otherwise (why says so); docs/settings.md
	// lists them.
	stored
	// refused fields answer 400 naming the setting, unless the value is
	// null or one that accept reports as changing nothing.
	refused
)

// settingRule is what Cairn does with one field of a settings schema.
type settingRule struct {
	kind ruleKind
	// sub names the schema of the value's own fields, checked in turn.
	sub string
	// subMap: the value is an object of names to sub objects; vectors:
	// the value is Qdrant's VectorsConfig, one sub object or a map of them.
	subMap, vectors bool
	// accept, for a refused field, reports a value that changes nothing.
	accept func(json.RawMessage) bool
	// check, for an implemented field, bounds its value.
	check func(json.RawMessage) error
	// why explains a refused or stored field.
	why string
}

// Reasons shared by several schemas.
const (
	noMemory       = "memory placement is not supported by Cairn (segments are memory-mapped files; the page cache decides what stays in RAM)"
	noPayloadStore = "payload storage placement is not supported by Cairn"
	onDiskStored   = "kept and reported; Cairn always serves sealed segments from memory-mapped files"
)

// settingSchemas holds, for every Qdrant settings schema a request can
// carry, what Cairn does with each of its fields (the properties of the
// schema of that name in Qdrant's OpenAPI; TestSettingSchemasCoverOpenAPI
// checks the table against it). Fields that are in no schema are ignored,
// as Qdrant's parser ignores them.
var settingSchemas = map[string]map[string]settingRule{
	"CreateCollection": {
		"vectors":                  {sub: "VectorParams", vectors: true},
		"shard_number":             {},
		"sharding_method":          {kind: refused, accept: isJSON(`"auto"`), why: "custom sharding is not supported by Cairn (only \"auto\")"},
		"replication_factor":       {kind: stored, why: "kept and reported; a single Cairn node holds one replica of each shard, as a standalone Qdrant does"},
		"write_consistency_factor": {kind: stored, why: "kept and reported; with one replica every write is applied by it"},
		"on_disk_payload":          {kind: stored, why: "kept and reported; payloads are always stored in memory-mapped segment files"},
		"payload":                  {kind: refused, accept: allNull, why: noPayloadStore},
		"hnsw_config":              {sub: "HnswConfigDiff"},
		"wal_config":               {sub: "WalConfigDiff"},
		"optimizers_config":        {sub: "OptimizersConfigDiff"},
		"quantization_config":      {check: checkQuantizationJSON},
		"sparse_vectors":           {sub: "SparseVectorParams", subMap: true},
		"strict_mode_config":       {sub: "StrictModeConfig"},
		"metadata":                 {check: checkMetadata},
	},
	"UpdateCollection": {
		"vectors":             {sub: "VectorParamsDiff", subMap: true},
		"optimizers_config":   {sub: "OptimizersConfigDiff"},
		"params":              {sub: "CollectionParamsDiff"},
		"hnsw_config":         {sub: "HnswConfigDiff"},
		"quantization_config": {kind: refused, why: noQuantizationChange},
		"sparse_vectors":      {sub: "SparseVectorParams", subMap: true},
		"strict_mode_config":  {sub: "StrictModeConfig"},
		"metadata":            {check: checkMetadata},
	},
	"VectorParams": {
		"size":                {},
		"distance":            {},
		"hnsw_config":         {sub: "HnswConfigDiff"},
		"quantization_config": {check: checkQuantizationJSON},
		"on_disk":             {kind: stored, why: onDiskStored},
		"memory":              {kind: refused, why: noMemory},
		"datatype":            {kind: refused, accept: isJSON(`"float32"`), why: "datatypes other than float32 are not supported by Cairn"},
		"multivector_config":  {kind: refused, why: "multivectors are not supported by Cairn"},
	},
	"SparseVectorParams": {
		"index":    {sub: "SparseIndexParams"},
		"modifier": {},
	},
	"SparseIndexParams": {
		"full_scan_threshold": {kind: stored, why: "kept and reported; Cairn's inverted index is exact and costs only the postings of the query's indices, so there is no full scan to switch to"},
		"on_disk":             {kind: stored, why: "kept and reported; sealed inverted indexes are always memory-mapped files"},
		"memory":              {kind: refused, why: noMemory},
		"datatype":            {kind: refused, accept: isJSON(`"float32"`), why: "datatypes other than float32 are not supported by Cairn for sparse vectors"},
	},
	"VectorParamsDiff": {
		"hnsw_config":         {sub: "HnswConfigDiff"},
		"quantization_config": {kind: refused, why: noQuantizationChange},
		"on_disk":             {kind: stored, why: onDiskStored},
		"memory":              {kind: refused, why: noMemory},
	},
	"HnswConfigDiff": {
		"m":                    {},
		"ef_construct":         {},
		"full_scan_threshold":  {},
		"max_indexing_threads": {},
		"on_disk":              {kind: stored, why: onDiskStored},
		"memory":               {kind: refused, why: noMemory},
		"payload_m":            {},
		"inline_storage":       {kind: refused, accept: isJSON(`false`), why: "inline storage is not supported by Cairn: Qdrant then keeps copies of the original and quantized vectors inside the HNSW graph file beside each node's links, and Cairn's graph file holds the links only"},
	},
	"OptimizersConfigDiff": {
		"deleted_threshold":        {},
		"vacuum_min_vector_number": {},
		"default_segment_number":   {},
		"max_segment_size":         {},
		"memmap_threshold":         {kind: stored, why: "kept and reported; every sealed segment is memory-mapped"},
		"indexing_threshold":       {},
		"flush_interval_sec":       {},
		"max_optimization_threads": {},
		"prevent_unoptimized":      {kind: refused, accept: isJSON(`false`), why: "prevent_unoptimized is not supported by Cairn"},
	},
	"StrictModeConfig": {
		"enabled":                           {},
		"max_query_limit":                   {},
		"max_timeout":                       {},
		"unindexed_filtering_retrieve":      {},
		"unindexed_filtering_update":        {},
		"search_max_hnsw_ef":                {},
		"search_allow_exact":                {},
		"search_max_oversampling":           {},
		"upsert_max_batchsize":              {},
		"search_max_batchsize":              {},
		"max_collection_vector_size_bytes":  {},
		"read_rate_limit":                   {},
		"write_rate_limit":                  {},
		"max_collection_payload_size_bytes": {},
		"max_points_count":                  {},
		"filter_max_conditions":             {},
		"condition_max_size":                {},
		"multivector_config":                {kind: refused, why: "multivectors are not supported by Cairn"},
		"sparse_config":                     {},
		"max_payload_index_count":           {},
		"max_resident_memory_percent":       {},
	},
	"WalConfigDiff": {
		"wal_capacity_mb":    {},
		"wal_segments_ahead": {},
		"wal_retain_closed":  {kind: refused, why: "wal_retain_closed is not supported by Cairn"},
	},
	"CollectionParamsDiff": {
		"replication_factor":       {kind: stored, why: "kept and reported; a single Cairn node holds one replica of each shard"},
		"write_consistency_factor": {kind: stored, why: "kept and reported; with one replica every write is applied by it"},
		"read_fan_out_factor":      {kind: refused, accept: isJSON(`0`), why: "read fan-out is not supported by Cairn (it needs replicas on other nodes; Cairn is a single node)"},
		"read_fan_out_delay_ms":    {kind: refused, accept: isJSON(`0`), why: "read fan-out is not supported by Cairn (it needs replicas on other nodes; Cairn is a single node)"},
		"on_disk_payload":          {kind: stored, why: "kept and reported; payloads are always stored in memory-mapped segment files"},
		"payload":                  {kind: refused, accept: allNull, why: noPayloadStore},
	},
}

// CheckCreateCollection refuses, with ErrBadRequest naming the setting, a
// create-collection body (Qdrant's CreateCollection JSON) that asks for a
// setting Cairn does not implement, so that none is accepted and dropped.
// The typed decoder reports malformed bodies; this check skips them.
func CheckCreateCollection(body []byte) error {
	return checkSettings("CreateCollection", body, "")
}

// CheckCollectionUpdate is CheckCreateCollection for an update-collection
// body (Qdrant's UpdateCollection JSON).
func CheckCollectionUpdate(body []byte) error {
	return checkSettings("UpdateCollection", body, "")
}

func checkSettings(schema string, raw []byte, path string) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	rules := settingSchemas[schema]
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first refused field in name order, every time
	for _, k := range keys {
		v := bytes.TrimSpace(obj[k])
		r, known := rules[k]
		if !known || string(v) == "null" {
			continue
		}
		field := k
		if path != "" {
			field = path + "." + k
		}
		if r.kind == refused && (r.accept == nil || !r.accept(v)) {
			return errBadRequest("%s: %s", field, r.why)
		}
		if r.check != nil {
			if err := r.check(v); err != nil {
				return errBadRequest("%s: %v", field, err)
			}
		}
		if err := checkSub(r, v, field); err != nil {
			return err
		}
	}
	return nil
}

// checkSub checks the fields of a value whose rule names a sub schema.
func checkSub(r settingRule, v json.RawMessage, field string) error {
	switch {
	case r.sub == "":
		return nil
	case r.vectors && !isSingleVector(v), r.subMap:
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return nil
		}
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			at := field + "." + name
			if name == "" {
				at = field // the unnamed vector
			}
			if err := checkSettings(r.sub, m[name], at); err != nil {
				return err
			}
		}
		return nil
	}
	return checkSettings(r.sub, v, field)
}

// checkMetadata bounds collection metadata as a payload is bounded
// (payload.MaxDepth, UTF-8): it is stored and answered the same way.
func checkMetadata(v json.RawMessage) error {
	return payload.CheckText(v, payload.MaxDepth)
}

// isSingleVector tells Qdrant's single VectorParams form of VectorsConfig
// from a map of named ones exactly as VectorsConfig.UnmarshalJSON does (a
// scalar "size"), so that a vector named "size" is checked too.
func isSingleVector(v json.RawMessage) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(v, &probe) != nil {
		return false
	}
	return scalarField("size", probe)
}

// isJSON accepts exactly the JSON value want (compared compactly).
func isJSON(want string) func(json.RawMessage) bool {
	return func(v json.RawMessage) bool {
		var b bytes.Buffer
		return json.Compact(&b, v) == nil && b.String() == want
	}
}

// allNull accepts an object every field of which is null ({} included).
func allNull(v json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return false
	}
	for _, f := range m {
		if string(bytes.TrimSpace(f)) != "null" {
			return false
		}
	}
	return true
}
