package hnsw

import (
	"context"
	"fmt"
	"slices"
)

// usableGroups keeps the included members of each group and returns the
// groups worth extra links (at least 2 members, at most half of the included
// points), smallest first so that the most selective groups get their links
// first when a node belongs to several.
func usableGroups(groups [][]uint32, n int, include func(uint32) bool, included int) ([][]uint32, error) {
	var out [][]uint32
	for gi, grp := range groups {
		var members []uint32
		for _, m := range grp {
			if int64(m) >= int64(n) {
				return nil, fmt.Errorf("%w: group %d member %d out of range (n=%d)", ErrParams, gi, m, n)
			}
			if include == nil || include(m) {
				members = append(members, m)
			}
		}
		if len(members) >= 2 && len(members) <= included/2 {
			out = append(out, members)
		}
	}
	slices.SortStableFunc(out, func(a, b []uint32) int { return len(a) - len(b) })
	return out, nil
}

// addGroupLinks builds a sub-graph over each group's members and merges its
// layer-0 links into g's extra links (up to g.mx per node), as Qdrant does
// for payload values, so that a search filtered to one group stays connected.
func (g *Graph) addGroupLinks(ctx context.Context, groups [][]uint32, p Params) error {
	if g.mx == 0 {
		return nil
	}
	sm := max(g.mx/2, 2)
	for gi, members := range groups {
		sub := newGraph(len(members), g.dim, g.dist, g.kind, sm, 0, g.vecs)
		sub.pair = g.pair
		b := newBuilder(sub, members, p.EfConstruct)
		order := make([]uint32, len(members))
		for i := range order {
			order[i] = uint32(i)
		}
		b.drawLevels(order, p.Seed+int64(gi)+1)
		if err := b.run(ctx, order, p.Threads); err != nil {
			return err
		}
		g.mergeExtra(sub, members)
	}
	return nil
}

// mergeExtra appends the sub-graph's layer-0 links (translated to offsets)
// to each member's extra links, skipping links it already has.
func (g *Graph) mergeExtra(sub *Graph, members []uint32) {
	for j, self := range members {
		ss := sub.layer0[j*sub.stride:]
		sl := ss[1 : 1+int(ss[0]&0xffff)]
		o := int(self) * g.stride
		slot := g.layer0[o : o+g.stride]
		nb, ne := int(slot[0]&0xffff), int(slot[0]>>16)
		for _, t := range sl {
			if ne >= g.mx {
				break
			}
			to := members[t]
			if to == self || slices.Contains(slot[1:1+nb], to) || slices.Contains(slot[1+g.m0:1+g.m0+ne], to) {
				continue
			}
			slot[1+g.m0+ne] = to
			ne++
		}
		slot[0] = uint32(nb) | uint32(ne)<<16
	}
}
