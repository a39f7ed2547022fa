// Package grpcapi serves Qdrant's gRPC API (services Qdrant, Collections,
// Points and Snapshots, as generated in github.com/qdrant/go-client's qdrant
// package) over the same engine and snapshot manager as the REST API.
//
// Like server/, it only translates: a request is decoded into the engine's
// or the snapshot manager's call, and the answer or error encoded back.
// Errors get their gRPC code in one place, toStatus (errors.go), as REST's
// get their HTTP code in server/errors.go. API keys are checked by the
// interceptors of auth.go with the same rules as REST.
package grpcapi
