package objstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Errors an S3 store's failures wrap, so that callers can tell them apart.
var (
	// ErrNoBucket reports that the configured bucket does not exist.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrDenied reports that the server refused the credentials or the
	// request.
	ErrDenied = errors.New("the server refused the credentials")
	// ErrUnavailable reports a server that could not be reached or kept
	// failing after the retries.
	ErrUnavailable = errors.New("object store unavailable")
	// ErrStalled reports a request cancelled because its body made no
	// progress for the idle timeout.
	ErrStalled = errors.New("stalled")
)

// S3 is a Store in an S3 bucket (AWS or any S3-compatible server), on
// minio-go. Objects up to the part size are sent in one request, bigger
// ones and those of unknown size in a multipart upload whose parts are
// sent in parallel; a failed upload is aborted, and if the abort itself
// fails (server down) it is retried before the next Put and by Check.
type S3 struct {
	cfg    S3Config
	client *minio.Client
	core   minio.Core
	name   string

	mu      sync.Mutex
	putting map[string]*keyMutex // a lock per key being put
	pending map[string]bool      // keys whose failed upload is not aborted yet
}

// NewS3 checks cfg and returns the store; it sends nothing (see Check).
func NewS3(cfg S3Config) (*S3, error) {
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("%s.bucket: %q: %w", S3ConfigKey, cfg.Bucket, err)
	}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if cfg.Prefix != "" {
		if err := ValidKey(cfg.Prefix); err != nil {
			return nil, fmt.Errorf("%s.prefix: %w", S3ConfigKey, err)
		}
	}
	host, secure, err := endpointHost(cfg.Endpoint, cfg.Region)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultS3Attempts
	}
	if cfg.PartSize <= 0 {
		cfg.PartSize = DefaultS3PartSize
	}
	if cfg.Threads <= 0 {
		cfg.Threads = DefaultS3Threads
	}
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	lookup := minio.BucketLookupAuto
	if cfg.Endpoint != "" {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure:       secure,
		Transport:    &idleTransport{base: cfg.transport(), idle: cfg.Timeouts.Idle},
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   cfg.Attempts,
	})
	if err != nil {
		return nil, fmt.Errorf("%s.endpoint_url: %w", S3ConfigKey, err)
	}
	name := "s3://" + cfg.Bucket
	if cfg.Prefix != "" {
		name += "/" + cfg.Prefix
	}
	return &S3{cfg: cfg, client: client, core: minio.Core{Client: client}, name: name,
		putting: map[string]*keyMutex{}, pending: map[string]bool{}}, nil
}

// String implements Store.
func (s *S3) String() string { return s.name }

// Config returns the configuration in use, defaults filled in. It holds
// the secret key: never log it.
func (s *S3) Config() S3Config { return s.cfg }

// Endpoint returns the endpoint requests go to, without credentials.
func (s *S3) Endpoint() string { return s.client.EndpointURL().String() }

func (s *S3) full(key string) string {
	if s.cfg.Prefix == "" {
		return key
	}
	return s.cfg.Prefix + "/" + key
}

// Check proves the store usable: the endpoint answers, the credentials are
// accepted and the bucket exists. Its error names the setting at fault.
// It also aborts the multipart uploads under the prefix that a crash left
// unfinished, so call it before any Put (at start-up).
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.checkError(err)
	}
	if !ok {
		return fmt.Errorf("%s.bucket: bucket %q does not exist at %s: %w", S3ConfigKey, s.cfg.Bucket, s.Endpoint(), ErrNoBucket)
	}
	prefix := ""
	if s.cfg.Prefix != "" {
		prefix = s.cfg.Prefix + "/"
	}
	// Listing proves the credentials may read the bucket, not only find
	// it. Leaving the listing early needs its context cancelled.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjects(lctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, MaxKeys: 1}) {
		if obj.Err != nil {
			return s.checkError(obj.Err)
		}
		break
	}
	if err := s.abortUploads(ctx, prefix, false); err != nil {
		return fmt.Errorf("check %s: %w", s.name, err)
	}
	return nil
}

