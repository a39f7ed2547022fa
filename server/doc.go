// Package server translates Qdrant's REST API into calls on Cairn's engine:
// it decodes requests, calls the domain, and encodes answers in Qdrant's
// envelope ({result, status: "ok", time} or {status: {error}, time}). It
// holds no storage logic; HTTP status codes are chosen here and only here,
// in the table of errors.go.
//
// Files by job: server.go (options, middleware chain, route table),
// auth.go (api-key / bearer keys, read-only key), errors.go and
// errhandler.go (error → status), codec.go (goccy/go-json serializer, body
// limit), vectors.go, floatparse.go and upsertfast.go (fast, strict decoding
// of vectors and upsert bodies), collections.go, points_write.go,
// points_read.go, search.go, examples.go (recommend), query.go and
// fusion.go (the query API), health.go and metrics.go (service routes).
package server
