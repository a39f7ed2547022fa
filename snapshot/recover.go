package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/cairn-db/cairn/engine"
)

// HTTPDoer sends an HTTP request; *http.Client implements it.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Recover restores the collection snapshot archivePath as the collection
// name: created if absent, otherwise replaced atomically (searches running
// on the old data finish, new ones see the restored data). The checksum, when
// not "", is checked first (ErrMalformedChecksum, ErrChecksumMismatch); the
// archive is unpacked under the temp path and verified, by this package and
// by the engine (files that fail the engine's check give ErrCorrupt),
// before anything replaces live data. A name no collection may have gives
// engine.ErrInvalid. Every priority restores the snapshot in full on a
// single node (see Priority).
func (m *Manager) Recover(ctx context.Context, name, archivePath, checksum string, priority Priority) error {
	err := m.restoreArchive(ctx, name, archivePath, checksum, priority, KindCollection, func(dir string, sums engine.FileSums) error {
		return m.Storage.RestoreCollection(name, dir, sums)
	})
	if err != nil {
		return fmt.Errorf("recover %s: %w", name, err)
	}
	m.log().Info("recovered collection from snapshot", "collection", name, "archive", filepath.Base(archivePath), "priority", priority)
	return nil
}

// restoreArchive unpacks and checks the archive of kind want (see unpack),
// then, unless ctx is done, hands the unpacked folder to install, whose
// engine errors from the check of the files become ErrCorrupt
// (archiveError). The unpacked folder is removed afterwards. install also
// gets the CRC-32C of every unpacked file, which the engine's check then
// need not read again (engine.FileSums).
func (m *Manager) restoreArchive(ctx context.Context, name, archivePath, checksum string, priority Priority, want Kind, install func(dir string, sums engine.FileSums) error) error {
	dir, man, err := m.unpack(name, archivePath, checksum, priority, want)
	if err != nil {
		return err
	}
	defer m.removeTemp(dir)
	if err := ctx.Err(); err != nil {
		return err
	}
	return archiveError(install(dir, unpackedSums(dir, man)))
}

// unpackedSums are the CRC-32C of the files Extract wrote under dir. The
// manifest's are those: Extract computes each file's checksum over the
// bytes it writes and refuses an archive whose manifest differs from them
// in any file (Manifest.verifyFiles), and the folder is this process's own
// until the engine has checked it.
func unpackedSums(dir string, man *Manifest) engine.FileSums {
	sums := make(engine.FileSums, len(man.Files))
	for _, f := range man.Files {
		sums[filepath.Join(dir, filepath.FromSlash(f.Path))] = f.CRC32C
	}
	return sums
}

// unpack validates a recover request's arguments, then checks and unpacks
// the archive, which must be of kind want.
func (m *Manager) unpack(name, archivePath, checksum string, priority Priority, want Kind) (string, *Manifest, error) {
	if checksum != "" {
		var err error
		if checksum, err = ParseChecksum(checksum); err != nil {
			return "", nil, err
		}
	}
	if _, err := ParsePriority(string(priority)); err != nil {
		return "", nil, err
	}
	if want == KindCollection {
		if err := CheckRecoverName(name); err != nil {
			return "", nil, err
		}
	}
	dir, man, err := Unpack(archivePath, checksum, m.TempPath, m.limits())
	if err != nil {
		return "", nil, err
	}
	if man.Kind != want {
		m.removeTemp(dir)
		return "", nil, fmt.Errorf("%w: archive holds a %s snapshot, want %s", ErrWrongKind, man.Kind, want)
	}
	return dir, man, nil
}

// archiveError marks an engine restore refused by its check of the
// unpacked files (engine.ErrVerify: a corrupt segment, collection file,
// manifest or WAL in an archive that passed the tar and manifest checks)
// as a corrupt archive, ErrCorrupt; the engine's errors stay in the chain.
// Other errors are returned as they are.
func archiveError(err error) error {
	if errors.Is(err, engine.ErrVerify) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// CheckRecoverName checks the name a collection recover would create or
// replace: a name the engine accepts for a collection (engine.ErrInvalid
// otherwise), which is also one path element under the snapshots path.
func CheckRecoverName(name string) error {
	if err := engine.ValidateCollectionName(name); err != nil {
		return err
	}
	_, err := CollectionDir("", name)
	return err
}

func (m *Manager) removeTemp(dir string) {
	if err := m.fs().RemoveAll(dir); err != nil {
		m.log().Warn("remove snapshot temp folder", "dir", dir, "err", err)
	}
}

// RecoverFromLocation is Recover for PUT …/snapshots/recover: location is
// a file:// URL that must lie inside the snapshots folder
// (ErrForbiddenLocation otherwise) or an http(s):// URL, downloaded into the
// temp path as it streams in, within MaxBytes and the free disk space.
// apiKey, when not "", is sent as the api-key header.
func (m *Manager) RecoverFromLocation(ctx context.Context, name, location, checksum string, priority Priority, apiKey string) error {
	return m.fromLocation(ctx, location, checksum, priority, apiKey, nil, func(path, checksum string) error {
		return m.Recover(ctx, name, path, checksum, priority)
	})
}

// fromLocation checks a recover location's arguments, resolves a file://
// location inside the snapshots folder or downloads an http(s):// one into
// the temp path (checking the checksum as it streams in), and calls run
// with the archive's path and the checksum still to check. plain, when not
// nil, resolves a location without a scheme; without it such a location is
// refused with ErrBadLocation.
func (m *Manager) fromLocation(ctx context.Context, location, checksum string, priority Priority, apiKey string,
	plain func(string) (string, error), run func(path, checksum string) error) error {
	if checksum != "" {
		var err error
		if checksum, err = ParseChecksum(checksum); err != nil {
			return err
		}
	}
	if _, err := ParsePriority(string(priority)); err != nil {
		return err
	}
	u, err := url.Parse(location)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrBadLocation, location, err)
	}
	switch u.Scheme {
	case "file":
		path, err := ResolveFileLocation(m.SnapshotsPath, location)
		if err != nil {
			return err
		}
		return run(path, checksum)
	case "http", "https":
		path, err := m.download(ctx, u, checksum, apiKey)
		if err != nil {
			return err
		}
		defer m.removeTemp(path)
		return run(path, "") // Receive checked the checksum
	case "":
		if plain != nil {
			path, err := plain(location)
			if err != nil {
				return err
			}
			return run(path, checksum)
		}
	}
	return fmt.Errorf("%w: %q: want http://, https:// or file://", ErrBadLocation, location)
}

