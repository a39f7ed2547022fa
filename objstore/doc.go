// Package objstore is where snapshots go when they leave the machine: a flat
// namespace of immutable objects addressed by key, with a local-folder
// implementation and an S3 one behind the same small interface.
//
// Keys are slash-separated relative paths ("snapshots/c/c-1-2026.snapshot",
// "objects/sha256/ab/abcd…"); ValidKey says which are accepted. An object is
// written whole or not at all (Put), read whole or by range (Get), and never
// changed in place: callers that need a new version write a new key. A
// caller that knows the SHA-256 of what it puts declares it (PutHashed): the
// store refuses bytes that do not match, and S3 signs the request with it
// instead of hashing the body again.
//
// The package knows nothing of snapshots; the snapshot package lays its
// archives, manifests and content-addressed files out on a Store.
package objstore
