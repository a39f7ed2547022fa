package snapshot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestRemoteManifestVersions: this build writes version 2 with cut_at,
// wal_lsns and timelines, and still reads version 1 manifests, which have
// none; a point-in-time recovery bounds a version 2 snapshot's cut by
// cut_at and a version 1 one by its object's modification time, rounded
// up past the store's whole second.
func TestRemoteManifestVersions(t *testing.T) {
	sum := strings.Repeat("0a", 32)
	cut := time.Date(2026, 12, 7, 10, 0, 1, 500, time.UTC)
	rm := &RemoteManifest{Kind: KindCollection, Name: "c-1-2026-12-07-10-00-01.snapshot", Collection: "c",
		CreatedAt: cut.Truncate(time.Second), CutAt: cut, WALLSNs: []uint64{7}, Timelines: map[string]string{"c": "00000000000000ab"},
		Entries: []RemoteEntry{{Path: "f", Size: 3, Chunks: []RemoteChunk{{Size: 3, SHA256: sum, Object: objectKey(sum, false)}}}}}
	b, err := encodeRemote(rm)
	if err != nil {
		t.Fatal(err)
	}
	var env remoteEnvelope
	if err := json.Unmarshal(b, &env); err != nil || env.Version != 2 {
		t.Fatalf("written as version %d (%v), want 2", env.Version, err)
	}
	got, err := parseRemote(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CutAt.Equal(cut) || len(got.WALLSNs) != 1 || got.Timelines["c"] != "00000000000000ab" {
		t.Fatalf("read back %+v", got)
	}
	if am := got.archiveManifest(); am.Timelines["c"] != "00000000000000ab" || len(am.WALLSNs) != 1 {
		t.Fatalf("synthesized archive manifest lacks them: %+v", am)
	}
	if at := remoteAt(got, time.Time{}); !at.Equal(cut) {
		t.Fatalf("version 2 bound %v, want cut_at %v", at, cut)
	}
	rm.CutAt, rm.WALLSNs, rm.Timelines = time.Time{}, nil, nil
	b, _ = encodeRemote(rm)
	_ = json.Unmarshal(b, &env)
	env.Version = 1
	b, _ = json.Marshal(env)
	v1, err := parseRemote(b)
	if err != nil {
		t.Fatalf("version 1 manifest refused: %v", err)
	}
	modified := cut.Add(3 * time.Second).Truncate(time.Second) // a store of whole seconds
	if at := remoteAt(v1, modified); !at.Equal(modified.Add(time.Second)) {
		t.Fatalf("version 1 bound %v, want %v", at, modified.Add(time.Second))
	}
}
