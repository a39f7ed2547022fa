package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"time"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// This file is the engine's exported surface, the contract the REST server
// codes against. Types mirror Qdrant's request and response schemas (their
// JSON forms are Qdrant's); methods live in the files named after their
// operation.
//
// Storage methods:
//
//	Open(Options) (*Storage, error)
//	(*Storage) CreateCollection(name, CreateCollection) error        // ErrAlreadyExists, ErrInvalid
//	(*Storage) Collection(nameOrAlias) (*Collection, error)          // ErrNotFound; ErrFailed: it failed to open
//	(*Storage) CollectionInfo(nameOrAlias) (CollectionInfo, error)   // a failed collection: status red
//	(*Storage) Issues() []Issue; ClearIssues()                       // GET / DELETE /issues: failed collections
//	(*Storage) CollectionExists(nameOrAlias) bool
//	(*Storage) DeleteCollection(name) (bool, error)                  // false: nothing to delete
//	(*Storage) ListCollections() []string
//	(*Storage) UpdateCollection(nameOrAlias, CollectionUpdate) error
//	(*Storage) UpdateAliases([]AliasOp) error                        // atomic: all or nothing
//	(*Storage) ListAliases() []AliasDescription
//	(*Storage) CollectionAliases(nameOrAlias) ([]AliasDescription, error)
//	(*Storage) RestoreCollection(name, srcDir, sums) error           // snapshot restore: verify, then swap atomically
//	(*Storage) RestoreShard(name, shardID, srcDir, sums) error       // one shard of an existing collection; ErrNotFound, ErrBadRequest
//	(*Storage) RestoreAll(name→srcDir, alias→name, sums) error       // full snapshot: all-or-nothing; ErrBadRequest, ErrAlreadyExists
//	(*Storage) VerifyCollectionDir(dir, known) error
//	ValidateCollectionName(name) error                               // ErrInvalid
//	(*Storage) PinAll() (*StoragePin, error)                         // full snapshot: one cut across all collections + aliases
//	(*Storage) Close() error
//
// Collection methods (a cancelled ctx stops before writing, never half-way;
// Search, Scroll, Count and Get stop on a done ctx and return its error,
// never a partial result; every method checks its limits, offsets,
// hnsw_ef and filters before taking a lock, see bounds.go):
//
//	Upsert(ctx, []PointStruct, wait) (UpdateResult, error)
//	Delete(ctx, PointsSelector, wait) (UpdateResult, error)
//	SetPayload(ctx, SetPayload, wait) / OverwritePayload(ctx, SetPayload, wait)
//	DeletePayload(ctx, DeletePayload, wait) / ClearPayload(ctx, PointsSelector, wait)
//	UpdateVectors(ctx, []PointVectors, wait) / DeleteVectors(ctx, DeleteVectors, wait)
//	CreateFieldIndex(ctx, field, payload.FieldSchema, wait) / DeleteFieldIndex(ctx, field, wait)
//	Get(ctx, []point.ID, WithPayload, WithVector) ([]Record, error)  // missing ids are skipped
//	Flush() error                                                    // seal heads now, run the optimizer
//	Scroll(ctx, ScrollRequest) (ScrollResult, error)
//	Count(ctx, CountRequest) (int, error)
//	Search(ctx, SearchRequest) ([]ScoredPoint, error)
//	Query(ctx, QueryRequest) ([]ScoredPoint, error)                  // prefetch tree, rescoring, fusion (query.go)
//	Recommend(ctx, RecommendRequest) ([]ScoredPoint, error)          // average_vector, lookup_from (recommend.go)
//	SearchBatch / QueryBatch / RecommendBatch(ctx, []…)              // RunBatch's semantics (batch.go)
//	Info() CollectionInfo; Config() CollectionConfig; Name() string
//	Pin() (*Pin, error)                                              // snapshots: hold writes, list files, pin segments

