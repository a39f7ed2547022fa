package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path"
)

// verifyRemote verifies the snapshot whose manifest is key in Remote: its
// synthesized archive (RemoteArchive) streams into VerifyArchive, so no
// copy of the archive is kept but the spill of the engine checks. The
// manifest must be of kind want ("" for any). A remote snapshot has no
// archive checksum (docs/format/remote.md): each file is checked against
// the CRC-32C its manifest lists, and the engine checks run as for a local
// archive. An object whose content is damaged (it fails to decompress or
// is short) is a Failure naming the file, as a bad CRC-32C is.
func (m *Manager) verifyRemote(ctx context.Context, key string, want Kind) (Report, error) {
	rm, err := m.readRemote(ctx, key)
	if err != nil {
		return Report{}, err
	}
	if want != "" && rm.Kind != want {
		return Report{}, fmt.Errorf("%w: %s holds a %s snapshot, want %s", ErrWrongKind, rm.Name, rm.Kind, want)
	}
	a, err := newRemoteArchive(ctx, m.Remote, rm)
	if err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", rm.Name, err)
	}
	defer a.Close()
	rep, err := VerifyArchive(ctx, a, m.VerifyOptions("", want))
	if oe := (*objectError)(nil); errors.As(err, &oe) {
		// an object of the snapshot is damaged: a failure of the
		// snapshot, not of the verification
		rep.fail(oe.Path, "%v", oe.err)
		rep.OK = false
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("verify %s: %w", path.Base(key), err)
	}
	return rep, nil
}

// verifyRemoteIn verifies the snapshot name of the remote folder dir (see
// remoteDir) for the VerifyCollection/VerifyShard/VerifyFull of Remote.
func (m *Manager) verifyRemoteIn(ctx context.Context, dir, name string, want Kind) (Report, error) {
	key, err := manifestKey(dir, name)
	if err != nil {
		return Report{}, err
	}
	return m.verifyRemote(ctx, key, want)
}

// VerifyRemoteLocation verifies the remote snapshot an s3://bucket/key
// location names, parsed as a recover location is: the bucket must be
// Remote's, the key under its prefix and a snapshot manifest's
// ({prefix}/snapshots/…); otherwise ErrBadLocation. Any kind is accepted.
func (m *Manager) VerifyRemoteLocation(ctx context.Context, location string) (Report, error) {
	key, err := m.remoteLocation(location)
	if err != nil {
		return Report{}, err
	}
	return m.verifyRemote(ctx, key, "")
}