// maxRedirects is how many redirects a recover download follows (as
// net/http's default client).
const maxRedirects = 10

// keyOnlyTo returns a redirect policy that sends the api-key header only
// to host: net/http drops Authorization and cookies on a redirect to
// another host, but copies any other header, so a location redirecting
// elsewhere would otherwise receive the key.
func keyOnlyTo(host string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if req.URL.Host != host {
			req.Header.Del("api-key")
		}
		return nil
	}
}

// download streams an http(s) location into a file under the temp path.
func (m *Manager) download(ctx context.Context, u *url.URL, checksum, apiKey string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadLocation, err)
	}
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	var client HTTPDoer = &http.Client{CheckRedirect: keyOnlyTo(u.Host), Transport: m.recoverTransport()}
	if m.HTTPClient != nil {
		client = m.HTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: download %s: %v", ErrBadLocation, u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: download %s: %s", ErrBadLocation, u.Redacted(), resp.Status)
	}
	if m.MaxBytes > 0 && resp.ContentLength > m.MaxBytes {
		return "", fmt.Errorf("%w: %d bytes", ErrTooLarge, resp.ContentLength)
	}
	if resp.ContentLength > 0 {
		if err := CheckFreeSpace(m.TempPath, resp.ContentLength); err != nil {
			return "", err
		}
	}
	if err := m.fs().MkdirAll(m.TempPath, dirMode); err != nil {
		return "", fmt.Errorf("create temp path: %w", err)
	}
	path, _, err := Receive(m.fs(), resp.Body, m.TempPath, checksum, m.MaxBytes)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", u.Redacted(), err)
	}
	return path, nil
}

// RecoverFull restores a full snapshot (cairn serve --storage-snapshot):
// every collection in it and its aliases, all or nothing. Unless force is
// set, a collection, or an alias of the snapshot, that already exists stops
// the restore before anything changes (ErrTargetExists names it), as in
// Qdrant; with force it is replaced. The
// archive is unpacked and checked, every collection is verified, then one
// storage-level intent switches them all and installs the aliases
// (engine.Storage.RestoreAll): a failure or a crash leaves either the old
// state or the whole snapshot, never some of its collections. Collections
// and aliases the snapshot does not name are kept.
func (m *Manager) RecoverFull(ctx context.Context, archivePath, checksum string, force bool) error {
	var names []string
	var aliases map[string]string
	err := m.restoreArchive(ctx, "full snapshot", archivePath, checksum, PrioritySnapshot, KindFull, func(dir string, sums engine.FileSums) error {
		var err error
		if names, aliases, err = readFull(dir); err != nil {
			return err
		}
		if !force {
			for _, n := range names {
				if m.Storage.CollectionExists(n) {
					return fmt.Errorf("%w: collection %s (use --force-snapshot to overwrite)", ErrTargetExists, n)
				}
			}
			for _, a := range slices.Sorted(maps.Keys(aliases)) {
				if m.Storage.CollectionExists(a) { // an alias, or a collection, of that name
					return fmt.Errorf("%w: alias %s (use --force-snapshot to overwrite)", ErrTargetExists, a)
				}
			}
		}
		dirs := make(map[string]string, len(names))
		for _, n := range names {
			dirs[n] = filepath.Join(dir, CollectionsFolder, n)
		}
		return m.Storage.RestoreAll(dirs, aliases, sums)
	})
	if err != nil {
		return fmt.Errorf("recover full snapshot: %w", err)
	}
	m.log().Info("recovered full snapshot", "archive", filepath.Base(archivePath), "collections", len(names), "aliases", len(aliases))
	return nil
}

// readFull lists the collections of an unpacked full snapshot and reads
// its alias table; an alias must point at a collection of the snapshot.
func readFull(dir string) ([]string, map[string]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, CollectionsFolder))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read full snapshot: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			return nil, nil, fmt.Errorf("%w: %s/%s is not a folder", ErrManifest, CollectionsFolder, e.Name())
		}
		names = append(names, e.Name())
	}
	b, err := os.ReadFile(filepath.Join(dir, AliasesFile))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read %s: %v", ErrManifest, AliasesFile, err)
	}
	var af struct {
		Aliases map[string]string `json:"aliases"`
	}
	if err := json.Unmarshal(b, &af); err != nil {
		return nil, nil, fmt.Errorf("%w: decode %s: %v", ErrManifest, AliasesFile, err)
	}
	for a, c := range af.Aliases {
		if _, err := os.Stat(filepath.Join(dir, CollectionsFolder, c)); err != nil || !filepath.IsLocal(c) {
			return nil, nil, fmt.Errorf("%w: alias %s points at %q, not in the snapshot", ErrManifest, a, c)
		}
	}
	return names, af.Aliases, nil
}
