package grpcapi

import (
	"context"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// TestAliases: create, list (all and per collection), use, rename and
// delete aliases; a bad action or target is refused and changes nothing.
func TestAliases(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	e.mustCreate(t, "c")
	change := func(ops ...*qdrant.AliasOperations) error {
		_, err := col.UpdateAliases(bg, &qdrant.ChangeAliases{Actions: ops})
		return err
	}
	if err := change(qdrant.NewAliasCreate("a1", "c")); err != nil {
		t.Fatal(err)
	}
	all, err := col.ListAliases(bg, &qdrant.ListAliasesRequest{})
	if err != nil || len(all.GetAliases()) != 1 || all.GetAliases()[0].GetAliasName() != "a1" || all.GetAliases()[0].GetCollectionName() != "c" {
		t.Fatalf("list %v, %v", all, err)
	}
	if _, err := col.Get(bg, &qdrant.GetCollectionInfoRequest{CollectionName: "a1"}); err != nil {
		t.Fatalf("get through alias: %v", err)
	}
	if err := change(qdrant.NewAliasRename("a1", "a2")); err != nil {
		t.Fatal(err)
	}
	of, err := col.ListCollectionAliases(bg, &qdrant.ListCollectionAliasesRequest{CollectionName: "c"})
	if err != nil || len(of.GetAliases()) != 1 || of.GetAliases()[0].GetAliasName() != "a2" {
		t.Fatalf("aliases of c: %v, %v", of, err)
	}
	wantCode(t, "alias of unknown", change(qdrant.NewAliasCreate("a3", "nope")), codes.NotFound)
	wantCode(t, "empty action", change(qdrant.NewAliasCreate("a4", "c"), &qdrant.AliasOperations{}), codes.InvalidArgument,
		"actions[1]: expected exactly one of create_alias, delete_alias, rename_alias")
	if err := change(qdrant.NewAliasDelete("a2")); err != nil {
		t.Fatal(err)
	}
	all, err = col.ListAliases(bg, &qdrant.ListAliasesRequest{})
	if err != nil || len(all.GetAliases()) != 0 {
		t.Fatalf("after delete: %v, %v (a refused request must add nothing)", all, err)
	}
}

// TestUnimplementedCollectionMethods: what a single node without custom
// sharding cannot do is Unimplemented naming the feature.
func TestUnimplementedCollectionMethods(t *testing.T) {
	e := newTestEnv(t, Options{})
	col, bg := e.collections(), context.Background()
	e.mustCreate(t, "c")
	ci, err := col.CollectionClusterInfo(bg, &qdrant.CollectionClusterInfoRequest{CollectionName: "c"})
	if err != nil || ci.GetPeerId() == 0 || len(ci.GetLocalShards()) != 1 || ci.GetLocalShards()[0].GetState() != qdrant.ReplicaState_Active {
		t.Fatalf("cluster info %v, %v", ci, err)
	}
	_, err = col.CollectionClusterInfo(bg, &qdrant.CollectionClusterInfoRequest{CollectionName: "nope"})
	wantCode(t, "cluster info of a missing collection", err, codes.NotFound, "nope")
	_, err = col.UpdateCollectionClusterSetup(bg, &qdrant.UpdateCollectionClusterSetupRequest{CollectionName: "c"})
	wantCode(t, "cluster setup", err, codes.Unimplemented, "cluster setup")
	_, err = col.CreateShardKey(bg, &qdrant.CreateShardKeyRequest{CollectionName: "c"})
	wantCode(t, "create shard key", err, codes.Unimplemented, "shard keys")
	_, err = col.DeleteShardKey(bg, &qdrant.DeleteShardKeyRequest{CollectionName: "c"})
	wantCode(t, "delete shard key", err, codes.Unimplemented, "shard keys")
	_, err = col.ListShardKeys(bg, &qdrant.ListShardKeysRequest{CollectionName: "c"})
	wantCode(t, "list shard keys", err, codes.Unimplemented, "shard keys")
}
