package grpctests

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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
)

// testCA is a CA made by the test, with one server certificate for
// 127.0.0.1 it signed, written as PEM files.
type testCA struct {
	pool              *x509.CertPool
	caFile, cert, key string
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cairn grpc test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{pool: x509.NewCertPool(), caFile: filepath.Join(dir, "ca.pem"),
		cert: filepath.Join(dir, "server.pem"), key: filepath.Join(dir, "server.key")}
	ca.pool.AddCert(caCert)
	writePEM(t, ca.caFile, "CERTIFICATE", der)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err = x509.CreateCertificate(rand.Reader, srv, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, ca.cert, "CERTIFICATE", der)
	writePEM(t, ca.key, "EC PRIVATE KEY", kder)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLS: with `service.enable_tls` the gRPC port speaks TLS with the
// certificate REST serves: the official client with UseTLS and the test
// CA is served, one without TLS or trusting other roots is not.
func TestTLS(t *testing.T) {
	t.Parallel()
	ca := newCA(t)
	c := start(t, opts{tls: &tls.Config{RootCAs: ca.pool}, config: map[string]any{
		"service": map[string]any{"enable_tls": true},
		"tls":     map[string]any{"cert": ca.cert, "key": ca.key, "ca_cert": ca.caFile},
	}})
	c.createCollection("c")
	c.upsert("c", 0, 5)
	if n := c.count("c", nil); n != 5 {
		t.Errorf("count over TLS = %d, want 5", n)
	}
	c.mustREST("GET", "/collections/c", nil) // REST is HTTPS with the same certificate

	// dialConfig turns TLS on for a TLS server: the plaintext client is built here.
	pc, err := qdrant.NewClient(&qdrant.Config{Host: "127.0.0.1", Port: c.grpcPort, APIKey: apiKey, SkipCompatibilityCheck: true, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.ListCollections(ctx(t)); err == nil {
		t.Errorf("a plaintext client was served by the TLS gRPC port")
	}
	other := newCA(t)
	wrong := c.dialConfig(&qdrant.Config{APIKey: apiKey, UseTLS: true, TLSConfig: &tls.Config{RootCAs: other.pool}})
	if _, err := wrong.ListCollections(ctx(t)); err == nil {
		t.Errorf("a client trusting another CA accepted the server's certificate")
	}
}
