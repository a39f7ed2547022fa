package bench

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// fakeQdrant is a small in-memory server answering the routes the client
// uses, with exact search, so the runners can be tested end to end. It is
// test scaffolding: no figure measured against it is reported anywhere.
type fakeQdrant struct {
	mu          sync.Mutex
	collections map[string]*fakeCollection
	snapshots   map[string][]byte // snapshot name → archive bytes
	requests    []string          // "METHOD path?query"
	// optimizers records, per collection name, its optimizers_config after
	// its creation and after each PATCH (kept after deletion).
	optimizers map[string][]string
	apiKey     string
}

type fakeCollection struct {
	dim      int
	distance string
	points   map[uint64][]float32
	// optimizers is the optimizers_config given at creation, then patched.
	optimizers map[string]any
}

func newFakeQdrant(t *testing.T) (*fakeQdrant, *httptest.Server) {
	f := &fakeQdrant{collections: map[string]*fakeCollection{}, snapshots: map[string][]byte{}, optimizers: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /collections/{name}", f.create)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"title": "qdrant - vector search engine", "version": "1.13.0"})
	})
	mux.HandleFunc("PATCH /collections/{name}", f.patch)
	mux.HandleFunc("DELETE /collections/{name}", f.deleteCollection)
	mux.HandleFunc("GET /collections/{name}", f.info)
	mux.HandleFunc("PUT /collections/{name}/points", f.upsert)
	mux.HandleFunc("POST /collections/{name}/points/search", f.search)
	mux.HandleFunc("POST /collections/{name}/snapshots", f.createSnapshot)
	mux.HandleFunc("GET /collections/{name}/snapshots/{snap}", f.download)
	mux.HandleFunc("DELETE /collections/{name}/snapshots/{snap}", f.deleteSnapshot)
	mux.HandleFunc("POST /collections/{name}/snapshots/upload", f.upload)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		key := f.apiKey
		f.mu.Unlock()
		if key != "" && r.Header.Get("api-key") != key {
			fail(w, http.StatusUnauthorized, "bad api key")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func ok(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"result": result, "status": "ok", "time": 0.001})
}

func fail(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": map[string]string{"error": msg}})
}

func (f *fakeQdrant) coll(w http.ResponseWriter, r *http.Request) *fakeCollection {
	c := f.collections[r.PathValue("name")]
	if c == nil {
		fail(w, http.StatusNotFound, "Collection `"+r.PathValue("name")+"` doesn't exist!")
	}
	return c
}

func (f *fakeQdrant) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Vectors struct {
			Size     int    `json:"size"`
			Distance string `json:"distance"`
		} `json:"vectors"`
		Optimizers map[string]any `json:"optimizers_config"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Vectors.Size < 1 {
		fail(w, http.StatusUnprocessableEntity, fmt.Sprint("bad body ", err))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collections[r.PathValue("name")] = &fakeCollection{dim: body.Vectors.Size, distance: body.Vectors.Distance,
		points: map[uint64][]float32{}, optimizers: body.Optimizers}
	f.optimizers[r.PathValue("name")] = append(f.optimizers[r.PathValue("name")], fmt.Sprint(body.Optimizers))
	ok(w, true)
}

// patch merges an optimizers_config diff into the collection's.
func (f *fakeQdrant) patch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Optimizers map[string]any `json:"optimizers_config"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.coll(w, r)
	if c == nil {
		return
	}
	if c.optimizers == nil {
		c.optimizers = map[string]any{}
	}
	for k, v := range body.Optimizers {
		c.optimizers[k] = v
	}
	f.optimizers[r.PathValue("name")] = append(f.optimizers[r.PathValue("name")], fmt.Sprint(c.optimizers))
	ok(w, true)
}

func (f *fakeQdrant) deleteCollection(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, had := f.collections[r.PathValue("name")]
	delete(f.collections, r.PathValue("name"))
	ok(w, had)
}

func (f *fakeQdrant) info(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.coll(w, r); c != nil {
		ok(w, map[string]any{"status": "green", "points_count": len(c.points), "indexed_vectors_count": len(c.points), "segments_count": 1})
	}
}

func (f *fakeQdrant) upsert(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Points []struct {
			ID     uint64    `json:"id"`
			Vector []float32 `json:"vector"`
		} `json:"points"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.coll(w, r)
	if c == nil {
		return
	}
	for _, p := range body.Points {
		if len(p.Vector) != c.dim {
			fail(w, http.StatusBadRequest, "wrong vector dimension")
			return
		}
		c.points[p.ID] = p.Vector
	}
	ok(w, map[string]any{"operation_id": 1, "status": "completed"})
}

func (f *fakeQdrant) search(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Vector []float32 `json:"vector"`
		Limit  int       `json:"limit"`
		Params struct {
			HnswEf int `json:"hnsw_ef"`
		} `json:"params"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.coll(w, r)
	if c == nil {
		return
	}
	ok(w, c.exact(body.Vector, body.Limit))
}

// fakeHit is one exact search result.
type fakeHit struct {
	ID    uint64  `json:"id"`
	Score float64 `json:"score"`
}

// exact returns the limit best points for q, best first.
func (c *fakeCollection) exact(q []float32, limit int) []fakeHit {
	var hits []fakeHit
	for id, v := range c.points {
		if c.distance == "Cosine" {
			hits = append(hits, fakeHit{id, 1 - Distance(Cosine, q, v)})
		} else {
			hits = append(hits, fakeHit{id, Distance(L2, q, v)})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return (hits[i].Score < hits[j].Score) == (c.distance != "Cosine")
		}
		return hits[i].ID < hits[j].ID
	})
	return hits[:min(limit, len(hits))]
}

func (f *fakeQdrant) createSnapshot(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.coll(w, r)
	if c == nil {
		return
	}
	b, _ := json.Marshal(c.points)
	name := r.PathValue("name") + "-" + strconv.Itoa(len(f.snapshots)) + ".snapshot"
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: c.distance, Mode: 0o644, Size: int64(len(b))})
	tw.Write(b)
	tw.Close()
	f.snapshots[name] = buf.Bytes()
	ok(w, map[string]any{"name": name, "size": len(f.snapshots[name]), "checksum": "abc"})
}

func (f *fakeQdrant) download(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, found := f.snapshots[r.PathValue("snap")]
	if !found {
		fail(w, http.StatusNotFound, "no snapshot")
		return
	}
	w.Write(b)
}

func (f *fakeQdrant) deleteSnapshot(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.snapshots, r.PathValue("snap"))
	ok(w, true)
}

// upload restores a collection from a snapshot made by createSnapshot.
func (f *fakeQdrant) upload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("snapshot")
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	tr := tar.NewReader(file)
	h, err := tr.Next()
	if err != nil {
		fail(w, http.StatusBadRequest, "bad snapshot: "+err.Error())
		return
	}
	dist := h.Name
	rest, _ := io.ReadAll(tr)
	pts := map[uint64][]float32{}
	if err := json.Unmarshal(rest, &pts); err != nil {
		fail(w, http.StatusBadRequest, "bad snapshot: "+err.Error())
		return
	}
	dim := 0
	for _, v := range pts {
		dim = len(v)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collections[r.PathValue("name")] = &fakeCollection{dim: dim, distance: dist, points: pts}
	ok(w, true)
}

func (f *fakeQdrant) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}
