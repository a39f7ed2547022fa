package engine

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cairn-db/cairn/vfs"
)

// PeerFile is the name of the file, in the storage folder, that keeps the
// node's peer id (docs/format/collection.md).
const PeerFile = "peer"

const (
	peerMagic   = "CAIRNPER"
	peerVersion = 1
)

type peerFile struct {
	PeerID uint64 `json:"peer_id"`
}

// loadOrCreatePeerID returns the peer id kept in dir, choosing a random
// non-zero one and storing it durably the first time, as a standalone
// Qdrant keeps its peer id across restarts.
func loadOrCreatePeerID(fsys vfs.FS, dir string) (uint64, error) {
	path := filepath.Join(dir, PeerFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		body, err := openEnvelope(peerMagic, peerVersion, b)
		if err != nil {
			return 0, fmt.Errorf("read peer file: %w", err)
		}
		var f peerFile
		if err := json.Unmarshal(body, &f); err != nil || f.PeerID == 0 {
			return 0, fmt.Errorf("read peer file: %w: bad peer id", ErrCorrupt)
		}
		return f.PeerID, nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("read peer file: %w", err)
	}
	var raw [8]byte
	var id uint64
	for id == 0 {
		if _, err := rand.Read(raw[:]); err != nil {
			return 0, fmt.Errorf("choose peer id: %w", err)
		}
		id = binary.LittleEndian.Uint64(raw[:]) >> 1 // fits an int64 too, as JSON clients read it
	}
	body, err := json.Marshal(peerFile{PeerID: id})
	if err != nil {
		return 0, fmt.Errorf("encode peer file: %w", err)
	}
	if err := vfs.WriteFileAtomic(fsys, path, sealEnvelope(peerMagic, peerVersion, body)); err != nil {
		return 0, fmt.Errorf("store peer file: %w", err)
	}
	return id, nil
}

// PeerID is the node's peer id: random, chosen once per storage folder
// and kept across restarts.
func (st *Storage) PeerID() uint64 { return st.peerID }

// ShardState is Qdrant's ReplicaState of a local shard.
type ShardState string

// ShardActive is the state of every shard of a single node: Cairn has no
// replicas to transfer or recover.
const ShardActive ShardState = "Active"

// LocalShardInfo is Qdrant's LocalShardInfo.
type LocalShardInfo struct {
	ShardID     int        `json:"shard_id"`
	PointsCount int        `json:"points_count"`
	State       ShardState `json:"state"`
}

// ClusterInfo is Qdrant's CollectionClusterInfo for a single node: every
// shard local and active, none remote, no transfers.
type ClusterInfo struct {
	PeerID         uint64           `json:"peer_id"`
	ShardCount     int              `json:"shard_count"`
	LocalShards    []LocalShardInfo `json:"local_shards"`
	RemoteShards   []struct{}       `json:"remote_shards"`
	ShardTransfers []struct{}       `json:"shard_transfers"`
}

// ClusterInfo returns the collection's shard distribution on node peer.
func (c *Collection) ClusterInfo(peer uint64) ClusterInfo {
	out := ClusterInfo{PeerID: peer, ShardCount: len(c.shards), LocalShards: make([]LocalShardInfo, len(c.shards)),
		RemoteShards: []struct{}{}, ShardTransfers: []struct{}{}}
	for i, s := range c.shards {
		var info CollectionInfo
		s.addCounts(&info, nil, nil)
		out.LocalShards[i] = LocalShardInfo{ShardID: s.id, PointsCount: info.PointsCount, State: ShardActive}
	}
	return out
}