// Options configures a Storage.
type Options struct {
	// Dir is the storage folder (Qdrant's storage.storage_path). Created if absent.
	Dir string
	// FS performs every durable write; nil means vfs.OS. Tests pass vfs.NewFaulty.
	FS vfs.FS
	// Logger receives the engine's logs; nil means slog.Default().
	Logger *slog.Logger
	// Hooks are called at points of interest; tests use them. Nil is fine.
	Hooks *Hooks
	// DisableBackground stops the per-shard background worker (seals on
	// threshold, flush interval, optimizer); tests then call Flush and
	// Optimize themselves. Zero value: the worker runs.
	DisableBackground bool
	// MaxSearchThreads bounds the searches running at once across the
	// storage (Qdrant's storage.performance.max_search_threads: the size of
	// its search thread pool); more wait their turn. 0 chooses as Qdrant
	// does: every CPU on one or two CPUs, every CPU but one on more.
	MaxSearchThreads int
	// MaxOptimizationThreads bounds the optimization jobs (merges, vacuums,
	// index and graph builds) running at once across every collection
	// (Qdrant's storage.performance.max_optimization_threads); 0 means no
	// limit: one job per shard at a time.
	MaxOptimizationThreads int
	// FreeSpace returns the bytes free on the filesystem holding a folder;
	// nil means vfs.FreeSpace. Checked before a collection's WAL segments
	// are preallocated; tests inject a small value.
	FreeSpace func(dir string) (int64, error)
	// Now is the clock whose time each WAL record carries (see RecordTime);
	// nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
	// ArchivedLSN, when set (WAL archiving is on), returns the last LSN of
	// a shard's WAL that has been archived: a seal then never truncates the
	// WAL past it (see Collection.TrimWAL). The incarnation
	// (Collection.Incarnation) tells a collection from an earlier one of the
	// same name, whose archive says nothing of this one's WAL. Nil: seals
	// truncate up to the sealed LSN.
	ArchivedLSN func(collection string, incarnation uint64, shard int) uint64
	// MaxQueryPrefetches bounds the prefetches of one query request,
	// counted over the whole prefetch tree (and summed over the queries of
	// a QueryBatch): each prefetch is a search of its own, so a fan-out of
	// 10^5 leaves would keep a core busy for minutes. Qdrant has no such
	// default; more are refused (ErrBadRequest). 0 means
	// DefaultMaxQueryPrefetches. Documented in docs/limits.md.
	MaxQueryPrefetches int
	// SampleSeed, when not 0, seeds every `sample: random` query with it,
	// so that a sample is reproducible (tests); 0 draws a new seed each
	// time.
	SampleSeed uint64
	// Memory reads the process's resident memory and the memory available
	// to it, which strict mode's max_resident_memory_percent compares; nil
	// means readMemory (Linux /proc and cgroup v2 files). Tests inject
	// figures. An error makes a collection refuse the setting.
	Memory func() (MemoryReading, error)

	// lookup resolves lookup_from collections (Storage.Collection); set by
	// Open.
	lookup func(nameOrAlias string) (*Collection, error)

	// lim holds the semaphores of MaxSearchThreads and
	// MaxOptimizationThreads, made on first use (see sharedLimits).
	lim *limits
}

// Hooks are test and observability callbacks. Each may be nil. A hook runs
// on the goroutine doing the work and may block it (a test can pause a seal).
type Hooks struct {
	// SealStart runs when a shard starts writing a sealed segment.
	SealStart func(collection string, shard int)
	// MergeStart runs when the optimizer starts writing a new segment from
	// inputs existing ones (a merge; with one input a vacuum, a payload index
	// rebuild or an HNSW graph build).
	MergeStart func(collection string, shard int, inputs int)
	// BackgroundError runs when a seal or optimization fails (the error is
	// also logged and shown in Info().OptimizerStatus).
	BackgroundError func(collection string, shard int, err error)
	// ShardClosing runs when closing a shard has marked it closed, before
	// the close waits for the shard's running seal or optimization.
	ShardClosing func(collection string, shard int)
	// SlotWait runs when a search ("search") or an optimization job
	// ("optimize") finds every slot of Options.MaxSearchThreads or
	// Options.MaxOptimizationThreads taken and starts waiting for one.
	SlotWait func(kind string)
}

// Vectors holds a point's vectors by name; "" is the single unnamed vector.
// Its JSON form is Qdrant's VectorStruct: a bare array for the unnamed vector,
// an object of named arrays otherwise.
type Vectors map[string][]float32

// MarshalJSON writes a bare array when the only vector is unnamed, an
// object of named arrays (sorted by name) otherwise (AppendJSON).
func (v Vectors) MarshalJSON() ([]byte, error) {
	n := 2
	for name, u := range v {
		n += len(name) + 4 + 12*len(u)
	}
	return v.AppendJSON(make([]byte, 0, n)), nil
}

