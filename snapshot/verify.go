package snapshot

import (
	"archive/tar"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// VerifyOptions says what VerifyArchive checks besides the archive itself.
type VerifyOptions struct {
	// Checksum is the archive's expected SHA-256 (its .checksum file or
	// listing), lowercase hex; "" when unknown (then it is computed and
	// reported, not compared).
	Checksum string
	// Kind, when not "", is the kind the archive must hold.
	Kind Kind
	// Limits bounds the entries and the bytes spilled (MaxBytes, and the
	// free space of TempPath unless IgnoreFreeSpace).
	Limits Limits
	// TempPath, when not "", is the folder under which the files are
	// spilled for the engine's checks (segment meta and checksums, point
	// counts, ids unique and routed, vector sizes against the config,
	// graph links, WAL chain): a fresh folder, removed before
	// VerifyArchive returns. "" checks the archive only (EngineChecked
	// false).
	TempPath string
	// Engine gives the engine checks their filesystem, logger and
	// free-space measure (Dir is not used).
	Engine engine.Options
}

// Failure is one check that failed.
type Failure struct {
	// File is the path inside the archive of the file that failed, "" for
	// the archive as a whole.
	File string `json:"file,omitempty"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
}

// Report is what VerifyArchive checked and found.
type Report struct {
	// OK is true when every check passed.
	OK bool `json:"ok"`
	// Kind and Collection are the manifest's (empty without one).
	Kind       Kind   `json:"kind,omitempty"`
	Collection string `json:"collection,omitempty"`
	// Shard is the shard id of a shard snapshot, nil for other kinds.
	Shard *uint32 `json:"shard,omitempty"`
	// CreatedAt is the snapshot's cut time; zero without a manifest.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Checksum is the archive's SHA-256 as read; "" when an engine
	// failure stopped the verification before the hash was done.
	Checksum string `json:"checksum"`
	// ChecksumChecked says whether it was compared with a known one.
	ChecksumChecked bool `json:"checksum_checked"`
	// ArchiveBytes is the archive's length as read.
	ArchiveBytes int64 `json:"archive_bytes"`
	// Files and Bytes count the regular files read (manifest excepted)
	// and their bytes, each checked against its CRC-32C.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// EngineChecked says whether the engine's checks ran; the counts below
	// are theirs.
	EngineChecked bool `json:"engine_checked"`
	engine.VerifyStats
	// Failures lists what failed, in the order found.
	Failures []Failure `json:"failures"`
	// Duration is how long the verification took.
	Duration time.Duration `json:"-"`
	// DurationSeconds is Duration in seconds, for the JSON form.
	DurationSeconds float64 `json:"duration_seconds"`
}

func (r *Report) fail(file, format string, args ...any) {
	r.Failures = append(r.Failures, Failure{File: file, Reason: fmt.Sprintf(format, args...)})
}

// VerifyArchive reads the snapshot archive r once and checks it as a
// restore would, without writing anything but its own temp folder: the
// tar layout (entry names, kinds, duplicates, the manifest last), every
// file against the manifest (none missing or extra, sizes, CRC-32C), the
// archive's SHA-256 against opts.Checksum when known and, when
// opts.TempPath is set, the engine's checks of the restore on the files
// spilled there (see VerifyOptions; every listed segment file's checksum
// is the one computed while spilling, not read again). A local file (an
// *os.File, or a *bytes.Reader) is hashed by a reader of its own beside
// the parse, so the engine's checks overlap the end of the hash; an
// engine failure found first stops the hash (Checksum then ""), and a
// file that changes between the two reads is a failure (see
// verify_overlap.go). Memory stays bounded whatever the files' sizes. A
// failed check is a Failure in the report (OK false), not an error; the
// error is for what stopped the verification itself: ctx done, a read of
// r failing, the temp folder (its space or a write to it).
func VerifyArchive(ctx context.Context, r io.Reader, opts VerifyOptions) (rep Report, err error) {
	start := time.Now()
	rep.Failures = []Failure{}
	defer func() {
		rep.OK = err == nil && len(rep.Failures) == 0
		rep.Duration = time.Since(start)
		rep.DurationSeconds = rep.Duration.Seconds()
	}()
	v, err := newVerifier(opts)
	if err != nil {
		return rep, err
	}
	defer v.close()
	src, side, err := sideSource(r)
	if err != nil {
		return rep, err
	}
	if side {
		return rep, v.runBeside(ctx, r, src, &rep)
	}
	ts := newTeeStream(ctx, r, true)
	perr := v.run(tar.NewReader(ts), &rep)
	n, sum, serr := ts.finish()
	rep.ArchiveBytes, rep.Checksum = n, hex.EncodeToString(sum)
	if serr != nil {
		return rep, fmt.Errorf("read archive: %w", serr)
	}
	if perr != nil {
		return rep, perr
	}
	if opts.Checksum != "" {
		rep.ChecksumChecked = true
		if want := strings.ToLower(opts.Checksum); want != rep.Checksum {
			rep.fail("", "%v: the archive's SHA-256 is %s, its checksum says %s", ErrChecksumMismatch, rep.Checksum, want)
		}
	}
	if v.manifest == nil {
		return rep, nil
	}
	v.compare(&rep)
	if len(rep.Failures) == 0 && v.spill != "" {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.EngineChecked = true
		if err := v.engineChecks(&rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// verifier holds one archive's walk.
type verifier struct {
	opts     VerifyOptions
	spill    string // temp folder the files are spilled to; "" for none
	root     *os.Root
	budget   int64
	entries  int
	seen     map[string]bool
	files    map[string]FileEntry
	order    []string // files in archive order
	manifest *Manifest
	buf      []byte
}

func newVerifier(opts VerifyOptions) (*verifier, error) {
	v := &verifier{opts: opts, budget: opts.Limits.MaxBytes, entries: opts.Limits.MaxEntries,
		seen: map[string]bool{}, files: map[string]FileEntry{}, buf: make([]byte, verifyChunk)}
	if v.entries <= 0 {
		v.entries = DefaultMaxEntries
	}
	if v.budget <= 0 {
		v.budget = 1<<63 - 1
	}
	if opts.TempPath == "" {
		return v, nil
	}
	if !opts.Limits.IgnoreFreeSpace {
		if err := os.MkdirAll(opts.TempPath, dirMode); err != nil {
			return nil, fmt.Errorf("create temp path: %w", err)
		}
		free, err := vfs.FreeSpace(opts.TempPath)
		if err != nil {
			return nil, err
		}
		v.budget = min(v.budget, free)
	}
	dir, err := os.MkdirTemp(opts.TempPath, TempPrefix+"verify-")
	if err != nil {
		return nil, fmt.Errorf("create verify folder: %w", err)
	}
	if v.root, err = os.OpenRoot(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open verify folder: %w", err)
	}
	v.spill = dir
	return v, nil
}

func (v *verifier) close() {
	if v.root != nil {
		_ = v.root.Close()
		_ = os.RemoveAll(v.spill)
	}
}

// run walks the archive's entries. A flaw of the archive that ends the
// walk is recorded in rep; the error is for a fault of the verification.
func (v *verifier) run(tr *tar.Reader, rep *Report) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if v.manifest == nil {
				rep.fail(ManifestName, "%v: archive has no %s", ErrManifest, ManifestName)
			}
			return nil
		}
		if err != nil {
			rep.fail(v.last(), "%v: %v", ErrCorrupt, err)
			return nil
		}
		if v.manifest != nil {
			rep.fail(hdr.Name, "%v: entry after %s", ErrManifest, ManifestName)
			return nil
		}
		if v.entries--; v.entries < 0 {
			rep.fail(hdr.Name, "%v: more entries than allowed", ErrTooLarge)
			return nil
		}
		if bad, err := v.entry(hdr, tr, rep); bad || err != nil {
			return err
		}
	}
}

// last names the last file read, "" before any.
func (v *verifier) last() string {
	if len(v.order) == 0 {
		return ""
	}
	return v.order[len(v.order)-1]
}

// entry checks one entry; bad says a flaw was recorded and the walk ends.
func (v *verifier) entry(hdr *tar.Header, tr *tar.Reader, rep *Report) (bad bool, err error) {
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	if err := checkEntryName(name); err != nil {
		rep.fail(hdr.Name, "%v", err)
		return true, nil
	}
	if v.seen[name] {
		rep.fail(name, "%v: appears twice", ErrUnsafeEntry)
		return true, nil
	}
	v.seen[name] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		if name == ManifestName {
			rep.fail(name, "%v: %s is a folder", ErrManifest, ManifestName)
			return true, nil
		}
		return false, v.mkdirs(name)
	case tar.TypeReg, tar.TypeRegA:
		if sparse(hdr) {
			rep.fail(name, "%v: a sparse file", ErrUnsafeEntry)
			return true, nil
		}
		if name == ManifestName {
			return v.readManifest(hdr, tr, rep), nil
		}
		return v.file(name, hdr.Size, tr, rep)
	default:
		rep.fail(name, "%v: a %s", ErrUnsafeEntry, typeName(hdr.Typeflag))
		return true, nil
	}
}

func (v *verifier) mkdirs(name string) error {
	if v.root == nil || name == "." {
		return nil
	}
	if err := v.root.MkdirAll(name, dirMode); err != nil {
		return fmt.Errorf("create verify folder %s: %w", name, err)
	}
	return nil
}

// file reads one file's bytes, computing its CRC-32C and spilling them.
func (v *verifier) file(name string, size int64, tr *tar.Reader, rep *Report) (bool, error) {
	if size > v.budget {
		rep.fail(name, "%v: %d bytes exceed the size limit or the free space of the temp path", ErrTooLarge, size)
		return true, nil
	}
	v.budget -= size
	var out *os.File
	if v.root != nil {
		if err := v.mkdirs(path.Dir(name)); err != nil {
			return false, err
		}
		f, err := v.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if err != nil {
			return false, fmt.Errorf("create verify file %s: %w", name, err)
		}
		defer f.Close()
		out = f
	}
	v.order = append(v.order, name)
	sp := spillFile{f: out, name: name}
	var crc uint32
	var n int64
	for {
		k, err := tr.Read(v.buf)
		if k > 0 {
			crc = crc32.Update(crc, castagnoli, v.buf[:k])
			if out != nil {
				if werr := sp.write(v.buf[:k], n); werr != nil {
					return false, fmt.Errorf("spill %s: %w", name, werr)
				}
			}
			n += int64(k)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				rep.fail(name, "%v: truncated after %d of its %d bytes", ErrCorrupt, n, size)
			} else {
				rep.fail(name, "%v: %v", ErrCorrupt, err)
			}
			return true, nil
		}
	}
	if out != nil {
		if err := out.Truncate(n); err != nil { // the size, holes included
			return false, fmt.Errorf("spill %s: %w", name, err)
		}
	}
	rep.Files++
	rep.Bytes += n
	v.files[name] = FileEntry{Path: name, Size: n, CRC32C: crc}
	return false, nil
}

func (v *verifier) readManifest(hdr *tar.Header, tr *tar.Reader, rep *Report) bool {
	if hdr.Size > maxManifestSize {
		rep.fail(ManifestName, "%v: %d bytes", ErrTooLarge, hdr.Size)
		return true
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		rep.fail(ManifestName, "%v: %v", ErrCorrupt, err)
		return true
	}
	m, err := parseManifest(b)
	if err != nil {
		rep.fail(ManifestName, "%v", err)
		return true
	}
	v.manifest = m
	rep.Kind, rep.Collection, rep.CreatedAt = m.Kind, m.Collection, m.CreatedAt
	if m.Kind == KindShard {
		id := m.Shard
		rep.Shard = &id
	}
	if v.opts.Kind != "" && m.Kind != v.opts.Kind {
		rep.fail(ManifestName, "%v: archive holds a %s snapshot, want %s", ErrWrongKind, m.Kind, v.opts.Kind)
	}
	return false
}

// compare checks every file found against the manifest, recording each
// difference: listed but absent, present but not listed, size, CRC-32C.
func (v *verifier) compare(rep *Report) {
	listed := make(map[string]bool, len(v.manifest.Files))
	for _, want := range v.manifest.Files {
		listed[want.Path] = true
		g, ok := v.files[want.Path]
		switch {
		case !ok:
			rep.fail(want.Path, "%v: listed in %s but absent from the archive", ErrManifest, ManifestName)
		case g.Size != want.Size:
			rep.fail(want.Path, "%v: %d bytes, %s says %d", ErrManifest, g.Size, ManifestName, want.Size)
		case g.CRC32C != want.CRC32C:
			rep.fail(want.Path, "%v: CRC-32C %08x, %s says %08x", ErrManifest, g.CRC32C, ManifestName, want.CRC32C)
		}
	}
	var extra []string
	for _, name := range v.order {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		rep.fail(name, "%v: in the archive but not listed in %s", ErrManifest, ManifestName)
	}
}
