package snapshot

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

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
	m.prefetch(name)
	m.log().Info("recovered collection from snapshot", "collection", name, "archive", filepath.Base(archivePath), "priority", priority)
	return nil
}

// prefetch maps the restored collection's graphs and vectors before the
// recover answers (engine.Collection.Prefetch), so that its first searches
// do not pay for the page faults. Every restore calls it, local or remote,
// of a collection, a shard (the collection's other shards are mapped
// already, or read only what the page cache lacks) or a full snapshot
// (prefetchAll). The collection is live already: a failure is logged, not
// returned.
func (m *Manager) prefetch(name string) {
	c, err := m.Storage.Collection(name)
	if err == nil {
		err = c.Prefetch()
	}
	if err != nil {
		m.log().Warn("recover: prefetch the restored collection", "collection", name, "err", err)
	}
}

// prefetchAll prefetches every collection a full restore installed.
func (m *Manager) prefetchAll(names []string) {
	for _, n := range names {
		m.prefetch(n)
	}
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
// a file:// URL that must lie inside the snapshots folder (see
// ResolveFileLocation) or an http(s):// URL, downloaded into the temp path
// as it streams in (see PrepareRecover). apiKey, when not "", is sent as
// the api-key header.
func (m *Manager) RecoverFromLocation(ctx context.Context, name, location, checksum string, priority Priority, apiKey string) error {
	r, err := m.PrepareRecover(name, location, checksum, priority, apiKey)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}

// Recovery is a recover from a location that has passed every check that
// needs no work, and holds a download slot when its location is an
// http(s):// URL. Run does the work.
type Recovery struct {
	run     func(ctx context.Context) error
	release func()
}

// Run does the recover and frees what the Recovery holds. Call it once,
// now or in the background; a download in it ends when ctx does or when
// the Manager is closed.
func (r *Recovery) Run(ctx context.Context) error {
	defer r.release()
	return r.run(ctx)
}

// PrepareRecover checks a collection recover from a location (the name,
// checksum, priority, and the location: a file:// one resolved inside the
// snapshots folder) and, for an http(s):// location, takes one of the
// MaxDownloads download slots (ErrBusy when all are taken, engine.ErrClosed
// after Close), so that a recover accepted to run in the background is
// refused at once when it cannot run. The returned Recovery does the work.
func (m *Manager) PrepareRecover(name, location, checksum string, priority Priority, apiKey string) (*Recovery, error) {
	if err := CheckRecoverName(name); err != nil {
		return nil, err
	}
	plain := func(snap string) (string, error) {
		dir, err := remoteDir(name, nil)
		if err != nil {
			return "", err
		}
		return manifestKey(dir, snap)
	}
	r, ok, err := m.prepareRemote(location, checksum, priority, plain, func(ctx context.Context, key, checksum string) error {
		return m.RecoverRemote(ctx, name, key, checksum, priority)
	})
	if ok {
		return r, err
	}
	return m.prepare(location, checksum, priority, apiKey, nil, func(ctx context.Context, path, checksum string) error {
		return m.Recover(ctx, name, path, checksum, priority)
	})
}

// prepare checks a recover location's arguments and returns the Recovery
// that resolves a file:// location inside the snapshots folder or
// downloads an http(s):// one into the temp path (checking the checksum as
// it streams in), then calls run with the archive's path and the checksum
// still to check. plain, when not nil, resolves a location without a
// scheme; without it such a location is refused with ErrBadLocation.
func (m *Manager) prepare(location, checksum string, priority Priority, apiKey string,
	plain func(string) (string, error), run func(ctx context.Context, path, checksum string) error) (*Recovery, error) {
	if checksum != "" {
		var err error
		if checksum, err = ParseChecksum(checksum); err != nil {
			return nil, err
		}
	}
	if _, err := ParsePriority(string(priority)); err != nil {
		return nil, err
	}
	if err := m.ensureFolders(); err != nil {
		return nil, err
	}
	u, err := url.Parse(location)
	if err != nil && plain == nil {
		return nil, kindErrorf(ErrBadLocation, "Bad request: invalid snapshot location %q: %v", location, err)
	}
	if err != nil {
		u = &url.URL{} // not a URL: a snapshot name, as Qdrant's ShardSnapshotLocation reads it
	}
	var path string
	switch u.Scheme {
	case "file":
		if path, err = ResolveFileLocation(m.SnapshotsPath, location); err != nil {
			return nil, err
		}
	case "http", "https":
		release, err := m.reserve()
		if err != nil {
			return nil, err
		}
		return &Recovery{release: release, run: func(ctx context.Context) error {
			ctx, cancel := m.bind(ctx)
			defer cancel()
			// The grant is held until the archive is restored and removed:
			// its bytes stay on the disk until then.
			g, err := m.downloadLimit()
			if err != nil {
				return err
			}
			defer g.release()
			path, err := m.download(ctx, g, u, checksum, apiKey)
			if err != nil {
				return err
			}
			defer m.removeTemp(path)
			return run(ctx, path, "") // Receive checked the checksum
		}}, nil
	case "":
		if plain == nil {
			return nil, kindErrorf(ErrBadLocation, "Bad request: snapshot location %q is not an http://, https:// or file:// URL", location)
		}
		if path, err = plain(location); err != nil {
			return nil, err
		}
	default:
		return nil, kindErrorf(ErrBadLocation, "Bad request: URL %s with scheme %s is not supported", u.Redacted(), u.Scheme)
	}
	return &Recovery{release: func() {}, run: func(ctx context.Context) error { return run(ctx, path, checksum) }}, nil
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

// downloadClient returns the client of a download from host: the dial and
// the TLS handshake bounded by t, no connection kept for reuse, and the
// api-key header sent only to host (keyOnlyTo). download bounds the wait
// for the response headers and the idle body, for any HTTPDoer.
func (m *Manager) downloadClient(host string, t Timeouts) *http.Client {
	dialer := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: t.TLSHandshake,
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
	}
	if m.RecoverRootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: m.RecoverRootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, CheckRedirect: keyOnlyTo(host)}
}