// checkError names the setting a failed Check blames.
func (s *S3) checkError(err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case isDenied(resp):
		return fmt.Errorf("%s.access_key/secret_key: %w at %s (%s: %s)", S3ConfigKey, ErrDenied, s.Endpoint(), resp.Code, resp.Message)
	case resp.Code == minio.NoSuchBucket:
		return fmt.Errorf("%s.bucket: bucket %q does not exist at %s: %w", S3ConfigKey, s.cfg.Bucket, s.Endpoint(), ErrNoBucket)
	case resp.StatusCode == 0:
		return fmt.Errorf("%s.endpoint_url: cannot reach %s: %w: %w", S3ConfigKey, s.Endpoint(), ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %s answers %s: %w", S3ConfigKey, s.Endpoint(), err, ErrUnavailable)
}

func isDenied(resp minio.ErrorResponse) bool {
	switch resp.Code {
	case minio.AccessDenied, "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
		return true
	}
	return resp.StatusCode == http.StatusForbidden
}

// fail wraps the error of an operation on key.
func (s *S3) fail(ctx context.Context, op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	var what error
	switch {
	case resp.Code == minio.NoSuchKey:
		return fmt.Errorf("%s %s: %w", op, key, ErrNotExist)
	case resp.Code == minio.NoSuchBucket:
		what = fmt.Errorf("%w: %s.bucket %q", ErrNoBucket, S3ConfigKey, s.cfg.Bucket)
	case resp.Code == "XAmzContentSHA256Mismatch":
		what = fmt.Errorf("%w (the server computed another): %w", ErrChecksum, err)
	case isDenied(resp):
		what = fmt.Errorf("%w (%s.access_key/secret_key): %s", ErrDenied, S3ConfigKey, resp.Message)
	case ctx.Err() != nil:
		what = err // the caller's cancellation or deadline
	case resp.StatusCode == 0 || resp.StatusCode >= 500:
		what = fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, s.cfg.Attempts, err)
	default:
		what = err
	}
	return fmt.Errorf("%s %s/%s: %w", op, s.name, key, what)
}

// keyLock serialises the Puts of one key, so that the multipart uploads of
// a key found unfinished after a failed Put are its own.
func (s *S3) keyLock(full string) func() {
	s.mu.Lock()
	l := s.putting[full]
	if l == nil {
		l = &keyMutex{}
		s.putting[full] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.putting, full)
		}
		s.mu.Unlock()
	}
}

// keyMutex is the lock of one key and how many Puts hold or wait for it.
type keyMutex struct {
	mu   sync.Mutex
	refs int
}

// Put implements Store. On a plain-http endpoint minio-go hashes the
// body for its signature (a streaming signature, chunk by chunk); on
// https it sends it unsigned (UNSIGNED-PAYLOAD), TLS guarding it.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	return s.put(ctx, key, r, size, nil)
}

// PutHashed implements HashedPutter. An object that fits in one part goes
// in one request whose signed x-amz-content-sha256 is sum, on http and
// https alike: minio-go does not hash it, the server does and refuses a
// mismatch. A bigger one goes in a multipart upload, each part signed as
// by Put (a part's hash is not sum), and the body is checked against sum
// as it is read: a mismatch aborts the upload before it completes.
func (s *S3) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	if err := checkSum(sum); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return s.put(ctx, key, r, size, sum)
}

// put is Put, and PutHashed when sum is not nil.
func (s *S3) put(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("put object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	s.retryAborts(ctx)
	full := s.full(key)
	unlock := s.keyLock(full)
	defer unlock()
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: uint64(s.partSize(size)),
		NumThreads: uint(s.cfg.Threads), ConcurrentStreamParts: true}
	// What fits in one part goes in one request, from memory: a
	// seekable body, so that minio-go can retry it. A body already in
	// memory is sent from there, not copied.
	if mr, ok := r.(memReader); ok && size >= 0 && size < s.cfg.PartSize && int64(mr.Len()) == size {
		if err := s.putOne(ctx, full, io.NewSectionReader(mr, mr.Size()-size, size), size, sum, opts); err != nil {
			return s.fail(ctx, "put", key, err)
		}
		return nil
	}
	body := ctxReader{ctx, exactReader(r, size)}
	var head bytes.Buffer
	if size >= 0 && size < s.cfg.PartSize {
		head.Grow(int(size) + 1)
	}
	if _, err := io.CopyN(&head, body, s.cfg.PartSize); err != nil && err != io.EOF {
		return fmt.Errorf("put %s: read: %w", key, err)
	}
	if int64(head.Len()) < s.cfg.PartSize {
		if err := s.putOne(ctx, full, bytes.NewReader(head.Bytes()), int64(head.Len()), sum, opts); err != nil {
			return s.fail(ctx, "put", key, err)
		}
		return nil
	}
	var rest io.Reader = body
	if sum != nil {
		v, _ := newVerifier(body, sum) // sum checked by PutHashed
		v.h.Write(head.Bytes())
		rest = v
	}
	_, err := s.client.PutObject(ctx, s.cfg.Bucket, full, io.MultiReader(&head, rest), -1, opts)
	if err != nil {
		// minio-go aborts the upload; if that failed too, abort it
		// now or, the server being unreachable, later.
		if aerr := s.abortUploads(ctx, full, true); aerr != nil {
			s.mu.Lock()
			s.pending[full] = true
			s.mu.Unlock()
		}
		if errors.Is(err, ErrChecksum) {
			return fmt.Errorf("put %s/%s: %w", s.name, key, err)
		}
		return s.fail(ctx, "put", key, err)
	}
	return nil
}

// memReader is a body already in memory (*bytes.Reader, *strings.Reader):
// its unread bytes are the Len() last of its Size().
type memReader interface {
	io.ReaderAt
	Len() int
	Size() int64
}

