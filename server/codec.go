package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	gojson "github.com/goccy/go-json"
	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// codec is the JSON implementation for request and response bodies:
// github.com/goccy/go-json, about 7× faster than encoding/json at decoding
// a 1,000 × 768 upsert batch (see BenchmarkCodec and
// docs/BENCHMARKS.md, "Server"). Numbers that matter exactly (point ids) are
// decoded by point.ID's UnmarshalJSON, payloads by the payload package.
type codec struct{}

func (codec) marshal(v any) ([]byte, error) { return gojson.Marshal(v) }
func (codec) unmarshal(b []byte, v any) error {
	if hook := testHookUnmarshal.Load(); hook != nil {
		(*hook)(len(b))
	}
	return gojson.Unmarshal(b, v)
}

// testHookUnmarshal, set by tests only, is told the size of every text
// codec decodes: the work a request's decoding does.
var testHookUnmarshal atomic.Pointer[func(n int)]

// serializer installs codec as echo's JSONSerializer.
type serializer struct{ s *Server }

// Serialize writes v as JSON.
func (z serializer) Serialize(c echo.Context, v any, indent string) error {
	var (
		b   []byte
		err error
	)
	if indent == "" {
		return writeAnswer(c, v)
	}
	b, err = gojson.MarshalIndent(v, "", indent)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	_, err = c.Response().Write(b)
	return err
}

// writeAnswer encodes v (appendAnswer) into a pooled buffer and writes it.
func writeAnswer(c echo.Context, v any) error {
	return withAnswerBuffer(func(b []byte) ([]byte, error) {
		b, err := appendAnswer(b, v)
		if err != nil {
			return nil, fmt.Errorf("encode answer: %w", err)
		}
		_, err = c.Response().Write(b)
		return b, err
	})
}

// Deserialize reads the request body (within the size limit) into v.
func (z serializer) Deserialize(c echo.Context, v any) error {
	return z.s.bind(c, v)
}

// readBody reads the whole request body, refusing more than maxBody bytes.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > s.maxBody {
		return nil, tooLarge(r.ContentLength, s.maxBody)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, s.maxBody+1)); err != nil {
		return nil, badRequest("read request body: %v", err)
	}
	if int64(buf.Len()) > s.maxBody {
		return nil, tooLargeStream(s.maxBody) // only more than the limit is known
	}
	return buf.Bytes(), nil
}

// maxPooledBody is the largest request body kept in bodyPool for reuse.
const maxPooledBody = 16 << 20

// bodyPool holds *[]byte buffers for request bodies of known length, so
// that a stream of upsert batches does not allocate (and zero) a fresh
// megabyte-sized buffer per request.
var bodyPool sync.Pool

// readPooledBody reads a request body of declared length into a pooled
// buffer. The caller must call release once nothing refers to body any
// more (decoders copy what they keep). Bodies of unknown length or larger
// than maxPooledBody are read by readBody, and release does nothing.
func (s *Server) readPooledBody(c echo.Context) (body []byte, release func(), err error) {
	r := c.Request()
	n := r.ContentLength
	if n <= 0 || n > maxPooledBody || n > s.maxBody {
		body, err = s.readBody(c)
		return body, func() {}, err
	}
	bp, _ := bodyPool.Get().(*[]byte)
	if bp == nil || int64(cap(*bp)) < n {
		b := make([]byte, n)
		bp = &b
	}
	release = func() { bodyPool.Put(bp) }
	body = (*bp)[:n]
	if _, err := io.ReadFull(r.Body, body); err != nil {
		release()
		return nil, func() {}, badRequest("read request body: %v", err)
	}
	return body, release, nil
}

func tooLarge(n, limit int64) error {
	return fmt.Errorf("%w: JSON payload (%d bytes) is larger than allowed (limit: %d bytes)", errTooLarge, n, limit)
}

// tooLargeStream is tooLarge for a body of no declared length that went
// past the limit (its size is not known), in actix's words.
func tooLargeStream(limit int64) error {
	return fmt.Errorf("%w: JSON payload has exceeded limit (%d bytes)", errTooLarge, limit)
}

// bind decodes the JSON request body into v; an empty body decodes as {}.
func (s *Server) bind(c echo.Context, v any) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes body into v, mapping failures to 400s.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	// Go's decoders would store U+FFFD for what Qdrant's parser refuses,
	// and keep the last of a repeated field.
	if err := payload.CheckRequest(body, requestMaps); err != nil {
		return badJSON(err)
	}
	if n, ok := v.(bodyNormalizer); ok {
		var err error
		if body, err = n.normalizeBody(body); err != nil {
			return err
		}
	}
	if err := (codec{}).unmarshal(body, v); err != nil {
		if errors.Is(err, engine.ErrInvalid) {
			return err // a value out of range, found while decoding: 422
		}
		var ve *payload.ValidationError
		if errors.As(err, &ve) {
			return wrapMsg(errValidation, "Validation error in JSON body: ["+ve.Error()+"]")
		}
		return badJSON(err)
	}
	return nil
}

// bodyNormalizer is a request type whose checked body is bounded and
// rewritten before it is decoded (the query routes' prefetch trees).
type bodyNormalizer interface {
	normalizeBody(b []byte) ([]byte, error)
}

// requestMaps are the fields of Qdrant's request bodies whose values are
// maps (serde_json's Map or a HashMap) rather than structs: a key repeated
// in them keeps its last value, as in Qdrant, where a repeated struct
// field is refused ("duplicate field").
var requestMaps = map[string]bool{
	"payload": true, "payloads": true, "metadata": true, "vector": true, "vectors": true,
	"sparse_vectors": true, "defaults": true,
}

// jsonErrorText turns a decoder error into a message naming the field.
func jsonErrorText(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	var te *gojson.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fmt.Sprintf("invalid type for field `%s`: got %s, expected %s", field, te.Value, jsonTypeName(te.Type.String()))
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return msg
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map[") || strings.HasPrefix(goType, "struct") || strings.Contains(goType, "."):
		return "an object"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	}
	return goType
}

// fieldError is a decoding error that names the JSON field at fault.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }
