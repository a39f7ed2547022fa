package config

import (
	"errors"
	"strings"
	"testing"
)

// TestSnapshotsConfig reads storage.snapshots_config from a file and from
// both environment spellings, and fills s3 credentials and region from
// the standard AWS variables only where unset.
func TestSnapshotsConfig(t *testing.T) {
	const file = `storage:
  snapshots_config:
    snapshots_storage: s3
    s3_config:
      bucket: backups
      region: eu-west-3
      endpoint_url: http://127.0.0.1:9000
`
	c, err := Load(Options{Path: writeFile(t, file), Environ: []string{
		"QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__ACCESS_KEY=qa",
		"QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__SECRET_KEY=qs",
		"CAIRN__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__SECRET_KEY=cs",
		"CAIRN__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__PREFIX=node1",
		"CAIRN__STORAGE__SNAPSHOTS_CONFIG__COMPRESSION=zstd",
		"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk", "AWS_REGION=us-west-1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	sc := c.Storage.SnapshotsConfig
	want := SnapshotsConfig{SnapshotsStorage: "s3", Compression: "zstd", S3Config: S3Config{Bucket: "backups", Region: "eu-west-3",
		AccessKey: "qa", SecretKey: "cs", EndpointURL: "http://127.0.0.1:9000", Prefix: "node1"}}
	if sc != want {
		t.Fatalf("got %+v\nwant %+v", sc, want)
	}
	c, err = Load(Options{Path: writeFile(t, ""), Environ: []string{
		"QDRANT__STORAGE__SNAPSHOTS_CONFIG__SNAPSHOTS_STORAGE=s3",
		"QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__BUCKET=b2",
		"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk", "AWS_SESSION_TOKEN=tok", "AWS_REGION=us-west-1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	s3 := c.Storage.SnapshotsConfig.S3Config
	if s3.AccessKey != "ak" || s3.SecretKey != "sk" || s3.SessionToken != "tok" || s3.Region != "us-west-1" || s3.Bucket != "b2" {
		t.Fatalf("from the AWS variables: %+v", s3)
	}
	c, err = Load(Options{Path: writeFile(t, ""), Environ: []string{"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk"}})
	if err != nil || c.Storage.SnapshotsConfig.S3Config.AccessKey != "" {
		t.Fatalf("local snapshots took the AWS variables: %+v, %v", c.Storage.SnapshotsConfig, err)
	}
	for _, v := range c.Summary() {
		if s, ok := v.(string); ok && (s == "sk" || s == "cs") {
			t.Fatalf("summary leaks the secret key")
		}
	}
}

func TestSnapshotsConfigErrors(t *testing.T) {
	const p = "CAIRN__STORAGE__SNAPSHOTS_CONFIG__"
	tests := []struct {
		env     []string
		mention string
	}{
		{[]string{p + "SNAPSHOTS_STORAGE=gcs"}, `storage.snapshots_config.snapshots_storage: "gcs" is not local or s3`},
		{[]string{p + "COMPRESSION=lz4"}, `storage.snapshots_config.compression: "lz4" is not none or zstd`},
		{[]string{p + "SNAPSHOTS_STORAGE=s3", p + "S3_CONFIG__ENDPOINT_URL=http://h"}, "storage.snapshots_config.s3_config.bucket: must be set"},
		{[]string{p + "SNAPSHOTS_STORAGE=s3", p + "S3_CONFIG__BUCKET=b"}, "storage.snapshots_config.s3_config.endpoint_url: must be set"},
		{[]string{p + "SNAPSHOTS_STORAGE=s3", p + "S3_CONFIG__BUCKET=b", p + "S3_CONFIG__REGION=r", p + "S3_CONFIG__ACCESS_KEY=a"},
			"storage.snapshots_config.s3_config.secret_key: access_key and secret_key must be set together"},
		{[]string{p + "S3_CONFIG__SESSION_TOKEN=t"}, "S3_CONFIG__SESSION_TOKEN"},
		{[]string{p + "S3_CONFIG__-=t"}, "S3_CONFIG__-"},
	}
	for _, tt := range tests {
		_, err := Load(Options{Path: writeFile(t, ""), Environ: tt.env})
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%v: err = %v, want it to name %q", tt.env, err, tt.mention)
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%v: err = %v", tt.env, err)
		}
	}
}
