package grpcapi

import "github.com/qdrant/go-client/qdrant"

// collectionsService implements qdrant.CollectionsServer.
type collectionsService struct {
	qdrant.UnimplementedCollectionsServer
	s *Server
}
