package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cairn-db/cairn/vfs"
)

const (
	restoreIntentPrefix  = "restore-intent-"
	restoreIntentMagic   = "CAIRNRST"
	restoreIntentVersion = 1
)

// restoreIntent is the body of a restore-intent-N file: folder names inside
// the collections folder.
type restoreIntent struct {
	Name   string `json:"name"`
	Staged string `json:"staged"`
	Trash  string `json:"trash"`
	// Shard, when set, names the shard folder inside collection Name that
	// the restore replaces (restore_shard.go); empty replaces the whole
	// collection folder.
	Shard string `json:"shard,omitempty"`
}

// writeIntent writes an intent file durably (temp file, fsync, rename, fsync
// of the folder) as the envelope magic/version around in's JSON. On error no
// intent file is left.
func writeIntent(fsys vfs.FS, path, magic string, version uint32, in any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(fsys, path, sealEnvelope(magic, version, body)); err != nil {
		_ = fsys.Remove(path)
		return fmt.Errorf("write intent: %w", err)
	}
	return nil
}

// recoverRestores completes every restore a crash interrupted after its
// intent file was written. Open must call it before listing the
// collections folder (which removes dot-prefixed leftovers).
func recoverRestores(fsys vfs.FS, dir string, logger *slog.Logger) error {
	root := filepath.Join(dir, collectionsDir)
	return completeIntents(fsys, dir, restoreIntentPrefix, func(path string) error {
		in, err := loadRestoreIntent(path)
		if err != nil {
			return err
		}
		if err := rollForward(fsys, root, in); err != nil {
			return fmt.Errorf("recover restore %s: %w", in.Name, err)
		}
		if logger != nil {
			logger.Info("completed interrupted restore", "name", in.Name)
		}
		return nil
	})
}

// completeIntents finishes the interrupted restores whose intent files in
// dir start with prefix: an intent never written (still ".tmp") means no
// swap began and is removed; a written one is carried out by apply, then
// removed, and dir synced.
func completeIntents(fsys vfs.FS, dir, prefix string, apply func(path string) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("recover restores: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), ".tmp") {
			if err := fsys.Remove(path); err != nil {
				return fmt.Errorf("recover restores: %w", err)
			}
			continue
		}
		if err := apply(path); err != nil {
			return err
		}
		if err := errors.Join(fsys.Remove(path), fsys.SyncDir(dir)); err != nil {
			return fmt.Errorf("recover restore %s: %w", e.Name(), err)
		}
	}
	return nil
}

func loadRestoreIntent(path string) (restoreIntent, error) {
	var in restoreIntent
	b, err := os.ReadFile(path)
	if err != nil {
		return in, fmt.Errorf("read restore intent: %w", err)
	}
	body, err := openEnvelope(restoreIntentMagic, restoreIntentVersion, b)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err == nil {
		err = in.checkNames(true)
	}
	if err != nil {
		return in, fmt.Errorf("decode restore intent %s: %w", path, err)
	}
	return in, nil
}

// checkNames refuses an intent read from disk whose folder names are not
// single path elements (nothing outside the collections folder may be
// renamed), or that names a shard where shard is false (the steps of a
// restore-all intent replace whole collections).
func (in restoreIntent) checkNames(shard bool) error {
	if !plainName(in.Name) || !plainName(in.Staged) || !plainName(in.Trash) ||
		in.Shard != "" && (!shard || !plainName(in.Shard)) {
		return fmt.Errorf("%w: bad folder name", ErrCorrupt)
	}
	return nil
}

func plainName(s string) bool {
	return s != "" && filepath.IsLocal(s) && filepath.Base(s) == s
}

// rollForward finishes steps 3 and 4 of an interrupted restore.
func rollForward(fsys vfs.FS, root string, in restoreIntent) error {
	staged := filepath.Join(root, in.Staged)
	if _, err := os.Stat(staged); errors.Is(err, os.ErrNotExist) {
		return nil // step 4 was done: the new folder has its name
	}
	final := in.target(root)
	if _, err := os.Stat(final); err == nil {
		if err := fsys.Rename(final, filepath.Join(root, in.Trash)); err != nil {
			return err
		}
	}
	if err := fsys.Rename(staged, final); err != nil {
		return err
	}
	return fsys.SyncDir(root)
}
