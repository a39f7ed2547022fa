package server

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cairn-db/cairn/engine"

	"github.com/labstack/echo/v4"
)

// errorHandler is echo's HTTPErrorHandler: every error, from a handler or
// from echo itself (unknown route, wrong method), is answered in Qdrant's
// error envelope with the code statusOf chooses.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := statusOf(err)
	if after, ok := engine.RetryAfter(err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(after.Seconds())))
	}
	if code == http.StatusNotFound {
		c.Response().Header().Del(echo.HeaderAllow) // set by echo's router for a known path
	}
	if s.snaps != nil {
		msg = s.snaps.Scrub(msg) // no answer shows the server's folders
	}
	if code >= http.StatusInternalServerError {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	} else {
		s.log.Debug("request rejected", "method", c.Request().Method, "path", c.Request().URL.Path, "code", code, "err", msg)
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(code)
	} else {
		werr = fail(c, code, msg)
	}
	if werr != nil {
		s.log.Warn("write error answer", "err", werr, slog.Int("code", code))
	}
}
