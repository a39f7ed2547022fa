package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-db/cairn/config"
)

// serveTLS runs `cairn serve` with the TLS files and the extra environment
// until the test ends, and returns the address it listens on.
func serveTLS(t *testing.T, f tlsFiles, env ...string) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	env = append([]string{"QDRANT__LOGGER__FORMAT=json", "QDRANT__SERVICE__ENABLE_TLS=true",
		"QDRANT__TLS__CERT=" + f.cert, "QDRANT__TLS__KEY=" + f.key, "QDRANT__TLS__CA_CERT=" + f.ca}, env...)
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}, env, w)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-w.addr:
		return addr
	case err := <-done:
		done <- err
		t.Fatalf("serve returned early: %v\n%s", err, w.String())
	}
	return ""
}

// httpsGet fetches https://addr/healthz trusting ca, with the client
// certificates given, on a new connection; it returns the status and the
// serial of the server's certificate.
func httpsGet(addr string, ca *testCA, certs ...tls.Certificate) (int, int64, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool(), Certificates: certs}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: time.Minute}).Get("https://" + addr + "/healthz")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.TLS.PeerCertificates[0].SerialNumber.Int64(), nil
}

// TestTLSServesHTTPS: with service.enable_tls the REST API answers over
// HTTPS with the configured certificate, and plain HTTP is refused.
func TestTLSServesHTTPS(t *testing.T) {
	ca := newTestCA(t)
	f, serial := ca.writeServerFiles(t, t.TempDir())
	addr := serveTLS(t, f)
	code, got, err := httpsGet(addr, ca)
	if err != nil || code != 200 || got != serial {
		t.Fatalf("https healthz: %d, serial %d (want %d), %v", code, got, serial, err)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the HTTPS port")
		}
	}
}

// TestTLSClientCertificateRequired: with verify_https_client_certificate
// a client without a certificate, or with one from another authority, is
// refused; one signed by tls.ca_cert is served.
func TestTLSClientCertificateRequired(t *testing.T) {
	ca := newTestCA(t)
	f, _ := ca.writeServerFiles(t, t.TempDir())
	addr := serveTLS(t, f, "QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true")
	if code, _, err := httpsGet(addr, ca); err == nil {
		t.Fatalf("no client certificate: answered %d", code)
	}
	if code, _, err := httpsGet(addr, ca, newTestCA(t).clientCert(t)); err == nil {
		t.Fatalf("client certificate of another CA: answered %d", code)
	}
	if code, _, err := httpsGet(addr, ca, ca.clientCert(t)); err != nil || code != 200 {
		t.Fatalf("client certificate of tls.ca_cert: %d, %v", code, err)
	}
}

// fakeClock is a settable now for the certificate reloader.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestTLSReplacedCertificatePickedUp: a certificate replaced on disk is
// served, without a restart, once tls.cert_ttl has passed since it was
// loaded (and not before); a broken replacement keeps the current one.
func TestTLSReplacedCertificatePickedUp(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	f, first := ca.writeServerFiles(t, dir)
	cfg := config.Default()
	cfg.Service.Host, cfg.Service.HTTPPort, cfg.Service.EnableTLS = "127.0.0.1", 0, true
	cfg.Service.GRPCPort = 0 // off: the default 6334 is one fixed port, which tests must not take
	cfg.TLS = config.TLS{Cert: f.cert, Key: f.key, CertTTL: 60}
	w := &lineWriter{addr: make(chan string, 1)}
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
	go func() { done <- run(ctx, &cfg, log, nil, tlsCfg) }() // the server's own serving path
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	addr := <-w.addr

	_, second := ca.writeServerFiles(t, dir)
	clock.add(59 * time.Second)
	if _, got, err := httpsGet(addr, ca); err != nil || got != first {
		t.Fatalf("before the ttl: serial %d, %v; want the first certificate %d", got, err, first)
	}
	clock.add(time.Second)
	if _, got, err := httpsGet(addr, ca); err != nil || got != second {
		t.Fatalf("after the ttl: serial %d, %v; want the replaced certificate %d", got, err, second)
	}
	replaceFile(t, f.cert, []byte("not a certificate"))
	clock.add(time.Minute)
	if _, got, err := httpsGet(addr, ca); err != nil || got != second {
		t.Fatalf("after a broken replacement: serial %d, %v; want the current certificate %d", got, err, second)
	}
}

