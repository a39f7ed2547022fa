package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cairn-db/cairn/snapshot"
)

// snapshotsService implements qdrant.SnapshotsServer with REST's snapshot
// routes' snapshot.Manager calls (server/snapshots.go). Qdrant's gRPC
// snapshot calls have no wait parameter: each returns when its work is
// done (REST's wait=true), cancelled with the call.
type snapshotsService struct {
	qdrant.UnimplementedSnapshotsServer
	s *Server
}

// manager returns the snapshot manager, Unavailable without one.
func (sn *snapshotsService) manager() (*snapshot.Manager, error) {
	m, err := sn.s.snapshots()
	if err != nil {
		return nil, err
	}
	if m.Storage == nil {
		return nil, status.Error(codes.Unavailable, "Service unavailable: snapshots are not configured")
	}
	return m, nil
}

// Create answers as POST /collections/{c}/snapshots.
func (sn *snapshotsService) Create(ctx context.Context, req *qdrant.CreateSnapshotRequest) (*qdrant.CreateSnapshotResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	name := req.GetCollectionName()
	if _, err := m.Storage.Collection(name); err != nil {
		return nil, toStatus(err)
	}
	d, err := m.CreateCollection(ctx, name)
	if err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CreateSnapshotResponse{SnapshotDescription: snapshotProto(d), Time: elapsed(start)}, nil
}

// List answers as GET /collections/{c}/snapshots.
func (sn *snapshotsService) List(_ context.Context, req *qdrant.ListSnapshotsRequest) (*qdrant.ListSnapshotsResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	ds, err := m.ListCollection(req.GetCollectionName())
	if err != nil {
		return nil, toStatus(err)
	}
	return snapshotsProto(ds, start), nil
}

// Delete answers as DELETE /collections/{c}/snapshots/{s}.
func (sn *snapshotsService) Delete(_ context.Context, req *qdrant.DeleteSnapshotRequest) (*qdrant.DeleteSnapshotResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	if err := m.DeleteCollection(req.GetCollectionName(), req.GetSnapshotName()); err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.DeleteSnapshotResponse{Time: elapsed(start)}, nil
}

// CreateFull answers as POST /snapshots.
func (sn *snapshotsService) CreateFull(ctx context.Context, _ *qdrant.CreateFullSnapshotRequest) (*qdrant.CreateSnapshotResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	d, err := m.CreateFull(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CreateSnapshotResponse{SnapshotDescription: snapshotProto(d), Time: elapsed(start)}, nil
}

// ListFull answers as GET /snapshots.
func (sn *snapshotsService) ListFull(context.Context, *qdrant.ListFullSnapshotsRequest) (*qdrant.ListSnapshotsResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	ds, err := m.ListFull()
	if err != nil {
		return nil, toStatus(err)
	}
	return snapshotsProto(ds, start), nil
}

// DeleteFull answers as DELETE /snapshots/{s}.
func (sn *snapshotsService) DeleteFull(_ context.Context, req *qdrant.DeleteFullSnapshotRequest) (*qdrant.DeleteSnapshotResponse, error) {
	start := time.Now()
	m, err := sn.manager()
	if err != nil {
		return nil, err
	}
	if err := m.DeleteFull(req.GetSnapshotName()); err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.DeleteSnapshotResponse{Time: elapsed(start)}, nil
}

// snapshotProto is one listing entry: REST's name, creation time (UTC, to
// the second), size and checksum (absent when unknown).
func snapshotProto(d snapshot.Description) *qdrant.SnapshotDescription {
	out := &qdrant.SnapshotDescription{Name: d.Name, CreationTime: timestamppb.New(time.Time(d.CreationTime)), Size: d.Size}
	if d.Checksum != "" {
		sum := d.Checksum
		out.Checksum = &sum
	}
	return out
}

func snapshotsProto(ds []snapshot.Description, start time.Time) *qdrant.ListSnapshotsResponse {
	out := &qdrant.ListSnapshotsResponse{SnapshotDescriptions: make([]*qdrant.SnapshotDescription, len(ds))}
	for i, d := range ds {
		out.SnapshotDescriptions[i] = snapshotProto(d)
	}
	out.Time = elapsed(start)
	return out
}
