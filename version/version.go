// Package version holds Cairn's version and the version of Qdrant's API it
// implements, for every transport (REST in server/, gRPC in grpcapi/) and
// the command line to report the same figures.
package version

// Cairn is Cairn's own version.
const Cairn = "0.1.0"

// QdrantAPI is the version of Qdrant's API that Cairn implements; REST's
// GET / and gRPC's HealthCheck report it as "version" so that Qdrant
// clients accept the server.
const QdrantAPI = "1.19.0"
