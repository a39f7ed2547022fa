package main

import (
	"context"
	"crypto/x509"
	"net"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
)

// TestServeChecksSnapshotStore starts cairn with s3 snapshots against a
// real S3 server: a missing bucket, refused credentials or an unreachable
// endpoint stop start-up with an error naming the setting; a good
// configuration passes the check.
func TestServeChecksSnapshotStore(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	const p = "QDRANT__STORAGE__SNAPSHOTS_CONFIG__"
	env := func(bucket, endpoint, secret string) []string {
		return []string{p + "SNAPSHOTS_STORAGE=s3", p + "S3_CONFIG__BUCKET=" + bucket, p + "S3_CONFIG__ENDPOINT_URL=" + endpoint,
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + secret}
	}
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"missing bucket", env("nope", srv.Endpoint, s3test.SecretKey), `storage.snapshots_config.s3_config.bucket: bucket "nope" does not exist`},
		{"wrong secret", env(bucket, srv.Endpoint, "wrong-secret"), "storage.snapshots_config.s3_config.access_key/secret_key: the server refused the credentials"},
		{"unreachable", env(bucket, closed, s3test.SecretKey), "storage.snapshots_config.s3_config.endpoint_url: cannot reach " + closed},
		{"bad endpoint", env(bucket, "ftp://h", s3test.SecretKey), "storage.snapshots_config.s3_config.endpoint_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serveUntilListening(t, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve: %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "wrong-secret") {
				t.Fatalf("the secret is in the message: %v", err)
			}
		})
	}
	logs, err := serveUntilListening(t, env(bucket, srv.Endpoint, s3test.SecretKey))
	if err != nil || !strings.Contains(logs, `"msg":"snapshot storage","store":"s3://`+bucket+`"`) {
		t.Fatalf("serve with a good s3 configuration: %v\n%s", err, logs)
	}
	if strings.Contains(logs, s3test.SecretKey) {
		t.Fatalf("the logs hold the secret key:\n%s", logs)
	}
	cfg, err := config.Load(config.Options{Path: emptyConfig(t), Environ: env(bucket, srv.Endpoint, s3test.SecretKey)})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	st, err := newSnapshotStore(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	if st.(*objstore.S3).Config().RootCAs != pool {
		t.Fatal("the s3 store does not trust tls.ca_cert's pool")
	}
	if err := checkSnapshotStore(context.Background(), st, quietLog()); err != nil {
		t.Fatal(err)
	}
}

// serveUntilListening runs serve with env (and JSON logs) until it fails
// or listens, then stops it; it returns the logs and serve's error.
func serveUntilListening(t *testing.T, env []string) (string, error) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--storage-path", dir + "/storage",
			"--snapshots-path", dir + "/snapshots", "--host", "127.0.0.1", "--http-port", "0"},
			append(env, "QDRANT__LOGGER__FORMAT=json"), w)
	}()
	select {
	case err := <-done:
		return w.String(), err
	case <-w.addr:
		cancel()
		err := <-done
		return w.String(), err
	}
}
