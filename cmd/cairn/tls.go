package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cairn-db/cairn/config"
)

// newTLSConfig returns the TLS configuration of the REST (HTTPS) and gRPC
// services when service.enable_tls is set, else nil: the certificate and
// key of the tls section, re-read as tls.cert_ttl says (certReloader), and with
// service.verify_https_client_certificate a client certificate signed by
// tls.ca_cert required on every connection. A file that cannot be read or
// parsed stops start-up with an error naming its key.
func newTLSConfig(cfg *config.Config, log *slog.Logger) (*tls.Config, *certReloader, error) {
	if !cfg.Service.EnableTLS {
		return nil, nil, nil
	}
	r := &certReloader{certFile: cfg.TLS.Cert, keyFile: cfg.TLS.Key,
		ttl: time.Duration(cfg.TLS.CertTTL) * time.Second, now: time.Now, log: log}
	if err := r.load(r.now()); err != nil {
		return nil, nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
	if cfg.Service.VerifyHTTPSClientCertificate {
		pool, err := readCAFile(cfg.TLS.CACert, x509.NewCertPool())
		if err != nil {
			return nil, nil, err
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, r, nil
}

// recoverRootCAs returns the authorities an https:// snapshot recover
// location may be signed by: nil (the system roots) without tls.ca_cert,
// else the system roots plus tls.ca_cert.
func recoverRootCAs(cfg *config.Config) (*x509.CertPool, error) {
	if cfg.TLS.CACert == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	return readCAFile(cfg.TLS.CACert, pool)
}

// readCAFile adds the PEM certificates of tls.ca_cert to pool.
func readCAFile(path string, pool *x509.CertPool) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls.ca_cert: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls.ca_cert: %s holds no PEM certificate", path)
	}
	return pool, nil
}

// certReloader serves tls.cert and tls.key. As Qdrant's rotating
// certificate resolver does, it uses a loaded pair for tls.cert_ttl and
// then reads the files again at the next handshake, so a rotated
// certificate is served without a restart; a pair that fails to load is
// logged and the previous one kept (the load is retried at the next
// handshake). A ttl of 0 never reads the files again.
type certReloader struct {
	certFile, keyFile string
	ttl               time.Duration
	now               func() time.Time
	log               *slog.Logger

	mu     sync.Mutex
	cert   *tls.Certificate
	loaded time.Time // when cert was loaded
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.ttl > 0 && now.Sub(r.loaded) >= r.ttl {
		if err := r.loadLocked(now); err != nil {
			r.log.Error("cannot reload the TLS certificate, keeping the current one", "err", err)
		}
	}
	return r.cert, nil
}

// load reads the certificate and key files.
func (r *certReloader) load(now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked(now)
}

func (r *certReloader) loadLocked(now time.Time) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls.cert %s, tls.key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.loaded = &cert, now
	return nil
}
