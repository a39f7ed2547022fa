package config

import (
	"errors"
	"strings"
	"testing"
)

// TestTLSKeysFromEnvironment: Qdrant's TLS keys in their QDRANT__ and
// CAIRN__ spellings.
func TestTLSKeysFromEnvironment(t *testing.T) {
	c, err := Load(Options{Path: writeFile(t, ""), Environ: []string{
		"QDRANT__SERVICE__ENABLE_TLS=true",
		"QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true",
		"QDRANT__TLS__CERT=/q/cert.pem",
		"CAIRN__TLS__CERT=/c/cert.pem",
		"QDRANT__TLS__KEY=/q/key.pem",
		"QDRANT__TLS__CA_CERT=/q/ca.pem",
		"QDRANT__TLS__CERT_TTL=60",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := TLS{Cert: "/c/cert.pem", Key: "/q/key.pem", CACert: "/q/ca.pem", CertTTL: 60}
	if !c.Service.EnableTLS || !c.Service.VerifyHTTPSClientCertificate || c.TLS != want {
		t.Fatalf("service %+v tls %+v", c.Service, c.TLS)
	}
}

// TestTLSNullTTL: cert_ttl: null, Qdrant's "TTL disabled", reads as 0.
func TestTLSNullTTL(t *testing.T) {
	c, err := Load(Options{Path: writeFile(t, "tls:\n  cert_ttl: null\n")})
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.CertTTL != 0 {
		t.Fatalf("cert_ttl null = %d, want 0", c.TLS.CertTTL)
	}
	if d := Default(); d.TLS.CertTTL != 3600 {
		t.Fatalf("default cert_ttl %d", d.TLS.CertTTL)
	}
}

// TestTLSValidation: an incomplete TLS setup stops start-up naming the key.
func TestTLSValidation(t *testing.T) {
	cases := []struct {
		env []string
		key string
	}{
		{[]string{"QDRANT__SERVICE__ENABLE_TLS=true", "QDRANT__TLS__KEY=k"}, "tls.cert"},
		{[]string{"QDRANT__SERVICE__ENABLE_TLS=true", "QDRANT__TLS__CERT=c"}, "tls.key"},
		{[]string{"QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true", "QDRANT__TLS__CA_CERT=a"}, "service.verify_https_client_certificate"},
		{[]string{"QDRANT__SERVICE__ENABLE_TLS=true", "QDRANT__TLS__CERT=c", "QDRANT__TLS__KEY=k",
			"QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=true"}, "tls.ca_cert"},
		{[]string{"QDRANT__TLS__CERT_TTL=-1"}, "tls.cert_ttl"},
	}
	for _, tc := range cases {
		_, err := Load(Options{Path: writeFile(t, ""), Environ: tc.env})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.key+":") {
			t.Errorf("%v: %v, want ErrInvalid naming %s", tc.env, err, tc.key)
		}
	}
}
