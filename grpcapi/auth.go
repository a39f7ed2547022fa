package grpcapi

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// access is what a method requires of the caller's key.
type access uint8

const (
	// accessWrite methods need the full key; every method not listed in
	// methodAccess is one.
	accessWrite access = iota
	// accessRead methods are allowed with the read-only key too.
	accessRead
	// accessOpen methods need no key (Qdrant's health check).
	accessOpen
)

// methodAccess lists the methods that are not writes, by full method name.
// Qdrant's read-only key may call exactly these (and HealthCheck needs no
// key at all, as Qdrant's health endpoints).
var methodAccess = map[string]access{
	qdrant.Qdrant_HealthCheck_FullMethodName: accessOpen,

	qdrant.Collections_Get_FullMethodName:                   accessRead,
	qdrant.Collections_List_FullMethodName:                  accessRead,
	qdrant.Collections_CollectionExists_FullMethodName:      accessRead,
	qdrant.Collections_ListAliases_FullMethodName:           accessRead,
	qdrant.Collections_ListCollectionAliases_FullMethodName: accessRead,
	qdrant.Collections_CollectionClusterInfo_FullMethodName: accessRead,
	qdrant.Collections_ListShardKeys_FullMethodName:         accessRead,

	qdrant.Points_Get_FullMethodName:                 accessRead,
	qdrant.Points_Scroll_FullMethodName:              accessRead,
	qdrant.Points_Count_FullMethodName:               accessRead,
	qdrant.Points_Search_FullMethodName:              accessRead,
	qdrant.Points_SearchBatch_FullMethodName:         accessRead,
	qdrant.Points_SearchGroups_FullMethodName:        accessRead,
	qdrant.Points_Recommend_FullMethodName:           accessRead,
	qdrant.Points_RecommendBatch_FullMethodName:      accessRead,
	qdrant.Points_RecommendGroups_FullMethodName:     accessRead,
	qdrant.Points_Discover_FullMethodName:            accessRead,
	qdrant.Points_DiscoverBatch_FullMethodName:       accessRead,
	qdrant.Points_Query_FullMethodName:               accessRead,
	qdrant.Points_QueryBatch_FullMethodName:          accessRead,
	qdrant.Points_QueryGroups_FullMethodName:         accessRead,
	qdrant.Points_Facet_FullMethodName:               accessRead,
	qdrant.Points_SearchMatrixPairs_FullMethodName:   accessRead,
	qdrant.Points_SearchMatrixOffsets_FullMethodName: accessRead,

	qdrant.Snapshots_List_FullMethodName:     accessRead,
	qdrant.Snapshots_ListFull_FullMethodName: accessRead,
}

// Qdrant's answers to a missing or wrong key (Unauthenticated) and to the
// read-only key on a write (PermissionDenied); the texts are REST's.
const (
	msgNoKey     = "Must provide an API key or an Authorization bearer token"
	msgBadKey    = "Invalid API key or JWT"
	msgReadOnly  = "Forbidden: Write access is required"
	metaAPIKey   = "api-key"
	metaAuthz    = "authorization"
	bearerPrefix = "Bearer "
)

func (s *Server) authUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (s *Server) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// authorize enforces service.api_key and service.read_only_api_key for
// one call, with REST's rules: keys compared in constant time, the
// read-only key limited to methodAccess's reads.
func (s *Server) authorize(ctx context.Context, method string) error {
	full, ro := s.opts.APIKey, s.opts.ReadOnlyAPIKey
	if full == "" && ro == "" {
		return nil
	}
	need := methodAccess[method] // absent: accessWrite
	if need == accessOpen {
		return nil
	}
	key, found := callKey(ctx)
	if !found {
		return status.Error(codes.Unauthenticated, msgNoKey)
	}
	switch {
	case full != "" && keyEqual(key, full):
		return nil
	case ro != "" && keyEqual(key, ro):
		if need == accessWrite {
			return status.Error(codes.PermissionDenied, msgReadOnly)
		}
		return nil
	}
	return status.Error(codes.Unauthenticated, msgBadKey)
}

// callKey returns the key from the api-key metadata or an authorization
// bearer token, as REST reads its headers.
func callKey(ctx context.Context) (string, bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(metaAPIKey); len(v) > 0 && v[0] != "" {
		return v[0], true
	}
	if v := md.Get(metaAuthz); len(v) > 0 {
		if tok, ok := strings.CutPrefix(v[0], bearerPrefix); ok {
			return tok, true
		}
	}
	return "", false
}

func keyEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
