package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// access is what a route requires of the caller's key.
type access uint8

const (
	// accessOpen routes (/, health checks) need no key.
	accessOpen access = iota
	// accessRead routes are allowed with the read-only key.
	accessRead
	// accessWrite routes need the full key.
	accessWrite
)

// Qdrant's plain-text answers to a missing or wrong key.
const (
	msgNoKey  = "Must provide an API key or an Authorization bearer token"
	msgBadKey = "Invalid API key or JWT"
)

// routeAccess returns what the matched route requires. Unknown routes need
// read access, so that an authenticated caller learns the route is missing.
func (s *Server) routeAccess(c echo.Context) access {
	if a, ok := s.access[c.Request().Method+" "+c.Path()]; ok {
		return a
	}
	return accessRead
}

// auth enforces service.api_key and service.read_only_api_key. A missing or
// wrong key is a 401 with a plain-text body, a read-only key on a write
// route a 403 in Qdrant's envelope. Keys are compared in constant time.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	if s.apiKey == "" && s.readOnlyKey == "" {
		return next
	}
	return func(c echo.Context) error {
		need := s.routeAccess(c)
		if need == accessOpen {
			return next(c)
		}
		key, found := requestKey(c.Request())
		if !found {
			return c.String(http.StatusUnauthorized, msgNoKey)
		}
		switch {
		case s.apiKey != "" && keyEqual(key, s.apiKey):
			return next(c)
		case s.readOnlyKey != "" && keyEqual(key, s.readOnlyKey):
			if need == accessWrite {
				return errForbiddenWrite
			}
			return next(c)
		}
		return c.String(http.StatusUnauthorized, msgBadKey)
	}
}

// errForbiddenWrite is the answer to a read-only key on a write route.
var errForbiddenWrite = wrapMsg(errForbidden, "Forbidden: Write access is required")

// requestKey returns the key from the api-key header or an Authorization
// bearer token.
func requestKey(r *http.Request) (string, bool) {
	if k := r.Header.Get("api-key"); k != "" {
		return k, true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return tok, true
	}
	return "", false
}

func keyEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
