package objstore

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// S3ConfigKey is the configuration section of an S3 store; errors about a
// setting name the key under it.
const S3ConfigKey = "storage.snapshots_config.s3_config"

// S3Timeouts bound each phase of every request; a zero field means
// DefaultS3Timeouts'.
type S3Timeouts struct {
	// Connect bounds the TCP connection.
	Connect time.Duration
	// TLSHandshake bounds the TLS handshake of an https endpoint.
	TLSHandshake time.Duration
	// ResponseHeader bounds the wait for the answer once the request is
	// sent.
	ResponseHeader time.Duration
	// Idle bounds a request body the server stops taking, and a read of a
	// response body that receives nothing; progress resets it.
	Idle time.Duration
}

// DefaultS3Timeouts are the timeouts of an S3 store.
var DefaultS3Timeouts = S3Timeouts{Connect: 10 * time.Second, TLSHandshake: 10 * time.Second,
	ResponseHeader: 60 * time.Second, Idle: 60 * time.Second}

func (t S3Timeouts) withDefaults() S3Timeouts {
	d := DefaultS3Timeouts
	for _, p := range []struct{ v, def *time.Duration }{{&t.Connect, &d.Connect}, {&t.TLSHandshake, &d.TLSHandshake},
		{&t.ResponseHeader, &d.ResponseHeader}, {&t.Idle, &d.Idle}} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return t
}

// Defaults of S3Config's tuning fields.
const (
	// DefaultS3Attempts is how many times a request is tried.
	DefaultS3Attempts = 5
	// DefaultS3PartSize is the part size of multipart uploads (S3's
	// minimum is 5 MiB); an object up to it is sent in one request.
	DefaultS3PartSize = 16 << 20
	// DefaultS3Threads is how many parts of an upload are sent at once.
	DefaultS3Threads = 4
)

// S3Config says where an S3 store is and how it is reached.
type S3Config struct {
	// Endpoint is endpoint_url, http:// or https:// and a host (and port);
	// empty means AWS (s3.{Region}.amazonaws.com). A set endpoint is
	// addressed path-style (http://host/bucket/key), as S3-compatible
	// servers expect.
	Endpoint string
	// Region is the region requests are signed for; empty means us-east-1.
	Region string
	// Bucket is the bucket; it must exist.
	Bucket string
	// Prefix, when set, is put with a slash before every key.
	Prefix string
	// AccessKey, SecretKey and SessionToken are the credentials; all
	// empty means anonymous requests.
	AccessKey, SecretKey, SessionToken string
	// RootCAs, when set, is the whole set of authorities an https
	// endpoint may be signed by; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeouts bound each request's phases.
	Timeouts S3Timeouts
	// Attempts is how many times a request is tried on a network error,
	// a 5xx or a throttling answer (503 SlowDown), with exponential
	// back-off (0.2 s doubling, at most 1 s, jittered); 0 means
	// DefaultS3Attempts.
	Attempts int
	// PartSize and Threads shape multipart uploads; 0 means the defaults.
	// An upload holds up to (Threads+1) × PartSize bytes in memory.
	PartSize int64
	Threads  int
	// Transport, when set, replaces the HTTP transport built from RootCAs
	// and the connect and TLS timeouts (tests); the idle and header
	// timeouts still apply.
	Transport http.RoundTripper
}

// endpointHost parses endpoint_url into the host minio-go wants.
func endpointHost(endpoint, region string) (string, bool, error) {
	if endpoint == "" {
		if region == "" {
			return "", false, fmt.Errorf("%s: set endpoint_url or region", S3ConfigKey)
		}
		return "s3." + region + ".amazonaws.com", true, nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return "", false, fmt.Errorf("%s.endpoint_url: %w", S3ConfigKey, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, fmt.Errorf("%s.endpoint_url: %q is not an http:// or https:// URL", S3ConfigKey, u.Redacted())
	case u.Host == "" || u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return "", false, fmt.Errorf("%s.endpoint_url: %q must be a scheme and a host (and port) only", S3ConfigKey, u.Redacted())
	}
	return u.Host, u.Scheme == "https", nil
}

// transport is the HTTP transport of the store's requests.
func (c *S3Config) transport() http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	dialer := &net.Dialer{Timeout: c.Timeouts.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   c.Timeouts.TLSHandshake,
		ResponseHeaderTimeout: c.Timeouts.ResponseHeader,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   2 * c.Threads,
		IdleConnTimeout:       90 * time.Second,
		// S3 object bodies must reach the caller as stored: no
		// transparent gzip.
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.RootCAs},
	}
	return tr
}
