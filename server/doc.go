// Package server translates Qdrant's REST API into calls on Cairn's engine:
// it decodes requests, calls the domain, and encodes answers in Qdrant's
// envelope. It holds no storage logic; HTTP status codes are chosen here and
// only here.
package server