// stallError is the cause of a download cancelled for want of progress:
// no `what` for d, or, with min set, fewer than min bytes in d.
type stallError struct {
	what string
	d    time.Duration
	min  int64
}

func (e *stallError) Error() string {
	if e.min > 0 {
		return fmt.Sprintf("stalled: fewer than %d bytes in %s", e.min, e.d)
	}
	return fmt.Sprintf("stalled: no %s for %s", e.what, e.d)
}

// download streams an http(s) location into a file under the temp path,
// within the size bound of its grant g (downloadLimit). A location that sends no
// response headers, or no body bytes, for the timeouts of
// DownloadTimeouts gives ErrIncomplete ("… stalled: no data for 30s"); a
// bigger archive ErrTooLarge; Close ends it with engine.ErrClosed.
func (m *Manager) download(ctx context.Context, g *grant, u *url.URL, checksum, apiKey string) (string, error) {
	if err := m.fs().MkdirAll(m.TempPath, dirMode); err != nil {
		return "", fmt.Errorf("create temp path: %w", relErr(err, m.TempPath))
	}
	limit, bound := g.limit, g.bound
	t := m.DownloadTimeouts.withDefaults()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	resp, err := m.get(ctx, cancel, u, t, apiKey)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return "", fmt.Errorf("download %s: %w: %d bytes, more than the %d allowed (%s)", u.Redacted(), ErrTooLarge, resp.ContentLength, limit, bound)
	}
	body := newIdleReader(resp.Body, t.Idle, func() { cancel(&stallError{what: "data", d: t.Idle}) })
	defer body.stop()
	rate := newRateReader(body, t.RateWindow, t.MinBytes, func() { cancel(&stallError{d: t.RateWindow, min: t.MinBytes}) })
	defer rate.stop()
	path, _, err := Receive(m.fs(), budgetReader{rate, g}, m.TempPath, checksum, limit)
	if errors.Is(err, ErrTooLarge) || errors.Is(err, errBudgetSpent) {
		return "", fmt.Errorf("download %s: %w: more than the %d bytes allowed (%s)", u.Redacted(), ErrTooLarge, limit, bound)
	}
	if err != nil {
		return "", m.downloadError(ctx, u, err, true)
	}
	return path, nil
}

// downloadError names why a download failed: it stalled, the manager was
// closed, or, for the request (body false), the location failed
// (ErrBadLocation); a failure reading the body is returned as Receive
// marked it (ErrIncomplete for the sender's stream, else a local error).
func (m *Manager) downloadError(ctx context.Context, u *url.URL, err error, body bool) error {
	var stall *stallError
	switch cause := context.Cause(ctx); {
	case errors.As(cause, &stall):
		return fmt.Errorf("download %s %w", u.Redacted(), kindErrorf(ErrIncomplete, "%s", stall))
	case errors.Is(cause, errShutdown):
		return fmt.Errorf("download %s: %w: %w", u.Redacted(), engine.ErrClosed, errShutdown)
	}
	if body {
		return fmt.Errorf("download %s: %w", u.Redacted(), relErr(err, m.TempPath))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is named once, redacted
	}
	return fmt.Errorf("%w: download %s: %v", ErrBadLocation, u.Redacted(), err)
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
	var fi fullInstall
	err := m.restoreArchive(ctx, "full snapshot", archivePath, checksum, PrioritySnapshot, KindFull, fi.install(m, force))
	if err != nil {
		return fmt.Errorf("recover full snapshot: %w", err)
	}
	m.prefetchAll(fi.names)
	m.log().Info("recovered full snapshot", "archive", filepath.Base(archivePath), "collections", len(fi.names), "aliases", len(fi.aliases))
	return nil
}

// fullInstall installs an unpacked full snapshot and remembers what it
// held, for the log.
type fullInstall struct {
	names   []string
	aliases map[string]string
}

// install returns the install step of a full restore: unless force, a
// collection or alias of the snapshot that exists stops it; then
// engine.Storage.RestoreAll switches every collection and the aliases.
func (fi *fullInstall) install(m *Manager, force bool) func(dir string, sums engine.FileSums) error {
	return func(dir string, sums engine.FileSums) error {
		var err error
		if fi.names, fi.aliases, err = readFull(dir); err != nil {
			return err
		}
		if !force {
			for _, n := range fi.names {
				if m.Storage.CollectionExists(n) {
					return fmt.Errorf("%w: collection %s (use --force-snapshot to overwrite)", ErrTargetExists, n)
				}
			}
			for _, a := range slices.Sorted(maps.Keys(fi.aliases)) {
				if m.Storage.CollectionExists(a) { // an alias, or a collection, of that name
					return fmt.Errorf("%w: alias %s (use --force-snapshot to overwrite)", ErrTargetExists, a)
				}
			}
		}
		dirs := make(map[string]string, len(fi.names))
		for _, n := range fi.names {
			dirs[n] = filepath.Join(dir, CollectionsFolder, n)
		}
		return m.Storage.RestoreAll(dirs, fi.aliases, sums)
	}
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
