package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

const (
	benchDim   = 128
	benchN     = 100_000
	benchBatch = 1000
)

// benchVectors returns n seeded clustered vectors of benchDim floats.
func benchVectors(n int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	centers := make([][]float32, 100)
	for i := range centers {
		centers[i] = make([]float32, benchDim)
		for j := range centers[i] {
			centers[i][j] = float32(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centers[r.IntN(len(centers))]
		v := make([]float32, benchDim)
		for j := range v {
			v[j] = c[j] + 0.3*float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// upsertBody encodes points [from, from+len(vecs)) as an upsert list.
func upsertBody(from int, vecs [][]float32) []byte {
	var b bytes.Buffer
	b.WriteString(`{"points":[`)
	for i, v := range vecs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"vector":[`, from+i)
		for j, x := range v {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
		}
		fmt.Fprintf(&b, `],"payload":{"n":%d}}`, from+i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func benchStorage(b *testing.B, background bool) (*engine.Storage, *httptest.Server) {
	st, err := engine.Open(engine.Options{Dir: b.TempDir(), DisableBackground: !background, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(New(Options{Storage: st, Logger: slog.New(slog.DiscardHandler)}))
	b.Cleanup(func() {
		ts.Close()
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	if err := st.CreateCollection("bench", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: benchDim, Distance: point.Euclid}}}); err != nil {
		b.Fatal(err)
	}
	return st, ts
}

func put(b *testing.B, client *http.Client, url string, body []byte) {
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("upsert: %d %s", resp.StatusCode, msg)
	}
}

// BenchmarkHTTPUpsert uploads 1,000-point batches of 128-d vectors with
// wait=true over a real TCP connection, cycling through 100k point ids.
func BenchmarkHTTPUpsert(b *testing.B) {
	vecs := benchVectors(benchN, 1)
	bodies := make([][]byte, benchN/benchBatch)
	for i := range bodies {
		bodies[i] = upsertBody(i*benchBatch, vecs[i*benchBatch:(i+1)*benchBatch])
	}
	_, ts := benchStorage(b, true)
	url := ts.URL + "/collections/bench/points?wait=true"
	client := ts.Client()
	b.ReportAllocs()
	b.SetBytes(int64(len(bodies[0])))
	i := 0
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		put(b, client, url, bodies[i%len(bodies)])
		i++
	}
	reportRate(b, i, start, cpu)
}

// cpuTime returns the CPU time (user + system) the process has used so far:
// less sensitive than wall time to other load on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports points/s and the process's CPU milliseconds per
// batch (server, client and engine workers together) over batches batches.
func reportRate(b *testing.B, batches int, start time.Time, cpu time.Duration) {
	b.ReportMetric(float64(batches*benchBatch)/time.Since(start).Seconds(), "points/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(max(batches, 1)), "cpu-ms/batch")
}

// BenchmarkSearchHTTPvsInProcess loads 100k × 128 points, waits for the
// optimizer to index them, then searches (ef=64, limit 10) from 8
// concurrent clients in process and over HTTP, reporting QPS and latency
// percentiles.
func BenchmarkSearchHTTPvsInProcess(b *testing.B) {
	vecs := benchVectors(benchN+1000, 1)
	st, ts := benchStorage(b, true)
	col, err := st.Collection("bench")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < benchN; i += benchBatch {
		pts := make([]engine.PointStruct, benchBatch)
		for j := range pts {
			pts[j] = engine.PointStruct{ID: point.NumID(uint64(i + j)), Vector: engine.Vectors{"": vecs[i+j]}}
		}
		if _, err := col.Upsert(context.Background(), pts, true); err != nil {
			b.Fatal(err)
		}
	}
	if err := col.Flush(); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for col.Info().Status != engine.StatusGreen || col.Info().IndexedVectorsCount < benchN {
		if time.Now().After(deadline) {
			b.Fatalf("collection not indexed: %+v", col.Info())
		}
		time.Sleep(200 * time.Millisecond) // waiting for the background optimizer, not synchronising a test
	}
	queries := vecs[benchN:]
	ef := 64
	inProcess := func(q []float32) error {
		_, err := col.Search(context.Background(), engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10, Params: &engine.SearchParams{HnswEf: &ef}})
		return err
	}
	bodies := make([][]byte, len(queries))
	for i, q := range queries {
		var buf bytes.Buffer
		buf.WriteString(`{"limit":10,"params":{"hnsw_ef":64},"vector":[`)
		for j, x := range q {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
		}
		buf.WriteString(`]}`)
		bodies[i] = buf.Bytes()
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	client := &http.Client{Transport: transport}
	url := ts.URL + "/collections/bench/points/search"
	overHTTP := func(i int) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("search: %d", resp.StatusCode)
		}
		return err
	}
	b.Run("clients=8/impl=inprocess", func(b *testing.B) {
		runConcurrent(b, 8, func(i int) error { return inProcess(queries[i%len(queries)]) })
	})
	b.Run("clients=8/impl=http", func(b *testing.B) {
		runConcurrent(b, 8, func(i int) error { return overHTTP(i % len(bodies)) })
	})
}

// runConcurrent runs b.N calls of fn from the given number of goroutines
// and reports QPS and p50/p99 latency.
func runConcurrent(b *testing.B, clients int, fn func(i int) error) {
	b.ReportAllocs()
	var (
		mu   sync.Mutex
		lats []time.Duration
		next int
		wg   sync.WaitGroup
		errs = make(chan error, clients)
	)
	start := time.Now()
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "qps")
	if len(lats) > 0 {
		b.ReportMetric(float64(lats[len(lats)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkInProcessUpsert is BenchmarkHTTPUpsert without HTTP and JSON:
// the engine's own cost for the same batches, for comparison.
func BenchmarkInProcessUpsert(b *testing.B) {
	vecs := benchVectors(benchN, 1)
	st, _ := benchStorage(b, true)
	col, err := st.Collection("bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		from := (i % (benchN / benchBatch)) * benchBatch
		pts := make([]engine.PointStruct, benchBatch)
		for j := range pts {
			pts[j] = engine.PointStruct{ID: point.NumID(uint64(from + j)), Vector: engine.Vectors{"": vecs[from+j]}, Payload: map[string]any{"n": from + j}}
		}
		if _, err := col.Upsert(context.Background(), pts, true); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, i, start, cpu)
}

// BenchmarkDecodeUpsertBody is the server's decoding of one 1,000 × 128
// upsert body into engine points (what HTTP adds before the engine runs),
// with the one-pass decoder the server uses and with the generic one.
func BenchmarkDecodeUpsertBody(b *testing.B) {
	body := upsertBody(0, benchVectors(benchBatch, 1))
	b.Run("n=1000/dim=128/impl=fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, ok := fastUpsert(body); !ok {
				b.Fatal("fast path refused the body")
			}
		}
	})
	b.Run("n=1000/dim=128/impl=generic", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := genericUpsert(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
