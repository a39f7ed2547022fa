package server

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/engine"
)

// memoryServer is a server over a storage whose memory figures are
// resident/1000 (or an error when fail is set).
func memoryServer(t *testing.T, res *atomic.Uint64, fail bool) *Server {
	t.Helper()
	mem := func() (engine.MemoryReading, error) {
		if fail {
			return engine.MemoryReading{}, errors.New("no reading on this system")
		}
		return engine.MemoryReading{Resident: res.Load(), Total: 1000}, nil
	}
	st, err := engine.Open(engine.Options{Dir: t.TempDir(), DisableBackground: true, Logger: slog.New(slog.DiscardHandler), Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Options{Storage: st, Logger: slog.New(slog.DiscardHandler)})
}

// TestStrictModeResidentMemoryREST: max_resident_memory_percent is
// validated (1..100, 422), stored, shown, PATCHed, and refuses upserts,
// vector updates and payload sets (400, Qdrant's text) at the limit while
// deletes pass; where memory cannot be read the setting is refused.
func TestStrictModeResidentMemoryREST(t *testing.T) {
	var res atomic.Uint64
	res.Store(100)
	s := memoryServer(t, &res, false)
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"strict_mode_config":{"enabled":true,"max_resident_memory_percent":90}}`)
	mustFail(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_resident_memory_percent":0}}`, 422, "max_resident_memory_percent", "must be from 1 to 100")
	mustFail(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_resident_memory_percent":101}}`, 422, "max_resident_memory_percent")
	mustOK(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_resident_memory_percent":50}}`)
	info := string(mustOK(t, s, "GET", "/collections/c", ""))
	if !strings.Contains(info, `"strict_mode_config":{"enabled":true,"max_resident_memory_percent":50}`) {
		t.Fatalf("info: %s", info)
	}
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,2,3,4]},{"id":2,"vector":[1,2,3,5]}]}`)
	res.Store(500)
	want := "Bad request: Resident memory usage is at 50% of total memory, exceeding the configured limit of 50%. " +
		"Help: Reduce memory usage (e.g. delete points or drop collections), or raise `max_resident_memory_percent` in the strict mode config of this collection."
	mustFail(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":3,"vector":[1,2,3,4]}]}`, 400, want)
	mustFail(t, s, "PUT", "/collections/c/points/vectors?wait=true", `{"points":[{"id":1,"vector":[1,1,1,1]}]}`, 400, want)
	mustFail(t, s, "POST", "/collections/c/points/payload?wait=true", `{"points":[1],"payload":{"a":1}}`, 400, want)
	mustOK(t, s, "POST", "/collections/c/points/delete?wait=true", `{"points":[2]}`)
	body := string(mustOK(t, s, "POST", "/collections/c/points/count", `{"exact":true}`))
	if !strings.Contains(body, `"count":1`) {
		t.Fatalf("count: %s", body)
	}
	mustOK(t, s, "PATCH", "/collections/c", `{"strict_mode_config":{"max_resident_memory_percent":51}}`)
	mustOK(t, s, "PUT", "/collections/c/points?wait=true", `{"points":[{"id":3,"vector":[1,2,3,4]}]}`)

	u := memoryServer(t, nil, true)
	mustFail(t, u, "PUT", "/collections/c", `{"vectors":{"size":4,"distance":"Dot"},"strict_mode_config":{"max_resident_memory_percent":90}}`, 400,
		"strict_mode_config.max_resident_memory_percent is not supported here: no reading on this system")
	mustFail(t, u, "GET", "/collections/c", "", 404)
}
