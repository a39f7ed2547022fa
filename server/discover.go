package server

import (
	"bytes"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// contextPairIn is Qdrant's ContextPair: two required examples.
type contextPairIn struct {
	Positive *exampleIn `json:"positive"`
	Negative *exampleIn `json:"negative"`
}

// contextIn is Qdrant's ContextInput: one pair, a list of them, or null.
type contextIn []contextPairIn

// UnmarshalJSON reads either form and requires both examples of a pair.
func (c *contextIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*c = nil
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '{':
		var p contextPairIn
		if err := (codec{}).unmarshal(b, &p); err != nil {
			return err
		}
		*c = contextIn{p}
	default:
		var ps []contextPairIn
		if err := (codec{}).unmarshal(b, &ps); err != nil {
			return err
		}
		*c = ps
	}
	for _, p := range *c {
		if p.Positive == nil {
			return &fieldError{Field: "context.positive", Msg: "missing field"}
		}
		if p.Negative == nil {
			return &fieldError{Field: "context.negative", Msg: "missing field"}
		}
	}
	return nil
}

// pairs returns the engine's form of the context.
func (c contextIn) pairs() []engine.ContextPair {
	if c == nil {
		return nil
	}
	out := make([]engine.ContextPair, len(c))
	for i, p := range c {
		out[i] = engine.ContextPair{Positive: p.Positive.input(), Negative: p.Negative.input()}
	}
	return out
}

// decodeDiscover reads a query's {"discover": ...} value, Qdrant's
// DiscoverInput: target and context both required (the context may be
// null).
func decodeDiscover(b []byte) (engine.DiscoverInput, error) {
	var m map[string]rawJSON
	if err := (codec{}).unmarshal(b, &m); err != nil {
		return engine.DiscoverInput{}, &fieldError{Field: "query.discover", Msg: jsonErrorText(err)}
	}
	for _, k := range []string{"target", "context"} {
		if _, found := m[k]; !found {
			return engine.DiscoverInput{}, &fieldError{Field: "query.discover." + k, Msg: "missing field"}
		}
	}
	var target exampleIn
	if err := target.UnmarshalJSON(m["target"]); err != nil {
		return engine.DiscoverInput{}, &fieldError{Field: "query.discover.target", Msg: jsonErrorText(err)}
	}
	var pairs contextIn
	if err := pairs.UnmarshalJSON(m["context"]); err != nil {
		return engine.DiscoverInput{}, &fieldError{Field: "query.discover.context", Msg: jsonErrorText(err)}
	}
	return engine.DiscoverInput{Target: target.input(), Context: pairs.pairs()}, nil
}

// decodeContext reads a query's {"context": ...} value.
func decodeContext(b []byte) ([]engine.ContextPair, error) {
	var c contextIn
	if err := c.UnmarshalJSON(b); err != nil {
		return nil, &fieldError{Field: "query.context", Msg: jsonErrorText(err)}
	}
	return c.pairs(), nil
}

// discoverIn is Qdrant's DiscoverRequest.
type discoverIn struct {
	Target      *exampleIn           `json:"target"`
	Context     contextIn            `json:"context"`
	Filter      *payload.Filter      `json:"filter"`
	Params      *engine.SearchParams `json:"params"`
	Limit       *int                 `json:"limit"`
	Offset      *int                 `json:"offset"`
	WithPayload *engine.WithPayload  `json:"with_payload"`
	WithVector  *engine.WithVector   `json:"with_vector"`
	WithVectors *engine.WithVector   `json:"with_vectors"` // Qdrant's alias
	Using       string               `json:"using"`
	LookupFrom  *lookupIn            `json:"lookup_from"`
}

// request returns the engine's form of a decoded discover request.
func (in *discoverIn) request() engine.DiscoverRequest {
	r := engine.DiscoverRequest{
		Context: in.Context.pairs(), Filter: in.Filter, Params: in.Params, Limit: in.Limit, Offset: in.Offset,
		WithPayload: in.WithPayload, WithVector: vectorSelector(in.WithVector, in.WithVectors),
		Using: in.Using, LookupFrom: in.LookupFrom,
	}
	if in.Target != nil {
		t := in.Target.input()
		r.Target = &t
	}
	return r
}

// discover answers POST /points/discover.
func (s *Server) discover(c echo.Context) error {
	return serveScored(s, c, (*discoverIn).request, (*engine.Collection).Discover)
}

// discoverBatch answers POST /points/discover/batch.
func (s *Server) discoverBatch(c echo.Context) error {
	return serveScoredBatch(s, c, (*discoverIn).request, (*engine.Collection).DiscoverBatch)
}
