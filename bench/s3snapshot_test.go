package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainSnapshotS3(t *testing.T) {
	var got S3Options
	h := Hooks{S3Snapshot: func(_ context.Context, o S3Options) (*S3Result, error) {
		got = o
		return &S3Result{Endpoint: "http://127.0.0.1:1", Server: "fake", Points: 1000, Dim: 8, ArchiveBytes: 4 << 20,
			PartSize: 16 << 20, Threads: 4,
			Rounds:   []S3Round{{SnapshotS: 2, UploadS: 1.9, Ratio: 2 / 1.9, SHA256S: 0.4, BaseMaxMS: 5, StallMaxMS: 7, Writes: 10, BytesPut: 4 << 20, ObjectsPut: 3, Load: "1.00 1.00 1.00"}},
			Series:   []S3SeriesPoint{{Index: 0, Points: 1000, Seconds: 2, BytesPut: 4 << 20, ShareBytes: 1, ShareTime: 1}, {Index: 1, Points: 1010, Seconds: 0.1, BytesPut: 1 << 20, ShareBytes: 0.25, ShareTime: 0.05}},
			Restores: []S3Restore{{RestoreS: 1.2, DownloadS: 1, Ratio: 1.2, DownloadVerifyS: 1.1, RatioVerify: 1.2 / 1.1, FirstQueryMS: 3}}, RestoreBytes: 4 << 20}, nil
	}}
	out := filepath.Join(t.TempDir(), "out")
	stdout, _, err := runMain(t, h, "snapshot", "-s3", "-versitygw", "/bin/gw", "-s3-storage", "/st", "-collection", "c",
		"-rounds", "3", "-s3-restores", "2", "-s3-series", "4", "-s3-churn", "0.02", "-s3-part-size", "8388608", "-s3-threads", "2", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	want := S3Options{Storage: "/st", Collection: "c", VersityGW: "/bin/gw", Rounds: 3, Restores: 2, Series: 4, Churn: 0.02, PartSize: 8 << 20, Threads: 2}
	got.Log, got.Endpoint, got.Region, got.Bucket, got.AccessKey, got.SecretKey = nil, "", "", "", "", ""
	if got != want {
		t.Fatalf("options %+v, want %+v", got, want)
	}
	for _, s := range []string{"| 1 | put, snapshot | 2.00 | 1.90 | 1.05 | 0.40 |", "| 1 | 1010 | 0 | 0.100 | 1.05 | 0 | 25.00% | 5.00% |", "| 1 | 1.20 | 1.00 | 1.20 | 1.10 | 1.09 | 3.00 |"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	for _, f := range []string{"snapshot-s3.json", "snapshot-s3-series-bytes.png", "snapshot-s3-series-time.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestMainSnapshotS3Usage(t *testing.T) {
	ok := Hooks{S3Snapshot: func(context.Context, S3Options) (*S3Result, error) { return &S3Result{}, nil }}
	for _, c := range []struct {
		h    Hooks
		args []string
		want error
	}{
		{Hooks{}, []string{"-s3", "-versitygw", "gw", "-s3-storage", "st"}, ErrNoS3Runner},
		{ok, []string{"-s3", "-versitygw", "gw"}, ErrUsage},
		{ok, []string{"-s3", "-s3-storage", "st", "-s3-bucket", "b"}, ErrUsage},
		{ok, []string{"-s3", "-s3-storage", "st", "-versitygw", "gw", "-s3-churn", "0"}, ErrUsage},
		{ok, []string{"-s3", "-s3-storage", "st", "-versitygw", "gw", "-rounds", "0"}, ErrUsage},
	} {
		t.Setenv("CAIRN_BENCH_S3_ENDPOINT", "")
		_, _, err := runMain(t, c.h, append([]string{"snapshot"}, c.args...)...)
		if !errors.Is(err, c.want) {
			t.Errorf("%v: %v, want %v", c.args, err, c.want)
		}
	}
}
