package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/cairn-db/cairn/hnsw"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/vfs"
)

// optimization is one step the optimizer chose: rewrite inputs into one new
// segment (a merge when several, a vacuum or index rebuild when one).
type optimization struct {
	reason string
	inputs []*segHandle
}

// hotWindow is how recently a seal must have happened for the shard to
// count as ingesting: the background optimizer then defers merges (unless
// segments pile up past twice default_segment_number) and graph builds, so
// that they do not compete with the writes for the disk and the CPU.
const hotWindow = time.Second

// planLocked chooses the next optimization, or nil; with deferHeavy (the
// shard is ingesting) it leaves merges and graph builds for later. With
// the collection's optimizations disabled (max_optimization_threads 0) it
// chooses only payload index builds. Caller holds mu (read).
func (s *shard) planLocked(cfg *CollectionConfig, indexes map[string]payload.FieldSchema, deferHeavy bool) *optimization {
	return s.planAllowedLocked(cfg, indexes, deferHeavy, !cfg.OptimizationsDisabled())
}

// planAllowedLocked is planLocked, choosing merges, vacuums and graph
// builds only when optimize is set. Caller holds mu (read).
func (s *shard) planAllowedLocked(cfg *CollectionConfig, indexes map[string]payload.FieldSchema, deferHeavy, optimize bool) *optimization {
	oc := cfg.OptimizerConfig
	for _, h := range s.segs {
		n := h.seg.Len()
		del := h.deleted.Load().Count()
		if optimize && (del == n || n >= oc.VacuumMinVectorNumber && float64(del) >= oc.DeletedThreshold*float64(n) && del > 0) {
			return &optimization{reason: "vacuum", inputs: []*segHandle{h}}
		}
		for k, schema := range indexes {
			if !segmentHasIndex(h, k, schema) {
				return &optimization{reason: "index", inputs: []*segHandle{h}}
			}
		}
	}
	if !optimize {
		return nil
	}
	if deferHeavy && len(s.segs) <= 2*cfg.targetSegments()+1 {
		return nil
	}
	if o := s.planMergeLocked(cfg); o != nil || deferHeavy {
		return o
	}
	return s.planGraphLocked(cfg)
}

// hot reports whether the shard sealed within hotWindow.
func (s *shard) hot() bool {
	return time.Since(time.Unix(0, s.lastSeal.Load())) < hotWindow
}

// planMergeLocked merges the smallest segments when there are more than
// default_segment_number. Caller holds mu.
func (s *shard) planMergeLocked(cfg *CollectionConfig) *optimization {
	target := cfg.targetSegments()
	if len(s.segs) <= target {
		return nil
	}
	bySize := slices.Clone(s.segs)
	slices.SortStableFunc(bySize, func(a, b *segHandle) int { return a.live() - b.live() })
	want := len(s.segs) - target + 1
	limit := cfg.maxSegmentPoints()
	var inputs []*segHandle
	total := 0
	for _, h := range bySize {
		if len(inputs) == want || (len(inputs) >= 2 && total+h.live() > limit) {
			break
		}
		inputs = append(inputs, h)
		total += h.live()
	}
	if len(inputs) < 2 {
		return nil
	}
	return &optimization{reason: "merge", inputs: inputs}
}

// planGraphLocked rewrites a segment that reached the indexing threshold
// but has no HNSW graph yet (sealed segments are written without one).
// Caller holds mu.
func (s *shard) planGraphLocked(cfg *CollectionConfig) *optimization {
	t := cfg.indexThresholdPoints()
	if t == 0 {
		return nil
	}
	for _, h := range s.segs {
		if h.live() >= t && len(h.graphs) < s.graphsWanted(cfg) {
			return &optimization{reason: "index", inputs: []*segHandle{h}}
		}
	}
	return nil
}

// graphsWanted is the number of vectors that get an HNSW graph (m > 0).
func (s *shard) graphsWanted(cfg *CollectionConfig) int {
	n := 0
	for _, sp := range s.core.specs {
		if cfg.hnswFor(sp.Name).M > 0 {
			n++
		}
	}
	return n
}

// optimizeOnce runs one optimization if one is due; it reports whether it
// did. Caller holds optMu.
func (s *shard) optimizeOnce(ctx context.Context, background bool) (bool, error) {
	o, snaps, name, err := s.planOptimization(background)
	if err != nil || o == nil {
		return false, err
	}
	defer func() {
		for _, h := range o.inputs {
			h.release()
		}
	}()
	s.busy.Add(1)
	defer s.busy.Add(-1)
	id := s.trackStart(o, name)
	if hk := s.core.hooks; hk != nil && hk.MergeStart != nil {
		hk.MergeStart(s.core.name, s.id, len(o.inputs))
	}
	if err := s.rewrite(ctx, o, snaps, name); err != nil {
		err = fmt.Errorf("%s shard %d: %w", o.reason, s.id, err)
		s.core.opts.finish(id, err, s.core.now())
		return false, err
	}
	s.core.opts.finish(id, nil, s.core.now())
	return true, nil
}

// planOptimization picks the optimization due, pins its inputs with their
// deletion bitmaps and reserves the output's name, under the write lock
// (released on every path, panics included). A nil optimization means none
// is due; otherwise the caller releases the inputs.
func (s *shard) planOptimization(background bool) (*optimization, []*segment.Bitmap, string, error) {
	cfg := s.core.config()
	indexes := s.core.indexDefs()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errClosedLocked(); err != nil {
		return nil, nil, "", err
	}
	o := s.planLocked(&cfg, indexes, background && s.hot())
	if o == nil {
		return nil, nil, "", nil
	}
	snaps := make([]*segment.Bitmap, len(o.inputs))
	for i, h := range o.inputs {
		snaps[i] = h.deleted.Load()
		h.acquire()
	}
	return o, snaps, s.newSegNameLocked(), nil
}

