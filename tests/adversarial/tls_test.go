package adversarial

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a self-signed CA made by the test, with the files of one
// server certificate (127.0.0.1) and one client certificate it signed.
type testCA struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	pool   *x509.CertPool
	caFile string
	dir    string
	serial int64
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cairn adversarial test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{cert: cert, key: key, pool: x509.NewCertPool(), dir: t.TempDir(), serial: 1}
	ca.pool.AddCert(cert)
	ca.caFile = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.caFile, "CERTIFICATE", der)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue signs a certificate for 127.0.0.1 (server) or a client, writes
// name.pem and name.key, and returns it as a tls.Certificate.
func (ca *testCA) issue(t *testing.T, name string, server bool) (tls.Certificate, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+".key")
	writePEM(t, certFile+".tmp", "CERTIFICATE", der)
	writePEM(t, keyFile+".tmp", "EC PRIVATE KEY", kder)
	for _, f := range []string{keyFile, certFile} {
		if err := os.Rename(f+".tmp", f); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return pair, certFile, keyFile
}

// tlsConfig is Qdrant's TLS configuration for the server certificate.
func tlsConfig(ca *testCA, cert, key string, verifyClients bool) map[string]any {
	return map[string]any{
		"service": map[string]any{"enable_tls": true, "verify_https_client_certificate": verifyClients},
		"tls":     map[string]any{"cert": cert, "key": key, "ca_cert": ca.caFile, "cert_ttl": 1},
	}
}

// TestTLS: REST over HTTPS as Qdrant configures it (`service.enable_tls`,
// `tls.*`, `service.verify_https_client_certificate`), with a CA made by
// the test.
func TestTLS(t *testing.T) {
	ca := newCA(t)
	_, cert, key := ca.issue(t, "server", true)
	client, _, _ := ca.issue(t, "client", false)

	t.Run("https served, plain http refused", func(t *testing.T) {
		c := start(t, opts{config: tlsConfig(ca, cert, key, false), tls: &tls.Config{RootCAs: ca.pool}})
		c.must(200, http.MethodGet, "/collections", nil)
		plain := &http.Client{Timeout: requestBound}
		if res, err := plain.Get(strings.Replace(c.url, "https://", "http://", 1) + "/collections"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				t.Errorf("plain HTTP answered 200 on a TLS port")
			}
		}
		c.stop()
	})

	t.Run("client certificate required", func(t *testing.T) {
		c := start(t, opts{config: tlsConfig(ca, cert, key, true), tls: &tls.Config{RootCAs: ca.pool}})
		if res, err := c.try(req{method: http.MethodGet, path: "/collections"}); err == nil && res.Status == 200 {
			t.Errorf("a client without a certificate was served: %s", res)
		}
		other, _, _ := newCA(t).issue(t, "stranger", false)
		c.client = &http.Client{Timeout: requestBound, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{other}}}}
		if res, err := c.try(req{method: http.MethodGet, path: "/collections"}); err == nil && res.Status == 200 {
			t.Errorf("a client certificate from another CA was accepted: %s", res)
		}
		c.client = &http.Client{Timeout: requestBound, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{client}}}}
		c.must(200, http.MethodGet, "/collections", nil)
		c.stop()
	})

	t.Run("environment spellings", func(t *testing.T) {
		c := start(t, opts{tls: &tls.Config{RootCAs: ca.pool}, env: []string{
			"QDRANT__SERVICE__ENABLE_TLS=true", "QDRANT__TLS__CERT=" + cert, "QDRANT__TLS__KEY=" + key,
			"QDRANT__TLS__CA_CERT=" + ca.caFile, "CAIRN__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=false",
		}})
		c.must(200, http.MethodGet, "/collections", nil)
		c.stop()
	})

	t.Run("replaced certificate picked up", func(t *testing.T) {
		c := start(t, opts{config: tlsConfig(ca, cert, key, false), tls: &tls.Config{RootCAs: ca.pool}})
		first := peerSerial(t, c, ca.pool)
		ca.issue(t, "server", true) // replaces server.pem and server.key
		waitFor(t, "the replaced certificate served", 15*time.Second, func() bool { return peerSerial(t, c, ca.pool) != first })
		c.stop()
	})

	t.Run("recover from https trusts tls.ca_cert", func(t *testing.T) {
		src := start(t, opts{})
		src.createCollection("c", 4, nil)
		src.upsert("c", 4, 0, 20)
		archive := src.snapshotOf("c")
		src.stop()
		loc := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(archive) }))
		locCert, _, _ := ca.issue(t, "location", true)
		loc.TLS = &tls.Config{Certificates: []tls.Certificate{locCert}}
		loc.StartTLS()
		defer loc.Close()
		// Without tls.ca_cert the location's certificate is not trusted.
		plain := start(t, opts{})
		if res := plain.do(http.MethodPut, "/collections/c/snapshots/recover", map[string]any{"location": loc.URL + "/c.snapshot"}); res.Status == 200 {
			t.Errorf("recover trusted an https location signed by an unknown CA: %s", res)
		}
		plain.stop()
		c := start(t, opts{config: tlsConfig(ca, cert, key, false), tls: &tls.Config{RootCAs: ca.pool}})
		res := c.do(http.MethodPut, "/collections/c/snapshots/recover", map[string]any{"location": loc.URL + "/c.snapshot"})
		if res.Status != 200 {
			t.Fatalf("recover from an https location signed by tls.ca_cert: %s", res)
		}
		if n := c.count("c"); n != 20 {
			t.Errorf("recovered %d points, want 20", n)
		}
		c.stop()
	})
}

// peerSerial opens a new connection and returns the server certificate's
// serial number.
func peerSerial(t *testing.T, c *cairn, pool *x509.CertPool) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: requestBound}, "tcp", strings.TrimPrefix(c.url, "https://"), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
