package walarchive

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot"
)

// The RPO measurement: a child process writes points 1, 2, … one
// acknowledged write at a time, with the archiver shipping every rpoEvery to
// a local target; the parent kills it with SIGKILL, deletes its whole
// storage folder, and restores from the snapshot and the archive alone.
const (
	rpoEnvDir = "CAIRN_RPO_DIR"
	rpoEvery  = 100 * time.Millisecond
)

// TestRPOChild is the writer process of TestRPO; it runs only when
// started by it.
func TestRPOChild(t *testing.T) {
	dir := os.Getenv(rpoEnvDir)
	if dir == "" {
		t.Skip("started by TestRPO")
	}
	store, err := objstore.NewLocal(filepath.Join(dir, "archive"))
	if err != nil {
		fmt.Println("ERR", err)
		return
	}
	arch := &Archiver{Store: store, Logger: quiet()}
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), Logger: quiet(), ArchivedLSN: arch.ArchivedLSN})
	if err != nil {
		fmt.Println("ERR", err)
		return
	}
	arch.Attach(st)
	tick := time.NewTicker(RoundInterval(rpoEvery))
	go arch.Run(context.Background(), tick.C)
	c, err := st.Collection("c")
	if err != nil {
		fmt.Println("ERR", err)
		return
	}
	w := bufio.NewWriter(os.Stdout)
	for i := uint64(1); i < 1<<20; i++ {
		if _, err := c.Upsert(context.Background(), []engine.PointStruct{{ID: point.NumID(i), Vector: engine.Vectors{"": {1, float32(i)}}}}, true); err != nil {
			fmt.Fprintln(w, "ERR", err)
			_ = w.Flush()
			return
		}
		at := time.Now()
		fmt.Fprintf(w, "A %d %d\n", i, at.UnixNano())
		_ = w.Flush()
		for !time.Now().After(at) { // the next write's time is after this ack
		}
	}
}

// TestRPO kills a writing server CAIRN_RPO_ROUNDS times (it is a
// measurement of seconds lost, so it does not run by default) and checks
// each restore: every write acknowledged more than the archive interval
// before the kill is present, the writes present are 1..n in order, and a
// restore to an earlier moment holds exactly the writes up to it.
func TestRPO(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("CAIRN_RPO_ROUNDS"))
	if rounds <= 0 || os.Getenv(rpoEnvDir) != "" {
		t.Skip("set CAIRN_RPO_ROUNDS to run the RPO measurement")
	}
	var lost []time.Duration
	for r := range rounds {
		lost = append(lost, rpoRound(t, r))
	}
	sort.Slice(lost, func(i, j int) bool { return lost[i] < lost[j] })
	t.Logf("RPO over %d kills, archive every %v: seconds lost p50 %.3f, max %.3f", rounds, rpoEvery,
		lost[len(lost)/2].Seconds(), lost[len(lost)-1].Seconds())
}

// rpoRound runs one kill and restore, and returns the time between the
// kill and the last write the restore holds.
func rpoRound(t *testing.T, round int) time.Duration {
	dir := t.TempDir()
	snaps := filepath.Join(dir, "snapshots")
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), Logger: quiet(), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	two := 2
	if err := st.CreateCollection("c", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 2, Distance: point.Dot}}, ShardNumber: &two}); err != nil {
		t.Fatal(err)
	}
	m := &snapshot.Manager{Storage: st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: snaps, TempPath: filepath.Join(dir, "tmp"), Logger: quiet()}
	if _, err := m.CreateCollection(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Kill at a phase against the archiver's ticks that varies by round.
	acks, killAt := runRPOChild(t, dir, 600*time.Millisecond+time.Duration(round)*37*time.Millisecond)
	if err := os.RemoveAll(filepath.Join(dir, "storage")); err != nil {
		t.Fatal(err)
	}
	store, err := objstore.NewLocal(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	st2, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "restored"), Logger: quiet(), DisableBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	o := RestoreOptions{Storage: st2, Archive: store, SnapshotsPath: snaps, TempPath: filepath.Join(dir, "restored", "tmp"),
		Source: "c", As: "all", To: killAt, Logger: quiet()}
	if _, err := RestoreToMoment(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	n := prefixLen(t, st2, "all")
	for i, at := range acks {
		if at.Before(killAt.Add(-rpoEvery)) && uint64(i+1) > n {
			// Reported, not fatal: the figure over every round still
			// prints (a starved machine can stall a round).
			t.Errorf("round %d: write %d acknowledged %v before the kill is missing (restore holds 1..%d)", round, i+1, killAt.Sub(at), n)
			break
		}
	}
	mid := uint64(sort.Search(len(acks), func(i int) bool { return acks[i].After(killAt.Add(-3 * rpoEvery)) }))
	if mid == 0 {
		t.Fatalf("round %d: no write acknowledged 3 intervals before the kill", round)
	}
	o.As, o.To = "mid", acks[mid-1]
	if _, err := RestoreToMoment(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := prefixLen(t, st2, "mid"); got != mid {
		t.Fatalf("round %d: restore to the ack of write %d holds 1..%d", round, mid, got)
	}
	if n == 0 {
		return killAt.Sub(acks[0])
	}
	if n >= uint64(len(acks)) {
		return 0
	}
	return killAt.Sub(acks[n-1])
}

// prefixLen checks that collection name holds exactly points 1..n and
// returns n.
func prefixLen(t *testing.T, st *engine.Storage, name string) uint64 {
	t.Helper()
	c, err := st.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Scroll(context.Background(), engine.ScrollRequest{Limit: 1 << 20, WithPayload: &engine.WithPayload{}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, 0, len(res.Points))
	for _, p := range res.Points {
		id, _ := strconv.ParseUint(strings.Trim(mustJSON(p.ID), `"`), 10, 64)
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Fatalf("%s holds %v: not 1..n in order", name, ids)
		}
	}
	return uint64(len(ids))
}

func mustJSON(id point.ID) string {
	b, _ := id.MarshalJSON()
	return string(b)
}

// runRPOChild starts the writer, kills it once d has passed since its
// first acknowledgement, and returns the acknowledgement times (index i:
// write i+1) and the kill time.
func runRPOChild(t *testing.T, dir string, d time.Duration) ([]time.Time, time.Time) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRPOChild$")
	cmd.Env = append(os.Environ(), rpoEnvDir+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []time.Time
	var killAt time.Time
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ERR") {
			_ = cmd.Process.Kill()
			t.Fatalf("child: %s", line)
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "A" {
			continue
		}
		ns, _ := strconv.ParseInt(f[2], 10, 64)
		acks = append(acks, time.Unix(0, ns))
		if killAt.IsZero() && time.Since(acks[0]) >= d {
			killAt = time.Now()
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	_ = cmd.Wait()
	if killAt.IsZero() {
		t.Fatalf("child ended after %d acknowledgements without being killed", len(acks))
	}
	return acks, killAt
}