// rewrite writes the live points of o.inputs (as of snaps) into segment
// name and swaps it in, carrying over deletions made since the snapshot.
func (s *shard) rewrite(ctx context.Context, o *optimization, snaps []*segment.Bitmap, name string) error {
	var recs []segment.Record
	var sparse sparseByID
	for i, h := range o.inputs {
		for off := range h.seg.Len() {
			if snaps[i].Has(off) {
				continue
			}
			r := segmentRecord(h.seg, uint32(off))
			recs = append(recs, r)
			sparse = sparse.add(r.ID, h.sparseAt(uint32(off)))
		}
	}
	// With optimizations disabled only payload index builds run: they keep
	// the segment's graphs as they were and build no new one.
	cfg := s.core.config()
	graphs := !cfg.OptimizationsDisabled() || len(o.inputs) == 1 && len(o.inputs[0].graphs) > 0
	nh, err := s.writeSegment(ctx, name, recs, sparse, graphs)
	if err != nil {
		return err
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	cs, err := s.installRewrite(o, snaps, nh)
	if err != nil {
		s.discard(nh)
		return err
	}
	return s.persist(cs)
}

// installRewrite swaps nh in for o.inputs, carrying over the deletions
// made since snaps, and captures the state to commit, under the write lock
// (released on every path, panics included). Caller holds commitMu.
func (s *shard) installRewrite(o *optimization, snaps []*segment.Bitmap, nh *segHandle) (*commitState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errClosedLocked(); err != nil {
		return nil, err
	}
	if nh != nil {
		s.carryDeletions(o, snaps, nh)
	}
	pos := slices.Index(s.segs, o.inputs[0])
	s.segs = slices.DeleteFunc(s.segs, func(h *segHandle) bool { return slices.Contains(o.inputs, h) })
	if nh != nil {
		s.segs = slices.Insert(s.segs, min(max(pos, 0), len(s.segs)), nh)
	}
	for _, h := range o.inputs {
		h.obsolete.Store(true)
		s.zombies = append(s.zombies, h)
	}
	return s.captureLocked(), nil
}

// carryDeletions marks in nh the points deleted from the inputs since their
// snapshots. Caller holds mu.
func (s *shard) carryDeletions(o *optimization, snaps []*segment.Bitmap, nh *segHandle) {
	bm := nh.deleted.Load()
	changed := false
	for i, h := range o.inputs {
		cur := h.deleted.Load()
		if cur == snaps[i] {
			continue
		}
		for off := range h.seg.Len() {
			if cur.Has(off) && !snaps[i].Has(off) {
				if noff, ok := nh.seg.Lookup(h.seg.ID(uint32(off))); ok {
					if !changed {
						bm, changed = bm.Clone(), true
					}
					bm.Set(int(noff))
				}
			}
		}
	}
	if changed {
		nh.deleted.Store(bm)
		nh.dirty = true
	}
}

// segmentRecord copies nothing: vectors and payload alias the mapping, which
// the caller keeps referenced until the new segment is written.
func segmentRecord(seg *segment.Segment, off uint32) segment.Record {
	r := segment.Record{ID: seg.ID(off), Version: seg.Version(off), Payload: seg.Payload(off),
		Vectors: map[string][]float32{}}
	for _, sp := range seg.Specs() {
		if v := seg.Vector(sp.Name, off); v != nil {
			r.Vectors[sp.Name] = v
		}
	}
	return r
}

// graphAttach returns a segment.Write Attach callback that builds an HNSW
// graph per vector into the segment being written, when it holds at least
// the indexing threshold; nil when no graph is due. The graphs become
// checksummed files of the segment (segment.Files lists them).
func (s *shard) graphAttach(ctx context.Context, n int) func(vfs.FS, string, *segment.Segment) ([]string, error) {
	cfg := s.core.config()
	t := cfg.indexThresholdPoints()
	if t == 0 || n < t || s.graphsWanted(&cfg) == 0 {
		return nil
	}
	return func(fsys vfs.FS, tmpDir string, seg *segment.Segment) ([]string, error) {
		var names []string
		for _, sp := range seg.Specs() {
			hc := cfg.hnswFor(sp.Name)
			if hc.M == 0 {
				continue
			}
			var groups [][]uint32
			gm := groupM(hc.PayloadM)
			if gm >= 0 {
				groups = s.core.hnswGroups(seg, fullScanPoints(hc, sp.Dim))
			}
			block, dim := seg.Vectors(sp.Name)
			include := func(i uint32) bool { return seg.HasVector(sp.Name, i) }
			g, err := hnsw.Build(ctx, block, dim, sp.Distance, include, groups,
				hnsw.Params{M: hc.M, EfConstruct: hc.EfConstruct, Seed: 1, Threads: indexingThreads(hc.MaxIndexingThreads), GroupM: gm})
			if err != nil {
				return nil, fmt.Errorf("build graph %q: %w", sp.Name, err)
			}
			err = g.WriteFile(fsys, filepath.Join(tmpDir, graphFile(sp.Name)))
			_ = g.Close()
			if err != nil {
				return nil, fmt.Errorf("write graph %q: %w", sp.Name, err)
			}
			names = append(names, graphFile(sp.Name))
		}
		return names, nil
	}
}

// groupM is hnsw.Params.GroupM for a payload_m: unset means m (GroupM 0),
// 0 no payload links (negative GroupM), n links.
func groupM(payloadM *int) int {
	switch {
	case payloadM == nil:
		return 0
	case *payloadM == 0:
		return -1
	}
	return *payloadM
}

// hnswGroups returns, for the payload indexes of seg that ask for HNSW links
// (Qdrant's enable_hnsw), the offsets sharing each value with at least
// minSize members: smaller groups are searched exactly, never by the graph.
func (c *collCore) hnswGroups(seg *segment.Segment, minSize int) [][]uint32 {
	var groups [][]uint32
	keys := c.indexKeys()
	defs := c.indexDefs()
	for _, key := range keys {
		schema := defs[key]
		b := seg.Extra(indexFile(key))
		if b == nil || !schema.EnableHNSWLinks() {
			continue
		}
		ix, err := payload.OpenIndex(b)
		if err != nil {
			continue
		}
		groups = append(groups, ix.Groups(max(2, minSize))...)
	}
	return groups
}

// indexingThreads is max_indexing_threads, 0 meaning every CPU but one, so
// that background graph builds leave a core to ingestion and search.
func indexingThreads(n int) int {
	if n > 0 {
		return n
	}
	return max(1, runtime.NumCPU()-1)
}
