package engine

import (
	"context"
	"fmt"
	"math"

	"github.com/cairn-db/cairn/payload"
)

// Request bounds. Every exported Collection entry point checks the
// integers and filters of its request here, before it takes a lock, so
// that every transport inherits the same checks. Limits and offsets are
// Qdrant's unsigned integers: any non-negative value is accepted, sums
// saturate instead of overflowing, and nothing is allocated from a
// requested size; results are bounded by the points that exist.

// satAdd returns a+b for non-negative a and b, or math.MaxInt when the
// sum does not fit.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// checkPaging refuses a limit below 1 or a negative offset (Qdrant's
// validation of search, recommend and query).
func checkPaging(limit, offset int) error {
	if limit < 1 {
		return errInvalid("limit", "value %d invalid, must be 1 or more", limit)
	}
	if offset < 0 {
		return errInvalid("offset", "value %d invalid, must be 0 or more", offset)
	}
	return nil
}

// requiredPaging reads a request's required limit (nil is refused as
// Qdrant's missing field) and optional offset (nil is 0) and checks them
// (see checkPaging).
func requiredPaging(limit, offset *int) (int, int, error) {
	if limit == nil {
		return 0, 0, errBadRequestText("Format error in JSON body: limit: missing field")
	}
	off := 0
	if offset != nil {
		off = *offset
	}
	if err := checkPaging(*limit, off); err != nil {
		return 0, 0, err
	}
	return *limit, off, nil
}

// CheckScrollLimit refuses a scroll limit the client set below 1
// (Qdrant's contract: absent or null for the default page of
// DefaultScrollLimit, else at least 1). ScrollRequest.Limit cannot tell an
// explicit 0 from an absent limit, so a transport that can (REST's JSON,
// gRPC's optional field) calls it before Scroll.
func CheckScrollLimit(limit int) error {
	if limit < 1 {
		return errInvalid("limit", "value %d invalid, must be 1 or more", limit)
	}
	return nil
}

// checkSearchParams refuses an hnsw_ef below 1: Qdrant's hnsw_ef is an
// unsigned integer of at least 1 (a negative one fails to deserialize, 0
// fails validation; both answer 400).
func checkSearchParams(p *SearchParams) error {
	if p != nil && p.HnswEf != nil && *p.HnswEf < 1 {
		return &engineError{ErrBadRequest, fmt.Sprintf("Bad request: params.hnsw_ef: value %d invalid, must be 1 or more", *p.HnswEf)}
	}
	if p != nil && p.Quantization != nil && p.Quantization.Oversampling != nil {
		if o := *p.Quantization.Oversampling; !(o >= 1) || math.IsInf(o, 1) {
			return &engineError{ErrBadRequest, fmt.Sprintf("Bad request: params.quantization.oversampling: value %g invalid, must be 1.0 or more", o)}
		}
	}
	return nil
}

// checkThreshold refuses a NaN score_threshold (JSON cannot carry one; a
// hand-built request can, and it would compare false with every score).
func checkThreshold(t *float32) error {
	if t != nil && *t != *t {
		return &engineError{ErrBadRequest, "Bad request: score_threshold: expected a number, got NaN"}
	}
	return nil
}

// checkFilter refuses a filter that the JSON parser would not have
// produced (payload.Filter.Validate): evaluation under the shard lock
// assumes a valid one.
func checkFilter(f *payload.Filter) error {
	if err := f.Validate(); err != nil {
		return &engineError{ErrBadRequest, "Bad request: " + err.Error()}
	}
	return nil
}

// ctxCheckEvery is how many scored candidates a scan goes through between
// two checks of its context.
const ctxCheckEvery = scanChunk

// stopped reports whether ctx is done; a nil ctx never is.
func stopped(ctx context.Context) bool { return ctx != nil && ctx.Err() != nil }
