package grpcapi

import "github.com/qdrant/go-client/qdrant"

// snapshotsService implements qdrant.SnapshotsServer.
type snapshotsService struct {
	qdrant.UnimplementedSnapshotsServer
	s *Server
}
