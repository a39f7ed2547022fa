package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
)

// collectionsService implements qdrant.CollectionsServer with REST's
// collection routes' engine calls (server/collections.go).
type collectionsService struct {
	qdrant.UnimplementedCollectionsServer
	s *Server
}

// Get answers as GET /collections/{c}.
func (c *collectionsService) Get(_ context.Context, req *qdrant.GetCollectionInfoRequest) (*qdrant.GetCollectionInfoResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	info, err := st.CollectionInfo(req.GetCollectionName())
	if err != nil {
		return nil, toStatus(err)
	}
	info.Warnings = append(info.Warnings, c.s.backupWarnings(st, req.GetCollectionName())...)
	return &qdrant.GetCollectionInfoResponse{Result: collectionInfoProto(info), Time: elapsed(start)}, nil
}

// List answers as GET /collections.
func (c *collectionsService) List(context.Context, *qdrant.ListCollectionsRequest) (*qdrant.ListCollectionsResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	names := st.ListCollections()
	out := &qdrant.ListCollectionsResponse{Collections: make([]*qdrant.CollectionDescription, len(names))}
	for i, n := range names {
		out.Collections[i] = &qdrant.CollectionDescription{Name: n}
	}
	out.Time = elapsed(start)
	return out, nil
}

// Create answers as PUT /collections/{c}: the request becomes REST's body,
// decoded and checked as REST does (collections_convert.go).
func (c *collectionsService) Create(_ context.Context, req *qdrant.CreateCollection) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	b, err := createCollectionBody(req)
	if err != nil {
		return nil, err
	}
	body, err := encodeBody(b)
	if err != nil {
		return nil, err
	}
	var cc engine.CreateCollection
	if err := decodeBody(body, &cc); err != nil {
		return nil, err
	}
	if err := engine.CheckCreateCollection(body); err != nil {
		return nil, toStatus(err)
	}
	if err := st.CreateCollection(req.GetCollectionName(), cc); err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CollectionOperationResponse{Result: true, Time: elapsed(start)}, nil
}

// Update answers as PATCH /collections/{c}.
func (c *collectionsService) Update(_ context.Context, req *qdrant.UpdateCollection) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	b, err := updateCollectionBody(req)
	if err != nil {
		return nil, err
	}
	body, err := encodeBody(b)
	if err != nil {
		return nil, err
	}
	var u engine.CollectionUpdate
	if err := decodeBody(body, &u); err != nil {
		return nil, err
	}
	if err := engine.CheckCollectionUpdate(body); err != nil {
		return nil, toStatus(err)
	}
	if err := st.UpdateCollection(req.GetCollectionName(), u); err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CollectionOperationResponse{Result: true, Time: elapsed(start)}, nil
}

// Delete answers as DELETE /collections/{c}: result false when there was
// no such collection.
func (c *collectionsService) Delete(_ context.Context, req *qdrant.DeleteCollection) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	deleted, err := st.DeleteCollection(req.GetCollectionName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CollectionOperationResponse{Result: deleted, Time: elapsed(start)}, nil
}

// CollectionExists answers as GET /collections/{c}/exists.
func (c *collectionsService) CollectionExists(_ context.Context, req *qdrant.CollectionExistsRequest) (*qdrant.CollectionExistsResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	exists := st.CollectionExists(req.GetCollectionName())
	return &qdrant.CollectionExistsResponse{Result: &qdrant.CollectionExists{Exists: exists}, Time: elapsed(start)}, nil
}

// UpdateAliases answers as POST /collections/aliases: every action applied,
// or none.
func (c *collectionsService) UpdateAliases(_ context.Context, req *qdrant.ChangeAliases) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	ops := make([]engine.AliasOp, len(req.GetActions()))
	for i, a := range req.GetActions() {
		switch a := a.GetAction().(type) {
		case *qdrant.AliasOperations_CreateAlias:
			ops[i].CreateAlias = &engine.CreateAlias{CollectionName: a.CreateAlias.GetCollectionName(), AliasName: a.CreateAlias.GetAliasName()}
		case *qdrant.AliasOperations_DeleteAlias:
			ops[i].DeleteAlias = &engine.DeleteAlias{AliasName: a.DeleteAlias.GetAliasName()}
		case *qdrant.AliasOperations_RenameAlias:
			ops[i].RenameAlias = &engine.RenameAlias{OldAliasName: a.RenameAlias.GetOldAliasName(), NewAliasName: a.RenameAlias.GetNewAliasName()}
		default:
			return nil, invalidArg("Format error in JSON body: actions[%d]: expected exactly one of create_alias, delete_alias, rename_alias", i)
		}
	}
	if err := st.UpdateAliases(ops); err != nil {
		return nil, toStatus(err)
	}
	return &qdrant.CollectionOperationResponse{Result: true, Time: elapsed(start)}, nil
}

