package grpcapi

import "github.com/qdrant/go-client/qdrant"

// pointsService implements qdrant.PointsServer (points*.go).
type pointsService struct {
	qdrant.UnimplementedPointsServer
	s *Server
}
