package engine

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// The crash test: a child process (this test binary, TestCrashChild) ingests
// deterministic batches with wait=true and prints "A <batch>" after each
// acknowledgement, "S" when a seal starts and "M" when a merge starts. The
// parent kills it with SIGKILL (after a number of acknowledgements, or just
// after a seal or merge marker), reopens the storage and checks that every
// acknowledged write is there with its last value and nothing else is.

const (
	crashEnvDir   = "CAIRN_CRASH_DIR"
	crashEnvStart = "CAIRN_CRASH_START"
	crashEnvPause = "CAIRN_CRASH_PAUSE"
	crashIDs      = 200
	crashRounds   = 24
)

// crashState is a point's observable state: vector[0] and payload "v".
type crashState struct {
	present bool
	vec     int
	pay     int
}

type crashBatch struct {
	kind string // "upsert", "delete", "set"
	ids  []uint64
}

func genCrashBatch(b int) crashBatch {
	r := rand.New(rand.NewPCG(uint64(b), 77))
	n := 5
	kind := "upsert"
	switch x := r.IntN(20); {
	case x < 3:
		kind = "delete"
	case x < 6:
		kind = "set"
	default:
		n = 24
	}
	cb := crashBatch{kind: kind}
	for range n {
		cb.ids = append(cb.ids, r.Uint64N(crashIDs))
	}
	return cb
}

// apply returns the state after the batch for an id it touches.
func (cb crashBatch) apply(b int, old crashState) crashState {
	switch cb.kind {
	case "upsert":
		return crashState{present: true, vec: b, pay: b}
	case "delete":
		return crashState{}
	}
	if old.present {
		old.pay = b
	}
	return old
}

func crashCollection() CreateCollection {
	req := simpleReq(4, point.Dot)
	req.ShardNumber = intp(2)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1), DefaultSegmentNumber: intp(2),
		FlushIntervalSec: intp(0)}
	return req
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnvDir)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	start, _ := strconv.Atoi(os.Getenv(crashEnvStart))
	pause := os.Getenv(crashEnvPause)
	out := os.Stdout
	hooks := &Hooks{
		SealStart: func(string, int) {
			fmt.Fprintln(out, "S")
			if pause == "S" {
				time.Sleep(20 * time.Millisecond)
			}
		},
		MergeStart: func(string, int, int) {
			fmt.Fprintln(out, "M")
			if pause == "M" {
				time.Sleep(20 * time.Millisecond)
			}
		},
	}
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), Hooks: hooks})
	if err != nil {
		fmt.Fprintln(out, "ERR", err)
		os.Exit(2)
	}
	if !st.CollectionExists("c") {
		if err := st.CreateCollection("c", crashCollection()); err != nil {
			fmt.Fprintln(out, "ERR", err)
			os.Exit(2)
		}
	}
	c, _ := st.Collection("c")
	for b := start; ; b++ {
		if err := runCrashBatch(c, b); err != nil {
			fmt.Fprintln(out, "ERR", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, "A", b)
	}
}

func runCrashBatch(c *Collection, b int) error {
	cb := genCrashBatch(b)
	var ids []point.ID
	for _, id := range cb.ids {
		ids = append(ids, point.NumID(id))
	}
	var err error
	switch cb.kind {
	case "upsert":
		pts := make([]PointStruct, len(ids))
		for i, id := range ids {
			pts[i] = PointStruct{ID: id, Vector: Vectors{"": {float32(b), float32(id.Num()), 1, 0}},
				Payload: map[string]any{"v": b}}
		}
		_, err = c.Upsert(ctxb, pts, true)
	case "delete":
		_, err = c.Delete(ctxb, PointsSelector{Points: ids}, true)
	case "set":
		f := fmt.Sprintf(`{"must":[{"has_id":%s}]}`, jsonOf(cb.ids))
		var fl = mustFilter(f)
		_, err = c.SetPayload(ctxb, SetPayload{Payload: map[string]any{"v": b}, Filter: fl}, true)
	}
	return err
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is not short")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(2026, 11))
	model := map[uint64][]crashState{} // possible states; absent id = not present
	next := 0
	killedIn := map[string]int{}
	for round := range crashRounds {
		mode := []string{"A", "S", "M"}[round%3]
		acks := 3 + r.IntN(25)
		delay := time.Duration(r.IntN(25)) * time.Millisecond
		last, killed := runCrashChild(t, dir, next, mode, acks, delay)
		killedIn[killed]++
		// Acknowledged batches are certain; the one after may or may not be applied.
		for b := next; b <= last; b++ {
			applyCertain(model, b)
		}
		applyUncertain(model, last+1)
		next = last + 2
		verifyCrashState(t, dir, model, round)
	}
	t.Logf("kills: %v", killedIn)
	if killedIn["S"] == 0 || killedIn["M"] == 0 {
		t.Fatalf("no kill during a seal or a merge: %v", killedIn)
	}
}

