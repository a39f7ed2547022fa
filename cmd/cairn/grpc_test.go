package main

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cairn-db/cairn/config"
)

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serveGRPC runs `cairn serve` with the environment until the test ends
// and returns its REST address and its gRPC address ("" when gRPC is off:
// run logs "grpc listening" before REST's "listening").
func serveGRPC(t *testing.T, env ...string) (httpAddr, grpcAddr string, logs *lineWriter) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	w := &lineWriter{addr: make(chan string, 1), grpc: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")},
			append([]string{"QDRANT__LOGGER__FORMAT=json"}, env...), w)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case httpAddr = <-w.addr:
	case err := <-done:
		done <- err
		t.Fatalf("serve returned early: %v\n%s", err, w.String())
	}
	select {
	case grpcAddr = <-w.grpc: // run logs it before REST's "listening"
	default:
	}
	return httpAddr, grpcAddr, w
}

// TestServeGRPCOffWhenZeroOrNull: with service.grpc_port null (the test
// configuration file) or 0, serve listens for REST only.
func TestServeGRPCOffWhenZeroOrNull(t *testing.T) {
	for _, env := range [][]string{nil, {"CAIRN__SERVICE__GRPC_PORT=0"}} {
		_, g, w := serveGRPC(t, env...)
		if g != "" || strings.Contains(w.String(), "grpc listening") {
			t.Fatalf("%v: gRPC listening on %q:\n%s", env, g, w.String())
		}
	}
}

// TestServeGRPC: with service.grpc_port set, serve answers Qdrant's gRPC
// API there (the official client), over the same storage as REST, until
// shut down.
func TestServeGRPC(t *testing.T) {
	port := freePort(t)
	httpAddr, g, _ := serveGRPC(t, "QDRANT__SERVICE__GRPC_PORT="+strconv.Itoa(port))
	if g != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("grpc address %q, want port %d", g, port)
	}
	c, err := qdrant.NewClient(&qdrant.Config{Host: "127.0.0.1", Port: port, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "g",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 2, Distance: qdrant.Distance_Dot})}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + httpAddr + "/collections/g/exists")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"exists":true`) {
		t.Fatalf("REST does not see the collection gRPC created: %s", body)
	}
}

// TestServeGRPCPortTaken: a gRPC port in use stops start-up with an error
// naming the key.
func TestServeGRPCPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	err = serve(context.Background(), []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
		"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p"),
		"--grpc-port", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "service.grpc_port") || !strings.Contains(err.Error(), "listen for gRPC") {
		t.Fatalf("err = %v", err)
	}
}

// TestTLSServesGRPC: service.enable_tls applies to gRPC as to REST: the
// configured certificate, client certificates required with
// verify_https_client_certificate, plaintext refused.
func TestTLSServesGRPC(t *testing.T) {
	ca := newTestCA(t)
	f, serial := ca.writeServerFiles(t, t.TempDir())
	port := freePort(t)
	_, g, _ := serveGRPC(t, "QDRANT__SERVICE__ENABLE_TLS=true", "QDRANT__TLS__CERT="+f.cert, "QDRANT__TLS__KEY="+f.key,
		"QDRANT__TLS__CA_CERT="+f.ca, "QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true", "QDRANT__SERVICE__GRPC_PORT="+strconv.Itoa(port))
	if g == "" {
		t.Fatal("no gRPC listener")
	}
	health := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(g, grpc.WithTransportCredentials(creds))
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = qdrant.NewQdrantClient(conn).HealthCheck(context.Background(), &qdrant.HealthCheckRequest{})
		return err
	}
	if err := health(insecure.NewCredentials()); err == nil {
		t.Fatal("plaintext gRPC answered on the TLS port")
	}
	if err := health(credentials.NewTLS(&tls.Config{RootCAs: ca.pool()})); err == nil {
		t.Fatal("answered without a client certificate")
	}
	if err := health(credentials.NewTLS(&tls.Config{RootCAs: ca.pool(), Certificates: []tls.Certificate{newTestCA(t).clientCert(t)}})); err == nil {
		t.Fatal("answered a client certificate of another authority")
	}
	var seen atomic.Int64
	cfg := &tls.Config{RootCAs: ca.pool(), Certificates: []tls.Certificate{ca.clientCert(t)},
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen.Store(cs.PeerCertificates[0].SerialNumber.Int64())
			return nil
		}}
	if err := health(credentials.NewTLS(cfg)); err != nil {
		t.Fatalf("with a client certificate of tls.ca_cert: %v", err)
	}
	if seen.Load() != serial {
		t.Fatalf("server certificate serial %d, want %d", seen.Load(), serial)
	}
}

// grpcServerSerial is the serial of the certificate the gRPC server at
// addr presents (trusting ca), read on a new connection by a health check.
func grpcServerSerial(addr string, ca *testCA) (int64, error) {
	var seen atomic.Int64
	cfg := &tls.Config{RootCAs: ca.pool(),
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen.Store(cs.PeerCertificates[0].SerialNumber.Int64())
			return nil
		}}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_, err = qdrant.NewQdrantClient(conn).HealthCheck(context.Background(), &qdrant.HealthCheckRequest{})
	return seen.Load(), err
}

// TestTLSGRPCReplacedCertificatePickedUp: gRPC serves REST's reloading
// certificate: a replaced one once tls.cert_ttl has passed, not before.
func TestTLSGRPCReplacedCertificatePickedUp(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	f, first := ca.writeServerFiles(t, dir)
	cfg := config.Default()
	cfg.Service.Host, cfg.Service.HTTPPort, cfg.Service.EnableTLS = "127.0.0.1", 0, true
	cfg.Service.GRPCPort = freePort(t)
	cfg.TLS = config.TLS{Cert: f.cert, Key: f.key, CertTTL: 60}
	w := &lineWriter{addr: make(chan string, 1), grpc: make(chan string, 1)}
	log := slog.New(slog.NewJSONHandler(w, nil))
	tlsCfg, r, err := newTLSConfig(&cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	r.now = clock.now
	r.loaded = clock.now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, &cfg, log, nil, tlsCfg) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var addr string
	select {
	case addr = <-w.grpc:
	case err := <-done:
		done <- err
		t.Fatalf("run returned early: %v", err)
	}
	_, second := ca.writeServerFiles(t, dir)
	clock.add(59 * time.Second)
	if got, err := grpcServerSerial(addr, ca); err != nil || got != first {
		t.Fatalf("before the ttl: serial %d, %v; want the first certificate %d", got, err, first)
	}
	clock.add(time.Second)
	if got, err := grpcServerSerial(addr, ca); err != nil || got != second {
		t.Fatalf("after the ttl: serial %d, %v; want the replaced certificate %d", got, err, second)
	}
}
