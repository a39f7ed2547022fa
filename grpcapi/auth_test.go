package grpcapi

import (
	"context"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestAuth: with service.api_key and read_only_api_key set, a call without
// a key or with a wrong one is Unauthenticated, the read-only key reads
// but is PermissionDenied on writes, the full key (api-key metadata or a
// bearer token) may do everything, and HealthCheck needs no key, with
// REST's texts.
func TestAuth(t *testing.T) {
	e := newTestEnv(t, Options{APIKey: "full-key", ReadOnlyAPIKey: "ro-key"})
	col, snaps := e.collections(), e.snapshotsClient()
	bg := context.Background()
	if _, err := qdrant.NewQdrantClient(e.conn).HealthCheck(bg, &qdrant.HealthCheckRequest{}); err != nil {
		t.Fatalf("health without key: %v", err)
	}
	_, err := col.List(bg, &qdrant.ListCollectionsRequest{})
	wantCode(t, "no key", err, codes.Unauthenticated, "Must provide an API key or an Authorization bearer token")
	_, err = col.List(withKey("nope"), &qdrant.ListCollectionsRequest{})
	wantCode(t, "wrong key", err, codes.Unauthenticated, "Invalid API key or JWT")
	bearer := metadata.AppendToOutgoingContext(bg, "authorization", "Bearer nope")
	_, err = col.List(bearer, &qdrant.ListCollectionsRequest{})
	wantCode(t, "wrong bearer", err, codes.Unauthenticated, "Invalid API key or JWT")

	create := &qdrant.CreateCollection{CollectionName: "c", VectorsConfig: vectors4()}
	_, err = col.Create(withKey("ro-key"), create)
	wantCode(t, "read-only create", err, codes.PermissionDenied, "Forbidden: Write access is required")
	if _, err := col.Create(metadata.AppendToOutgoingContext(bg, "authorization", "Bearer full-key"), create); err != nil {
		t.Fatalf("create with bearer full key: %v", err)
	}
	ro := withKey("ro-key")
	if _, err := col.Get(ro, &qdrant.GetCollectionInfoRequest{CollectionName: "c"}); err != nil {
		t.Fatalf("read-only get: %v", err)
	}
	if _, err := snaps.List(ro, &qdrant.ListSnapshotsRequest{CollectionName: "c"}); err != nil {
		t.Fatalf("read-only snapshot list: %v", err)
	}
	_, err = snaps.Create(ro, &qdrant.CreateSnapshotRequest{CollectionName: "c"})
	wantCode(t, "read-only snapshot create", err, codes.PermissionDenied, "Write access is required")
	_, err = col.Delete(ro, &qdrant.DeleteCollection{CollectionName: "c"})
	wantCode(t, "read-only delete", err, codes.PermissionDenied)
	_, err = qdrant.NewPointsClient(e.conn).Upsert(ro, &qdrant.UpsertPoints{CollectionName: "c"})
	wantCode(t, "read-only upsert", err, codes.PermissionDenied)

	// Qdrant's official client sends the key as api-key metadata.
	c := e.officialClient(t, "full-key")
	exists, err := c.CollectionExists(bg, "c")
	if err != nil || !exists {
		t.Fatalf("official client: exists %v, %v", exists, err)
	}
	if _, err := e.officialClient(t, "").ListCollections(bg); err == nil {
		t.Fatal("official client without key listed collections")
	}
}

// TestAuthOff: without keys every method is open.
func TestAuthOff(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "c")
}

// TestMethodAccessNamesRealMethods: every method the access table lists is
// a method of Qdrant's services (a typo would make a read a write), and
// the table lists every read Qdrant's own table has.
func TestMethodAccessNamesRealMethods(t *testing.T) {
	known := map[string]bool{}
	for _, sd := range serviceDescs() {
		for _, m := range sd.Methods {
			known["/"+sd.ServiceName+"/"+m.MethodName] = true
		}
	}
	for name := range methodAccess {
		if !known[name] {
			t.Errorf("methodAccess lists %s, which no service has", name)
		}
	}
	for _, name := range []string{"/qdrant.Collections/CollectionExists", "/qdrant.Collections/List", "/qdrant.Collections/Get",
		"/qdrant.Points/Scroll", "/qdrant.Points/Get", "/qdrant.Points/Count", "/qdrant.Points/Search", "/qdrant.Points/SearchGroups",
		"/qdrant.Points/SearchBatch", "/qdrant.Points/Recommend", "/qdrant.Points/RecommendGroups", "/qdrant.Points/RecommendBatch",
		"/qdrant.Points/Discover", "/qdrant.Points/DiscoverBatch", "/qdrant.Points/Query", "/qdrant.Points/QueryBatch",
		"/qdrant.Points/QueryGroups", "/qdrant.Points/Facet", "/qdrant.Points/SearchMatrixPairs", "/qdrant.Points/SearchMatrixOffsets",
		"/qdrant.Snapshots/List", "/qdrant.Snapshots/ListFull"} {
		if methodAccess[name] != accessRead {
			t.Errorf("%s is not a read", name)
		}
	}
}

// serviceDescs are the services New registers.
func serviceDescs() []grpc.ServiceDesc {
	return []grpc.ServiceDesc{qdrant.Qdrant_ServiceDesc, qdrant.Collections_ServiceDesc, qdrant.Points_ServiceDesc, qdrant.Snapshots_ServiceDesc}
}

// methodTypes returns new request and response messages of a method.
func methodTypes(t *testing.T, service, method string) (req, resp protoreflect.ProtoMessage) {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		t.Fatal(err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	return in.New().Interface(), out.New().Interface()
}