// AppendJSON appends v's JSON form to b: null for nil, a bare array when
// the only vector is unnamed, an object of named arrays (sorted by name,
// names escaped as encoding/json escapes them) otherwise. Components are
// written as Qdrant writes floats (point.AppendJSONFloat: 1.0, never 1).
func (v Vectors) AppendJSON(b []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	if u, ok := v[""]; ok && len(v) == 1 {
		return point.AppendJSONFloats(b, u)
	}
	b = append(b, '{')
	for i, name := range sortedNames(v) {
		if i > 0 {
			b = append(b, ',')
		}
		b = payload.AppendJSONString(b, name)
		b = append(b, ':')
		b = point.AppendJSONFloats(b, v[name])
	}
	return append(b, '}')
}

// UnmarshalJSON reads a bare array (the unnamed vector) or an object of
// named vectors.
func (v *Vectors) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var u []float32
		if err := json.Unmarshal(b, &u); err != nil {
			return fmt.Errorf("vector: %w", err)
		}
		*v = Vectors{"": u}
		return nil
	}
	m := map[string][]float32{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("vector: %w", err)
	}
	*v = m
	return nil
}

// PointStruct is a point to upsert: Qdrant's PointStruct.
type PointStruct struct {
	ID      point.ID        `json:"id"`
	Vector  Vectors         `json:"vector"`
	Payload payload.Payload `json:"payload,omitempty"`
	// Sparse holds the sparse vectors (in JSON, inside "vector").
	Sparse SparseVectors `json:"-"`
}