// ListAliases answers as GET /aliases.
func (c *collectionsService) ListAliases(context.Context, *qdrant.ListAliasesRequest) (*qdrant.ListAliasesResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	return aliasesProto(st.ListAliases(), start), nil
}

// ListCollectionAliases answers as GET /collections/{c}/aliases.
func (c *collectionsService) ListCollectionAliases(_ context.Context, req *qdrant.ListCollectionAliasesRequest) (*qdrant.ListAliasesResponse, error) {
	start := time.Now()
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	al, err := st.CollectionAliases(req.GetCollectionName())
	if err != nil {
		return nil, toStatus(err)
	}
	return aliasesProto(al, start), nil
}

func aliasesProto(al []engine.AliasDescription, start time.Time) *qdrant.ListAliasesResponse {
	out := &qdrant.ListAliasesResponse{Aliases: make([]*qdrant.AliasDescription, len(al))}
	for i, a := range al {
		out.Aliases[i] = &qdrant.AliasDescription{AliasName: a.AliasName, CollectionName: a.CollectionName}
	}
	out.Time = elapsed(start)
	return out
}

// CollectionClusterInfo answers as GET /collections/{c}/cluster: every
// shard local and Active on this node.
func (c *collectionsService) CollectionClusterInfo(_ context.Context, req *qdrant.CollectionClusterInfoRequest) (*qdrant.CollectionClusterInfoResponse, error) {
	st, err := c.s.storage()
	if err != nil {
		return nil, err
	}
	col, err := st.Collection(req.GetCollectionName())
	if err != nil {
		return nil, toStatus(err)
	}
	info := col.ClusterInfo(st.PeerID())
	out := &qdrant.CollectionClusterInfoResponse{PeerId: info.PeerID, ShardCount: uint64(info.ShardCount),
		RemoteShards: []*qdrant.RemoteShardInfo{}, ShardTransfers: []*qdrant.ShardTransferInfo{}}
	for _, sh := range info.LocalShards {
		out.LocalShards = append(out.LocalShards, &qdrant.LocalShardInfo{ShardId: uint32(sh.ShardID),
			PointsCount: uint64(sh.PointsCount), State: qdrant.ReplicaState_Active})
	}
	return out, nil
}

// UpdateCollectionClusterSetup: Cairn is a single node; there are no
// shards to move, replicate or drop between peers.
func (c *collectionsService) UpdateCollectionClusterSetup(context.Context, *qdrant.UpdateCollectionClusterSetupRequest) (*qdrant.UpdateCollectionClusterSetupResponse, error) {
	return nil, unimplemented("cluster setup (moving, replicating or dropping shards between peers)")
}

// CreateShardKey: custom sharding is refused at creation (sharding_method).
func (c *collectionsService) CreateShardKey(context.Context, *qdrant.CreateShardKeyRequest) (*qdrant.CreateShardKeyResponse, error) {
	return nil, unimplemented("custom sharding (shard keys)")
}

// DeleteShardKey: as CreateShardKey.
func (c *collectionsService) DeleteShardKey(context.Context, *qdrant.DeleteShardKeyRequest) (*qdrant.DeleteShardKeyResponse, error) {
	return nil, unimplemented("custom sharding (shard keys)")
}

// ListShardKeys: as CreateShardKey.
func (c *collectionsService) ListShardKeys(context.Context, *qdrant.ListShardKeysRequest) (*qdrant.ListShardKeysResponse, error) {
	return nil, unimplemented("custom sharding (shard keys)")
}

// backupWarnings are the stale-backup warnings of the collection (or of
// the one the alias points at), as REST adds them.
func (s *Server) backupWarnings(st *engine.Storage, name string) []engine.CollectionWarning {
	if s.opts.Backup == nil {
		return nil
	}
	if col, err := st.Collection(name); err == nil {
		name = col.Name()
	}
	return s.opts.Backup.Warnings(name)
}