func states(model map[uint64][]crashState, id uint64) []crashState {
	if s, ok := model[id]; ok {
		return s
	}
	return []crashState{{}}
}

func applyCertain(model map[uint64][]crashState, b int) {
	cb := genCrashBatch(b)
	for _, id := range cb.ids {
		old := states(model, id)
		var nx []crashState
		for _, s := range old {
			nx = appendUnique(nx, cb.apply(b, s))
		}
		model[id] = nx
	}
}

func applyUncertain(model map[uint64][]crashState, b int) {
	cb := genCrashBatch(b)
	for _, id := range dedupe(cb.ids) {
		old := states(model, id)
		nx := append([]crashState(nil), old...)
		for _, s := range old {
			nx = appendUnique(nx, cb.apply(b, s))
		}
		model[id] = nx
	}
}

func dedupe(ids []uint64) []uint64 {
	seen := map[uint64]bool{}
	var out []uint64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func appendUnique(s []crashState, x crashState) []crashState {
	for _, y := range s {
		if y == x {
			return s
		}
	}
	return append(s, x)
}

// runCrashChild starts the child at batch next, kills it per mode, and
// returns the last acknowledged batch (next-1 if none) and the marker the
// kill followed ("A" when killed after acknowledgements).
func runCrashChild(t *testing.T, dir string, next int, mode string, acks int, delay time.Duration) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvStart+"="+strconv.Itoa(next), crashEnvPause+"="+mode)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	last, seen, killedOn := next-1, 0, ""
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	kill := func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
	}
	for line := range lines {
		switch {
		case strings.HasPrefix(line, "A "):
			n, _ := strconv.Atoi(line[2:])
			last = n
			seen++
			if killedOn == "" && (seen >= acks && mode == "A" || seen >= 400) {
				killedOn = "A"
				kill()
			}
		case strings.HasPrefix(line, "ERR"):
			t.Fatalf("child: %s", line)
		case (line == "S" || line == "M") && line == mode && killedOn == "" && seen > 0:
			killedOn = line
			time.Sleep(delay)
			kill()
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	_ = cmd.Wait()
	if killedOn == "" {
		t.Fatalf("child exited without being killed")
	}
	return last, killedOn
}

func verifyCrashState(t *testing.T, dir string, model map[uint64][]crashState, round int) {
	t.Helper()
	st := openTest(t, dir, nil)
	defer st.Close()
	c, err := st.Collection("c")
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	page, err := c.Scroll(ctxb, ScrollRequest{Limit: 10 * crashIDs, WithVector: &WithVector{Enable: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint64]crashState{}
	for _, p := range page.Points {
		v, _ := strconv.Atoi(fmt.Sprint(p.Payload["v"]))
		got[p.ID.Num()] = crashState{present: true, vec: int(p.Vector[""][0]), pay: v}
		if p.Vector[""][1] != float32(p.ID.Num()) {
			t.Fatalf("round %d: point %d has vector %v", round, p.ID.Num(), p.Vector[""])
		}
	}
	if n := mustCount(t, c, nil); n != len(got) {
		t.Fatalf("round %d: count %d, scroll %d", round, n, len(got))
	}
	for id := range got {
		if _, ok := model[id]; !ok {
			t.Fatalf("round %d: point %d was never written: %+v", round, id, got[id])
		}
	}
	for id, possible := range model {
		g := got[id]
		ok := false
		for _, s := range possible {
			ok = ok || s == g
		}
		if !ok {
			t.Fatalf("round %d: point %d is %+v, want one of %+v", round, id, g, possible)
		}
		model[id] = []crashState{g}
	}
}

func mustFilter(s string) *payload.Filter {
	f, err := payload.ParseFilter([]byte(s))
	if err != nil {
		panic(err)
	}
	return f
}