// UnmarshalJSON reads the payload with exact numbers (payload.Parse).
func (p *PointStruct) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID      point.ID        `json:"id"`
		Vector  json.RawMessage `json:"vector"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.ID, p.Vector, p.Sparse, p.Payload = raw.ID, nil, nil, nil
	if len(raw.Vector) > 0 {
		dense, sparse, err := splitVectors(raw.Vector)
		if err != nil {
			return err
		}
		p.Vector, p.Sparse = dense, sparse
	}
	if len(raw.Payload) > 0 && string(bytes.TrimSpace(raw.Payload)) != "null" {
		pl, err := payload.Parse(raw.Payload)
		if err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		p.Payload = pl
	}
	return nil
}

// PointVectors sets some vectors of an existing point (update_vectors).
type PointVectors struct {
	ID     point.ID `json:"id"`
	Vector Vectors  `json:"vector"`
	// Sparse holds the sparse vectors to set.
	Sparse SparseVectors `json:"-"`
}

// Record is a stored point as get and scroll return it. Payload and Vector
// are nil when not requested.
type Record struct {
	ID      point.ID        `json:"id"`
	Payload payload.Payload `json:"payload"`
	Vector  Vectors         `json:"vector"`
	// Sparse holds the selected sparse vectors (written inside "vector").
	Sparse SparseVectors `json:"-"`
	// OrderValue is the value a scroll with order_by sorted the point by.
	OrderValue *OrderValue `json:"order_value,omitempty"`
}

// ScoredPoint is one search result. Score is Qdrant's: similarity for Cosine
// and Dot (higher first), distance for Euclid and Manhattan (lower first).
type ScoredPoint struct {
	ID      point.ID        `json:"id"`
	Version uint64          `json:"version"`
	Score   float32         `json:"score"`
	Payload payload.Payload `json:"payload"`
	Vector  Vectors         `json:"vector"`
	// Sparse holds the selected sparse vectors (written inside "vector").
	Sparse SparseVectors `json:"-"`
	// OrderValue is the value an order_by query sorted the point by.
	OrderValue *OrderValue `json:"order_value,omitempty"`
}

// UpdateStatus is Qdrant's update status.
type UpdateStatus string

// Update statuses: acknowledged (wait=false: in the WAL, applied, not yet
// durable) and completed (wait=true: durable).
const (
	StatusAcknowledged UpdateStatus = "acknowledged"
	StatusCompleted    UpdateStatus = "completed"
)

// UpdateResult answers a write: the operation number (the largest WAL
// sequence number the write used) and its status.
type UpdateResult struct {
	OperationID uint64       `json:"operation_id"`
	Status      UpdateStatus `json:"status"`
}

// PointsSelector chooses points by ids or by filter (exactly one is set).
type PointsSelector struct {
	Points []point.ID      `json:"points,omitempty"`
	Filter *payload.Filter `json:"filter,omitempty"`
}

// SetPayload is the body of set_payload and overwrite_payload. Points or
// Filter choose the points (neither: Qdrant refuses; the engine returns
// ErrBadRequest). Key, for set_payload, is a nested path to set under.
type SetPayload struct {
	Payload payload.Payload `json:"payload"`
	Points  []point.ID      `json:"points,omitempty"`
	Filter  *payload.Filter `json:"filter,omitempty"`
	Key     string          `json:"key,omitempty"`
}

// DeletePayload removes payload keys (Qdrant key paths) from points.
type DeletePayload struct {
	Keys   []string        `json:"keys"`
	Points []point.ID      `json:"points,omitempty"`
	Filter *payload.Filter `json:"filter,omitempty"`
}

// DeleteVectors removes named vectors from points.
type DeleteVectors struct {
	Points []point.ID      `json:"points,omitempty"`
	Filter *payload.Filter `json:"filter,omitempty"`
	Vector []string        `json:"vector"`
}

// WithPayload selects the payload returned with points: all of it
// (Enable), only Include keys, or all but Exclude keys.
type WithPayload struct {
	Enable  bool
	Include []string
	Exclude []string
}

// UnmarshalJSON reads Qdrant's WithPayloadInterface: a bool, a list of
// keys, {"include": [...]} or {"exclude": [...]}.
func (w *WithPayload) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*w = WithPayload{}
	switch {
	case len(b) == 0:
		return fmt.Errorf("with_payload: empty")
	case b[0] == 't' || b[0] == 'f':
		return json.Unmarshal(b, &w.Enable)
	case b[0] == '[':
		w.Enable = true
		return json.Unmarshal(b, &w.Include)
	}
	var sel struct {
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&sel); err != nil {
		return fmt.Errorf("with_payload: %w", err)
	}
	w.Enable, w.Include, w.Exclude = true, sel.Include, sel.Exclude
	return nil
}

// WithVector selects the vectors returned with points: all (Enable) or the
// named ones.
type WithVector struct {
	Enable bool
	Names  []string
}

// UnmarshalJSON reads Qdrant's WithVector: a bool or a list of names.
func (w *WithVector) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*w = WithVector{}
	if len(b) > 0 && b[0] == '[' {
		w.Enable = true
		return json.Unmarshal(b, &w.Names)
	}
	return json.Unmarshal(b, &w.Enable)
}

// ScrollRequest pages through points in id order.
type ScrollRequest struct {
	// Offset is the first id to return (inclusive); nil starts at the beginning.
	Offset *point.ID `json:"offset,omitempty"`
	// Limit is the page size; 0 means Qdrant's default of 10.
	Limit  int             `json:"limit,omitempty"`
	Filter *payload.Filter `json:"filter,omitempty"`
	// WithPayload defaults to true when nil, as in Qdrant.
	WithPayload *WithPayload `json:"with_payload,omitempty"`
	WithVector  *WithVector  `json:"with_vector,omitempty"`
	// OrderBy, when set, sorts by a payload key instead of by id (see
	// OrderBy); Offset must then be nil and there is no next page.
	OrderBy *OrderBy `json:"order_by,omitempty"`
}

// ScrollResult is one page; NextPageOffset is the id the next page starts
// at, nil on the last page.
type ScrollResult struct {
	Points         []Record  `json:"points"`
	NextPageOffset *point.ID `json:"next_page_offset"`
}

// CountRequest counts the points matching Filter (all when nil). Counting
// is always exact; Exact is accepted for compatibility.
type CountRequest struct {
	Filter *payload.Filter `json:"filter,omitempty"`
	Exact  *bool           `json:"exact,omitempty"`
}

// NamedVector is a query vector and the name of the collection vector it
// searches ("" = unnamed). Its JSON is a bare array or {"name", "vector"}.
type NamedVector struct {
	Name   string    `json:"name"`
	Vector []float32 `json:"vector"`
	// Sparse, when set, is a sparse query vector (Qdrant's
	// NamedSparseVector); Vector is then unused.
	Sparse *point.SparseVector `json:"-"`
}

// UnmarshalJSON reads Qdrant's NamedVectorStruct (dense forms).
func (n *NamedVector) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*n = NamedVector{}
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &n.Vector)
	}
	type plain NamedVector
	return json.Unmarshal(b, (*plain)(n))
}

// SearchParams tunes a search.
type SearchParams struct {
	// HnswEf is the beam width of graph search; nil uses the collection's ef_construct.
	HnswEf *int `json:"hnsw_ef,omitempty"`
	// Exact forces an exact scan of every segment.
	Exact bool `json:"exact,omitempty"`
	// IndexedOnly skips segments that are neither indexed nor small.
	IndexedOnly bool `json:"indexed_only,omitempty"`
	// Quantization tunes the use of quantized vectors (nil: Qdrant's defaults).
	Quantization *QuantizationSearchParams `json:"quantization,omitempty"`
}

// SearchRequest is Qdrant's search request (also what the query API's
// nearest-vector form reduces to; set Vector.Name from `using`).
type SearchRequest struct {
	Vector NamedVector     `json:"vector"`
	Filter *payload.Filter `json:"filter,omitempty"`
	Params *SearchParams   `json:"params,omitempty"`
	// Limit is the number of results, at least 1.
	Limit  int `json:"limit"`
	Offset int `json:"offset,omitempty"`
	// WithPayload defaults to false when nil, as in Qdrant.
	WithPayload *WithPayload `json:"with_payload,omitempty"`
	WithVector  *WithVector  `json:"with_vector,omitempty"`
	// ScoreThreshold keeps results at least this similar: a minimum score
	// for Cosine and Dot, a maximum distance for Euclid and Manhattan.
	ScoreThreshold *float32 `json:"score_threshold,omitempty"`
	// custom, when set, scores with Qdrant's recommend best_score or
	// sum_scores, discover or context instead of Vector (exactly, by scan).
	custom *customQuery
}

// CollectionStatus is Qdrant's collection status.
type CollectionStatus string

// Collection statuses: green (all segments indexed, no optimization
// running), yellow (sealing, merging or indexing in progress), grey (an
// optimization is due but max_optimization_threads 0 keeps it from
// starting), red (the last background operation failed; see
// OptimizerStatus).
const (
	StatusGreen  CollectionStatus = "green"
	StatusYellow CollectionStatus = "yellow"
	StatusGrey   CollectionStatus = "grey"
	StatusRed    CollectionStatus = "red"
)

// OptimizerStatus is "ok" or the last background error; its JSON form is
// Qdrant's: "ok" or {"error": "..."}.
type OptimizerStatus struct {
	Error string
}

// MarshalJSON writes "ok" or {"error": msg}.
func (s OptimizerStatus) MarshalJSON() ([]byte, error) {
	if s.Error == "" {
		return []byte(`"ok"`), nil
	}
	return json.Marshal(map[string]string{"error": s.Error})
}

// PayloadIndexInfo describes one payload index in CollectionInfo.
type PayloadIndexInfo struct {
	DataType payload.FieldType `json:"data_type"`
	// Params is the schema's object form when one was given, else nil.
	Params json.RawMessage `json:"params,omitempty"`
	// Points is the number of points carrying the indexed key.
	Points int `json:"points"`
}

// CollectionInfo is Qdrant's collection info.
type CollectionInfo struct {
	Status              CollectionStatus            `json:"status"`
	OptimizerStatus     OptimizerStatus             `json:"optimizer_status"`
	IndexedVectorsCount int                         `json:"indexed_vectors_count"`
	PointsCount         int                         `json:"points_count"`
	SegmentsCount       int                         `json:"segments_count"`
	Config              CollectionConfig            `json:"config"`
	PayloadSchema       map[string]PayloadIndexInfo `json:"payload_schema"`
	// Warnings are Qdrant's collection warnings. The engine sets none:
	// Qdrant's (hnsw_config.inline_storage without quantization or with
	// multivectors) need settings Cairn refuses (docs/settings.md); the
	// server adds those of other parts (stale backups).
	Warnings []CollectionWarning `json:"warnings,omitempty"`
}

// CollectionWarning is one entry of CollectionInfo.Warnings.
type CollectionWarning struct {
	// Message says what is wrong.
	Message string `json:"message"`
}

// AliasOp is one action of Qdrant's change-aliases request; exactly one
// field is set.
type AliasOp struct {
	CreateAlias *CreateAlias `json:"create_alias,omitempty"`
	DeleteAlias *DeleteAlias `json:"delete_alias,omitempty"`
	RenameAlias *RenameAlias `json:"rename_alias,omitempty"`
}

// CreateAlias points AliasName at CollectionName (replacing an existing
// alias of that name, as Qdrant does).
type CreateAlias struct {
	CollectionName string `json:"collection_name"`
	AliasName      string `json:"alias_name"`
}

// DeleteAlias removes an alias.
type DeleteAlias struct {
	AliasName string `json:"alias_name"`
}

// RenameAlias renames an alias.
type RenameAlias struct {
	OldAliasName string `json:"old_alias_name"`
	NewAliasName string `json:"new_alias_name"`
}

// AliasDescription is one alias and its collection.
type AliasDescription struct {
	AliasName      string `json:"alias_name"`
	CollectionName string `json:"collection_name"`
}
