package grpcapi

import (
	"context"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/server"
)

// healthTitle is the title REST's GET / answers.
const healthTitle = "cairn - vector search engine"

// qdrantService implements qdrant.QdrantServer.
type qdrantService struct {
	qdrant.UnimplementedQdrantServer
	s *Server
}

// HealthCheck answers as REST's GET /: the title and the Qdrant API
// version Cairn implements (which Qdrant's clients compare with their
// own). Cairn has no commit hash to report; the field stays unset, as
// Qdrant leaves it when built without one.
func (q *qdrantService) HealthCheck(context.Context, *qdrant.HealthCheckRequest) (*qdrant.HealthCheckReply, error) {
	return &qdrant.HealthCheckReply{Title: healthTitle, Version: server.QdrantAPIVersion}, nil
}
