package engine

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// fakeMemory returns an Options.Memory reporting resident percent of 1000
// bytes (an error when err is set).
func fakeMemory(resident *atomic.Uint64, err error) func() (MemoryReading, error) {
	return func() (MemoryReading, error) {
		if err != nil {
			return MemoryReading{}, err
		}
		return MemoryReading{Resident: resident.Load(), Total: 1000}, nil
	}
}

// TestStrictModeResidentMemory: max_resident_memory_percent refuses
// upserts, vector updates and payload sets at or above the limit, in
// Qdrant's words, lets them through below it, and never stops deletes;
// it is validated (1..100), stored and shown.
func TestStrictModeResidentMemory(t *testing.T) {
	var res atomic.Uint64
	res.Store(799)
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger(), DisableBackground: true, Memory: fakeMemory(&res, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(4, point.Cosine))
	mustUpsert(t, c, strictPoints(1, 5)...)
	for _, bad := range []int{0, 101} {
		err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxResidentMemoryPercent: intp(bad)}})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("percent %d: %v, want ErrInvalid", bad, err)
		}
	}
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{Enabled: boolp(true), MaxResidentMemoryPercent: intp(80)}}); err != nil {
		t.Fatal(err)
	}
	if got, want := jsonOf(c.Info().Config.StrictModeConfig), `{"enabled":true,"max_resident_memory_percent":80}`; got != want {
		t.Fatalf("strict mode %s, want %s", got, want)
	}
	mustUpsert(t, c, strictPoints(6, 1)...) // 79%: below the limit
	res.Store(800)
	want := "Bad request: Resident memory usage is at 80% of total memory, exceeding the configured limit of 80%. " +
		"Help: Reduce memory usage (e.g. delete points or drop collections), or raise `max_resident_memory_percent` in the strict mode config of this collection."
	_, err = c.Upsert(ctxb, strictPoints(7, 1), true)
	wantStrict(t, "upsert", err, want)
	if err.Error() != want {
		t.Fatalf("upsert: %q, want %q", err, want)
	}
	_, err = c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(1), Vector: Vectors{"": {1, 1, 1, 1}}}}, true)
	wantStrict(t, "update vectors", err, want)
	_, err = c.SetPayload(ctxb, SetPayload{Payload: payload.Payload{"x": 1}, Points: []point.ID{point.NumID(1)}}, true)
	wantStrict(t, "set payload", err, want)
	res.Store(2000) // over the total: 100%
	_, err = c.OverwritePayload(ctxb, SetPayload{Payload: payload.Payload{"x": 1}, Points: []point.ID{point.NumID(1)}}, true)
	wantStrict(t, "overwrite payload", err, "Resident memory usage is at 100% of total memory")
	if n := mustCount(t, c, nil); n != 6 {
		t.Fatalf("%d points after refusals, want 6", n)
	}
	// Deletes free memory: they pass.
	if _, err := c.ClearPayload(ctxb, PointsSelector{Points: []point.ID{point.NumID(6)}}, true); err != nil {
		t.Fatalf("clear payload: %v", err)
	}
	if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(6)}}, true); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if n := mustCount(t, c, nil); n != 5 {
		t.Fatalf("%d points after delete, want 5", n)
	}
	// Disabled, the limit checks nothing.
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{Enabled: boolp(false)}}); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, strictPoints(7, 1)...)
}

// TestStrictModeResidentMemoryUnreadable: where memory cannot be read the
// setting is refused, on create and on update, naming why.
func TestStrictModeResidentMemoryUnreadable(t *testing.T) {
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger(), DisableBackground: true, Memory: fakeMemory(nil, errNoMemoryReading)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(4, point.Cosine)
	req.StrictModeConfig = &StrictModeConfig{Enabled: boolp(true), MaxResidentMemoryPercent: intp(80)}
	err = st.CreateCollection("c", req)
	wantStrict(t, "create", err, "max_resident_memory_percent is not supported here: the resident memory of the process cannot be read")
	req.StrictModeConfig = nil
	mustCreate(t, st, "c", req)
	err = st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxResidentMemoryPercent: intp(80)}})
	wantStrict(t, "update", err, "max_resident_memory_percent is not supported here")
	if err := st.UpdateCollection("c", CollectionUpdate{StrictModeConfig: &StrictModeConfig{MaxQueryLimit: intp(3)}}); err != nil {
		t.Fatalf("other strict fields: %v", err)
	}
}

// TestReadMemoryParsers: the /proc and cgroup files are read as Linux
// writes them, and the percent rounds down as Qdrant's does.
func TestReadMemoryParsers(t *testing.T) {
	if n, err := parseStatmRSS([]byte("12345 678 90 1 0 2 0\n")); err != nil || n != 678 {
		t.Fatalf("statm: %d %v", n, err)
	}
	if _, err := parseStatmRSS([]byte("12")); err == nil {
		t.Fatal("short statm accepted")
	}
	if n, ok := parseCgroupMax([]byte("max\n")); ok {
		t.Fatalf("max read as %d", n)
	}
	if n, ok := parseCgroupMax([]byte("536870912\n")); !ok || n != 536870912 {
		t.Fatalf("cgroup: %d %v", n, ok)
	}
	if n, err := parseMemTotal([]byte("MemFree: 5 kB\nMemTotal:       16384 kB\n")); err != nil || n != 16384*1024 {
		t.Fatalf("meminfo: %d %v", n, err)
	}
	if _, err := parseMemTotal([]byte("MemFree: 5 kB\n")); err == nil {
		t.Fatal("meminfo without MemTotal accepted")
	}
	for _, tc := range []struct {
		m    MemoryReading
		want int
	}{{MemoryReading{799, 1000}, 79}, {MemoryReading{800, 1000}, 80}, {MemoryReading{5, 0}, 0}, {MemoryReading{3000, 1000}, 100}} {
		if got := tc.m.percent(); got != tc.want {
			t.Errorf("%+v: %d%%, want %d", tc.m, got, tc.want)
		}
	}
	m, err := readMemory()
	if runtime.GOOS == "linux" && (err != nil || m.Resident == 0 || m.Total == 0) {
		t.Fatalf("readMemory: %+v %v", m, err)
	}
}
