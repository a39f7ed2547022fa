package engine

import (
	"cmp"
	"context"
	"math"
	"slices"
)

// feedbackMaxPairs is Qdrant's number of feedback pairs a naive
// relevance_feedback query uses at most.
const feedbackMaxPairs = 3

// FeedbackItem is one judged example of a relevance_feedback query: a
// vector or stored point and the score the client gave it.
type FeedbackItem struct {
	Example VectorInput
	Score   float32
}

// NaiveFeedback is Qdrant's naive feedback strategy's trained
// coefficients (B at least 0).
type NaiveFeedback struct {
	A, B, C float32
}

// RelevanceFeedbackInput is Qdrant's RelevanceFeedbackInput: a target and
// judged examples, scored with the naive strategy.
type RelevanceFeedbackInput struct {
	Target   VectorInput
	Feedback []FeedbackItem
	Naive    NaiveFeedback
}

// feedbackSearch resolves a relevance_feedback query into Qdrant's
// custom scoring: the examples sorted by score (best first) are paired
// first with last, second with second-to-last, up to feedbackMaxPairs
// pairs; a point scores a·sim(target) + Σ (Δscore^b · c) · (sim(positive)
// − sim(negative)) over the pairs, in float32, sim the distance's raw
// similarity. Referenced points of this collection are left out of the
// results.
func (c *Collection) feedbackSearch(ctx context.Context, in RelevanceFeedbackInput, using string, lookup *LookupLocation, base SearchRequest) (SearchRequest, error) {
	if !(in.Naive.B >= 0) {
		return base, errInvalid("strategy.naive.b", "value %v invalid, must be 0 or more", in.Naive.B)
	}
	if err := c.refuseSparse("relevance_feedback", using); err != nil {
		return base, err
	}
	items := slices.Clone(in.Feedback)
	slices.SortStableFunc(items, func(x, y FeedbackItem) int { return cmp.Compare(y.Score, x.Score) })
	all := []VectorInput{in.Target}
	for _, it := range items {
		all = append(all, it.Example)
	}
	src, vecs, err := c.lookupExamples(ctx, using, lookup, all)
	if err != nil {
		return base, err
	}
	q := &customQuery{kind: customFeedback, target: vecs[0], a: in.Naive.A}
	vecs = vecs[1:]
	for front, back := 0, len(items)-1; front < back && len(q.pos) < min(feedbackMaxPairs, len(items)/2); front, back = front+1, back-1 {
		conf := items[front].Score - items[back].Score
		w := float32(math.Pow(float64(conf), float64(in.Naive.B))) * in.Naive.C
		q.pos, q.neg, q.weights = append(q.pos, vecs[front]), append(q.neg, vecs[back]), append(q.weights, w)
	}
	base.Vector, base.custom = NamedVector{Name: using}, q
	if src == c {
		base.Filter = excludeIDs(base.Filter, all)
	}
	return base, nil
}
