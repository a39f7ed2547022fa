package backup

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// StateFile is the name of the state file under the snapshots folder
// (docs/format/backup-state.md). Its leading dot keeps it out of snapshot
// listings.
const StateFile = ".backup-state"

// stateMagic and stateVersion open the state file.
const (
	stateMagic   = "CAIRNBKS"
	stateVersion = 2
	// stateVersionV1 is the previous version, read as well: it had no run
	// history.
	stateVersionV1 = 1
	headerLen      = len(stateMagic) + 12
	// maxStateBytes bounds the body read back.
	maxStateBytes = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrState reports a state file that cannot be read back.
var ErrState = errors.New("bad backup state file")

// Outcomes of a run.
const (
	OutcomeSuccess = "success"
	OutcomeFailed  = "failed"
	OutcomeAborted = "aborted"
)

// state is the body of the state file.
type state struct {
	Schedules map[string]*schedState `json:"schedules"`
}

// schedState is what one schedule has done.
type schedState struct {
	// Since is when the schedule was first seen; staleness of a schedule
	// that never succeeded counts from it.
	Since time.Time `json:"since"`
	// LastSlot is the scheduled time the last finished scheduled run
	// served (succeeded, or failed after its last retry).
	LastSlot *time.Time `json:"last_slot,omitempty"`
	// LastRun is the last attempt's outcome.
	LastRun *runRecord `json:"last_run,omitempty"`
	// LastSuccess is when the last successful run ended.
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// Series holds, per collection (FullSeries for full snapshots), the
	// end of its last successful snapshot.
	Series map[string]time.Time `json:"series,omitempty"`
	// Snapshots are the snapshots the schedule made and has not deleted.
	Snapshots []heldSnapshot `json:"snapshots"`
	// Failures counts the failed attempts since the last success.
	Failures int `json:"failures"`
	// Runs is the run history, oldest first, at most MaxRunHistory
	// (version 2; absent in version 1).
	Runs []runEntry `json:"runs,omitempty"`
}

// MaxRunHistory bounds the run history kept per schedule.
const MaxRunHistory = 100

// runEntry is one run in the history.
type runEntry struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Outcome   string    `json:"outcome"`
	Error     string    `json:"error,omitempty"`
	Manual    bool      `json:"manual,omitempty"`
	Bytes     int64     `json:"bytes"`
	Snapshots int       `json:"snapshots"`
}

// addRun appends r to the history, dropping the oldest beyond
// MaxRunHistory.
func (s *schedState) addRun(r runEntry) {
	s.Runs = append(s.Runs, r)
	if n := len(s.Runs) - MaxRunHistory; n > 0 {
		s.Runs = append([]runEntry(nil), s.Runs[n:]...)
	}
}

// runRecord is one run's outcome.
type runRecord struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Outcome string    `json:"outcome"`
	Error   string    `json:"error,omitempty"`
	Manual  bool      `json:"manual,omitempty"`
	Attempt int       `json:"attempt"`
}

// heldSnapshot is a snapshot a schedule made.
type heldSnapshot struct {
	Collection string    `json:"collection"`
	Name       string    `json:"name"`
	Target     string    `json:"target"`
	Created    time.Time `json:"created"`
	Size       int64     `json:"size"`
	// Bad marks a snapshot that failed its verification: the next
	// successful run's retention releases it.
	Bad bool `json:"bad,omitempty"`
}

// encodeState returns the file's bytes: header then JSON body.
func encodeState(st *state) ([]byte, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode backup state: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	var h [12]byte
	binary.LittleEndian.PutUint32(h[0:], stateVersion)
	binary.LittleEndian.PutUint32(h[4:], uint32(len(body)))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(body, castagnoli))
	buf.Write(h[:])
	buf.Write(body)
	return buf.Bytes(), nil
}

// decodeState parses the file's bytes, checking magic, version, length
// and checksum.
func decodeState(b []byte) (*state, error) {
	if len(b) < headerLen || string(b[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("%w: no %s header", ErrState, stateMagic)
	}
	h := b[len(stateMagic):headerLen]
	v := binary.LittleEndian.Uint32(h[0:])
	if v != stateVersion && v != stateVersionV1 {
		return nil, fmt.Errorf("%w: version %d, this build reads %d and %d", ErrState, v, stateVersionV1, stateVersion)
	}
	n := binary.LittleEndian.Uint32(h[4:])
	body := b[headerLen:]
	if uint64(n) != uint64(len(body)) {
		return nil, fmt.Errorf("%w: body is %d bytes, header says %d", ErrState, len(body), n)
	}
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(h[8:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrState)
	}
	st := &state{}
	if err := json.Unmarshal(body, st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	if st.Schedules == nil {
		st.Schedules = map[string]*schedState{}
	}
	for name, s := range st.Schedules {
		if s == nil {
			return nil, fmt.Errorf("%w: schedule %q has no entry", ErrState, name)
		}
		if v == stateVersionV1 {
			s.Runs = nil // version 1 had no history
		}
		if n := len(s.Runs) - MaxRunHistory; n > 0 {
			s.Runs = s.Runs[n:]
		}
	}
	return st, nil
}

// loadState reads path; a missing file is an empty state.
func loadState(path string) (*state, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Schedules: map[string]*schedState{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open backup state: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxStateBytes+1)); err != nil {
		return nil, fmt.Errorf("read backup state: %w", err)
	}
	if buf.Len() > maxStateBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrState, maxStateBytes)
	}
	return decodeState(buf.Bytes())
}

// saveState writes st to path durably: temp, fsync, rename, fsync folder.
func saveState(fsys vfs.FS, path string, st *state) error {
	b, err := encodeState(st)
	if err != nil {
		return err
	}
	if err := fsys.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create snapshots folder: %w", err)
	}
	if err := vfs.WriteFileAtomic(fsys, path, b); err != nil {
		return fmt.Errorf("write backup state: %w", err)
	}
	return nil
}

// clone returns a deep copy of s, for readers outside the lock.
func (s *schedState) clone() schedState {
	c := *s
	if s.LastRun != nil {
		r := *s.LastRun
		c.LastRun = &r
	}
	c.Series = make(map[string]time.Time, len(s.Series))
	for k, v := range s.Series {
		c.Series[k] = v
	}
	c.Snapshots = append([]heldSnapshot(nil), s.Snapshots...)
	c.Runs = append([]runEntry(nil), s.Runs...)
	return c
}
