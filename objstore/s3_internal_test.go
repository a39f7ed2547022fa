package objstore

import "testing"

// TestS3PartSize checks that a known size never needs more parts than S3
// allows.
func TestS3PartSize(t *testing.T) {
	s, err := NewS3(S3Config{Bucket: "bkt", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{-1, 0, 1, DefaultS3PartSize * maxParts, DefaultS3PartSize*maxParts + 1, 5 << 40} {
		p := s.partSize(size)
		if p < DefaultS3PartSize || p%(1<<20) != 0 || size > p*maxParts {
			t.Errorf("partSize(%d) = %d", size, p)
		}
	}
}