// TestTLSNoTTLNeverReloads: cert_ttl 0 (Qdrant's null) keeps the loaded
// certificate.
func TestTLSNoTTLNeverReloads(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	f, _ := ca.writeServerFiles(t, dir)
	r := &certReloader{certFile: f.cert, keyFile: f.key, now: time.Now, log: slog.New(slog.DiscardHandler)}
	if err := r.load(time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	before, _ := r.GetCertificate(nil)
	ca.writeServerFiles(t, dir)
	if after, _ := r.GetCertificate(nil); after != before {
		t.Fatal("cert_ttl 0 reloaded the certificate")
	}
}

// TestTLSBadFilesStopStartUp: unreadable TLS files stop start-up naming
// the key.
func TestTLSBadFilesStopStartUp(t *testing.T) {
	dir := t.TempDir()
	bogus := filepath.Join(dir, "bogus.pem")
	if err := os.WriteFile(bogus, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env     []string
		mention string
	}{
		{[]string{"QDRANT__TLS__CERT=" + bogus, "QDRANT__TLS__KEY=" + bogus}, "tls.cert"},
		{[]string{"QDRANT__TLS__CERT=" + bogus, "QDRANT__TLS__KEY=" + bogus, "QDRANT__TLS__CA_CERT=" + bogus,
			"QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true"}, "tls."},
	} {
		env := append([]string{"QDRANT__SERVICE__ENABLE_TLS=true"}, tc.env...)
		err := serve(context.Background(), []string{"--config-path", emptyConfig(t), "--storage-path", filepath.Join(dir, "s")}, env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.mention)
		}
	}
	// A CA file without a certificate is refused too, for recovers.
	cfg := config.Default()
	cfg.TLS.CACert = bogus
	if _, err := recoverRootCAs(&cfg); err == nil || !strings.Contains(err.Error(), "tls.ca_cert") {
		t.Errorf("recoverRootCAs with a bogus file: %v", err)
	}
	var noFile *os.PathError
	cfg.TLS.CACert = filepath.Join(dir, "missing.pem")
	if _, err := recoverRootCAs(&cfg); !errors.As(err, &noFile) {
		t.Errorf("recoverRootCAs with a missing file: %v", err)
	}
}

// TestRecoverHTTPSTrustsCACert: a recover from an https:// location whose
// certificate is signed by tls.ca_cert works only when tls.ca_cert is set
// (the system roots do not know the test CA).
func TestRecoverHTTPSTrustsCACert(t *testing.T) {
	dir := t.TempDir()
	col, _ := makeSnapshots(t, dir)
	ca := newTestCA(t)
	f, _ := ca.writeServerFiles(t, t.TempDir())
	pair, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, col)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	srv.StartTLS()
	defer srv.Close()
	location := srv.URL + "/c.snapshot"

	cfg := config.Default()
	cfg.Storage.StoragePath = filepath.Join(dir, "s")
	cfg.Storage.SnapshotsPath = filepath.Join(dir, "p")
	cfg.Storage.TempPath = filepath.Join(dir, "s", "tmp")
	if err := os.MkdirAll(cfg.Storage.TempPath, 0o755); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	st, err := openStorage(&cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	m := newSnapshotManager(&cfg, st.eng, log)
	if m.RecoverRootCAs, err = recoverRootCAs(&cfg); err != nil || m.RecoverRootCAs != nil {
		t.Fatalf("no tls.ca_cert: pool %v, %v; want the system roots (nil)", m.RecoverRootCAs, err)
	}
	if err := m.RecoverFromLocation(t.Context(), "without", location, "", "", ""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("recover without tls.ca_cert: %v, want a certificate error", err)
	}
	cfg.TLS.CACert = f.ca
	if m.RecoverRootCAs, err = recoverRootCAs(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := m.RecoverFromLocation(t.Context(), "with", location, "", "", ""); err != nil {
		t.Fatalf("recover with tls.ca_cert: %v", err)
	}
	if _, err := st.eng.Collection("with"); err != nil {
		t.Fatalf("recovered collection: %v", err)
	}
}