// putOne sends the size bytes of body (seekable: minio-go retries it) in
// one PUT request: with sum, as its signed payload hash (minio-go's
// Core.PutObject with the hash given and the streaming signature off, so
// that minio-go does not hash the body); without, as minio-go's PutObject
// does.
func (s *S3) putOne(ctx context.Context, full string, body io.ReadSeeker, size int64, sum []byte, opts minio.PutObjectOptions) error {
	var err error
	if sum == nil {
		_, err = s.client.PutObject(ctx, s.cfg.Bucket, full, body, size, opts)
		return err
	}
	opts.DisableContentSha256 = true
	_, err = s.core.PutObject(ctx, s.cfg.Bucket, full, body, size, "", hex.EncodeToString(sum), opts)
	return err
}

// maxParts is S3's limit on the parts of a multipart upload.
const maxParts = 10000

// partSize is the part size of an upload of size bytes: the configured
// one, raised (to whole MiB) when size would need more than maxParts. An
// upload of unknown size is bounded by maxParts × PartSize.
func (s *S3) partSize(size int64) int64 {
	if size <= s.cfg.PartSize*maxParts {
		return s.cfg.PartSize
	}
	const mib = 1 << 20
	return ((size+maxParts-1)/maxParts + mib - 1) / mib * mib
}

// abortUploads aborts the unfinished multipart uploads of the key full
// (exact) or under the prefix full. It runs even when ctx is cancelled,
// for a bounded time.
func (s *S3) abortUploads(ctx context.Context, full string, exact bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeouts.ResponseHeader)
	defer cancel()
	var errs []error
	for up := range s.client.ListIncompleteUploads(ctx, s.cfg.Bucket, full, true) {
		if up.Err != nil {
			return fmt.Errorf("list unfinished uploads of %s: %w", full, up.Err)
		}
		if exact && up.Key != full {
			continue
		}
		if err := s.core.AbortMultipartUpload(ctx, s.cfg.Bucket, up.Key, up.UploadID); err != nil {
			resp := minio.ToErrorResponse(err)
			if resp.Code != "NoSuchUpload" {
				errs = append(errs, fmt.Errorf("abort upload of %s: %w", up.Key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// retryAborts retries the aborts that failed, for the keys no Put is
// writing now.
func (s *S3) retryAborts(ctx context.Context) {
	s.mu.Lock()
	keys := make([]string, 0, len(s.pending))
	for k := range s.pending {
		if s.putting[k] == nil {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	for _, k := range keys {
		unlock := s.keyLock(k)
		err := s.abortUploads(ctx, k, true)
		if err == nil {
			s.mu.Lock()
			delete(s.pending, k)
			s.mu.Unlock()
		}
		unlock()
		if err != nil {
			return // still unreachable: the Put will say so
		}
	}
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if off < 0 {
		return nil, fmt.Errorf("get %s: negative offset %d", key, off)
	}
	var opts minio.GetObjectOptions
	switch {
	case n == 0:
		return s.emptyAt(ctx, key, off)
	case n > 0:
		opts.SetRange(off, off+n-1)
	case off > 0:
		opts.SetRange(off, 0)
	}
	rc, _, _, err := s.core.GetObject(ctx, s.cfg.Bucket, s.full(key), opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "InvalidRange" {
			return s.emptyAt(ctx, key, off)
		}
		return nil, s.fail(ctx, "get", key, err)
	}
	return &getBody{ReadCloser: rc, name: s.name + "/" + key}, nil
}

// getBody names the object in the errors of its reads.
type getBody struct {
	io.ReadCloser
	name string
}

func (b *getBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", b.name, err)
	}
	return n, err
}

// emptyAt returns the empty read at off of key: off may be its size, no
// more.
func (s *S3) emptyAt(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if off > info.Size {
		return nil, fmt.Errorf("get %s: offset %d outside 0..%d", key, off, info.Size)
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, fmt.Errorf("stat object: %w", err)
	}
	oi, err := s.client.StatObject(ctx, s.cfg.Bucket, s.full(key), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail(ctx, "stat", key, err)
	}
	return Info{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	strip := ""
	if s.cfg.Prefix != "" {
		strip = s.cfg.Prefix + "/"
	}
	var out []Info
	lctx, cancel := context.WithCancel(ctx) // returning early ends the listing
	defer cancel()
	for obj := range s.client.ListObjects(lctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: strip + prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s.fail(ctx, "list", prefix, obj.Err)
		}
		key, ok := strings.CutPrefix(obj.Key, strip)
		if !ok || ValidKey(key) != nil {
			continue // a folder marker, or an object not written through a Store
		}
		out = append(out, Info{Key: key, Size: obj.Size, Modified: obj.LastModified})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, s.full(key), minio.RemoveObjectOptions{}); err != nil {
		if err := s.fail(ctx, "delete", key, err); !errors.Is(err, ErrNotExist) {
			return err
		}
	}
	return nil
}
