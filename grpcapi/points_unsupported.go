package grpcapi

import (
	"context"

	"github.com/qdrant/go-client/qdrant"
)

// The methods of Qdrant's Points service for features the engine does not
// have: each answers Unimplemented naming the feature (never the
// generated "method X not implemented", never a silent wrong answer).
// REST has no route for them either.

// SearchGroups is Unimplemented: the engine has no grouping.
func (p *pointsService) SearchGroups(context.Context, *qdrant.SearchPointGroups) (*qdrant.SearchGroupsResponse, error) {
	return nil, unimplemented("search groups (group_by)")
}

// RecommendGroups is Unimplemented: the engine has no grouping.
func (p *pointsService) RecommendGroups(context.Context, *qdrant.RecommendPointGroups) (*qdrant.RecommendGroupsResponse, error) {
	return nil, unimplemented("recommend groups (group_by)")
}

// QueryGroups is Unimplemented: the engine has no grouping.
func (p *pointsService) QueryGroups(context.Context, *qdrant.QueryPointGroups) (*qdrant.QueryGroupsResponse, error) {
	return nil, unimplemented("query groups (group_by)")
}

// Discover is Unimplemented: the engine has no discovery search.
func (p *pointsService) Discover(context.Context, *qdrant.DiscoverPoints) (*qdrant.DiscoverResponse, error) {
	return nil, unimplemented("discover")
}

// DiscoverBatch is Unimplemented: the engine has no discovery search.
func (p *pointsService) DiscoverBatch(context.Context, *qdrant.DiscoverBatchPoints) (*qdrant.DiscoverBatchResponse, error) {
	return nil, unimplemented("discover")
}

// Facet is Unimplemented: the engine has no facet counts.
func (p *pointsService) Facet(context.Context, *qdrant.FacetCounts) (*qdrant.FacetResponse, error) {
	return nil, unimplemented("facet counts")
}

// SearchMatrixPairs is Unimplemented: the engine has no distance matrix.
func (p *pointsService) SearchMatrixPairs(context.Context, *qdrant.SearchMatrixPoints) (*qdrant.SearchMatrixPairsResponse, error) {
	return nil, unimplemented("search matrix")
}

// SearchMatrixOffsets is Unimplemented: the engine has no distance matrix.
func (p *pointsService) SearchMatrixOffsets(context.Context, *qdrant.SearchMatrixPoints) (*qdrant.SearchMatrixOffsetsResponse, error) {
	return nil, unimplemented("search matrix")
}
