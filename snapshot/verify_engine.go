package snapshot

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cairn-db/cairn/engine"
)

// engineChecks runs the engine's restore checks on the spilled files: one
// collection folder, one shard, or every collection of a full snapshot
// (and its alias table). Each failure names the file its message names,
// as a path inside the archive. An engine error that is not a failed check
// (engine.ErrVerify) but a fault of this machine (out of space, memory or
// descriptors, an I/O error) is returned instead: it says nothing of the
// archive.
func (v *verifier) engineChecks(rep *Report) error {
	sums := make(map[string]uint32, len(v.files))
	for name, f := range v.files {
		sums[filepath.Join(v.spill, filepath.FromSlash(name))] = f.CRC32C
	}
	known := func(p string) (uint32, bool) {
		crc, ok := sums[filepath.Clean(p)]
		return crc, ok
	}
	check := func(prefix string, st engine.VerifyStats, err error) error {
		rep.VerifyStats.Add(st)
		if err != nil && !errors.Is(err, engine.ErrVerify) {
			return fmt.Errorf("engine checks: %w", err)
		}
		if err != nil {
			v.engineFailure(rep, prefix, err)
		}
		return nil
	}
	switch v.manifest.Kind {
	case KindCollection:
		st, err := engine.VerifyFolder(v.spill, v.opts.Engine, known)
		return check("", st, err)
	case KindShard:
		st, err := engine.VerifyShardFolder(v.spill, v.manifest.Shard, v.opts.Engine, known)
		return check("", st, err)
	case KindFull:
		names, _, err := readFull(v.spill)
		if err != nil {
			v.engineFailure(rep, "", err)
			return nil
		}
		for _, n := range names {
			prefix := CollectionsFolder + "/" + n
			st, err := engine.VerifyFolder(filepath.Join(v.spill, CollectionsFolder, n), v.opts.Engine, known)
			if err := check(prefix, st, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// engineFailure records an engine error, one failure per line of its
// message (the checks' errors are joined): the spill folder's path is
// taken out, and the file is the longest archive path the line names by
// its spilled path or, failing that, the shard's segment or WAL it names
// ("shard 0 segment seg-…", "wal of shard 0"), under prefix (a full
// snapshot's collection folder), or prefix itself.
func (v *verifier) engineFailure(rep *Report, prefix string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		file := v.fileIn(line)
		if file == "" {
			file = namedIn(line, prefix)
		}
		msg := strings.ReplaceAll(line, v.spill+string(filepath.Separator), "")
		msg = strings.ReplaceAll(msg, v.spill, ".")
		msg = strings.ReplaceAll(msg, filepath.Base(v.spill), v.spillName(prefix))
		msg = strings.TrimPrefix(msg, engine.ErrVerify.Error()+": ")
		rep.Failures = append(rep.Failures, Failure{File: file, Reason: msg})
	}
}

// spillName is what stands for the spill folder's name in a message: the
// collection a collection or shard snapshot holds (the engine names the
// folder it opens as the collection), "." otherwise.
func (v *verifier) spillName(prefix string) string {
	if prefix == "" && v.manifest.Collection != "" {
		return v.manifest.Collection
	}
	return path.Join(".", prefix)
}

var (
	segmentRef = regexp.MustCompile(`shard (\d+) segment (seg-[0-9]+)`)
	walRef     = regexp.MustCompile(`wal of shard (\d+)`)
	shardRef   = regexp.MustCompile(`shard (\d+)`)
)

// namedIn returns the archive path of the segment, WAL or shard manifest
// a message names in words, under prefix; prefix when it names none.
func namedIn(msg, prefix string) string {
	var p string
	if m := segmentRef.FindStringSubmatch(msg); m != nil {
		p = "shard-" + m[1] + "/segments/" + m[2]
	} else if m := walRef.FindStringSubmatch(msg); m != nil {
		p = "shard-" + m[1] + "/wal"
	} else if m := shardRef.FindStringSubmatch(msg); m != nil {
		p = "shard-" + m[1] + "/manifest"
	} else if strings.Contains(msg, "collection file") {
		p = "collection"
	} else {
		return prefix
	}
	return path.Join(prefix, p)
}

// fileIn returns the longest path of an archive file or folder that msg
// names by its spilled path, "" when it names none.
func (v *verifier) fileIn(msg string) string {
	best := ""
	root := v.spill + string(filepath.Separator)
	for rest := msg; ; {
		i := strings.Index(rest, root)
		if i < 0 {
			break
		}
		rest = rest[i+len(root):]
		end := strings.IndexFunc(rest, func(r rune) bool { return r == ' ' || r == ':' || r == ',' || r == '"' || r == '\'' })
		if end < 0 {
			end = len(rest)
		}
		p := filepath.ToSlash(rest[:end])
		if name, _, ok := strings.Cut(strings.TrimPrefix(rest[end:], ": "), ":"); ok {
			if _, isFile := v.files[path.Join(p, name)]; isFile { // "verify segment DIR: FILE: …"
				p = path.Join(p, name)
			}
		}
		if len(p) > len(best) {
			best = p
		}
	}
	return best
}
