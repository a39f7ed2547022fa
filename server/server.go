package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/version"
	"github.com/cairn-db/cairn/walarchive"
)

// Version is Cairn's own version (version.Cairn).
const Version = version.Cairn

// QdrantAPIVersion is the version of Qdrant's API that Cairn implements
// (version.QdrantAPI); GET / reports it as "version" so that Qdrant
// clients accept the server.
const QdrantAPIVersion = version.QdrantAPI

// DefaultMaxRequestBytes is the body limit when Options sets none (32 MiB,
// Qdrant's default max_request_size_mb).
const DefaultMaxRequestBytes = 32 << 20

// Options configures a server.
type Options struct {
	// Logger receives request errors; nil means slog.Default().
	Logger *slog.Logger
	// Storage is the engine serving the collection routes; nil answers
	// them with 503 (used before the storage is open, and in tests).
	Storage *engine.Storage
	// APIKey, when set, is required on every route but /, /healthz,
	// /livez and /readyz.
	APIKey string
	// ReadOnlyAPIKey, when set, grants the read routes only.
	ReadOnlyAPIKey string
	// MaxRequestBytes caps request bodies; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// EnableCORS answers preflight requests and allows every origin.
	EnableCORS bool
	// NoDashboard leaves the web dashboard out (service.enable_static_content:
	// false): /dashboard is then an unknown route.
	NoDashboard bool
	// Registry receives the server's Prometheus metrics and is what
	// GET /metrics exposes; nil means a fresh registry. Other packages
	// (snapshots) register their metrics on the same registry.
	Registry *prometheus.Registry
	// Snapshots serves the snapshot routes; nil answers them with 503.
	// Its Storage should be the same as Storage.
	Snapshots *snapshot.Manager
	// WALArchive, when WAL archiving is on, is the archiver whose lag
	// GET /metrics reports and whose archive a recover with
	// "point_in_time" replays; nil: archiving is off.
	WALArchive *walarchive.Archiver
	// Backup serves the backup schedule routes and adds its issues to
	// GET /issues and its warnings to collection info; nil: no schedules.
	Backup *backup.Scheduler
}

// Server is Cairn's HTTP API. It is an http.Handler.
type Server struct {
	e           *echo.Echo
	log         *slog.Logger
	eng         *engine.Storage
	apiKey      string
	readOnlyKey string
	maxBody     int64
	access      map[string]access
	unlimited   map[string]bool
	snaps       *snapshot.Manager
	walArchive  *walarchive.Archiver
	backup      *backup.Scheduler
	reg         *prometheus.Registry
	metrics     *metrics
	id          string
	started     time.Time
}

// New returns the HTTP API serving opts.Storage.
func New(opts Options) *Server {
	s := &Server{
		log:         opts.Logger,
		eng:         opts.Storage,
		apiKey:      opts.APIKey,
		readOnlyKey: opts.ReadOnlyAPIKey,
		maxBody:     opts.MaxRequestBytes,
		access:      map[string]access{},
		unlimited:   map[string]bool{},
		snaps:       opts.Snapshots,
		walArchive:  opts.WALArchive,
		backup:      opts.Backup,
		reg:         opts.Registry,
		id:          newID(),
		started:     time.Now().UTC(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxRequestBytes
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.reg, s)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = serializer{s}
	e.HTTPErrorHandler = s.errorHandler
	e.Use(startTimer, s.metrics.observe, middleware.Recover(), decodeParams)
	if opts.EnableCORS {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: []string{"*"}, MaxAge: 3600}))
	}
	e.Use(s.auth, s.limitBody)
	s.e = e
	s.routes()
	if !opts.NoDashboard {
		s.dashboardRoutes()
	}
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// Registry returns the Prometheus registry GET /metrics exposes.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Route registers a handler for method and path (an echo route template).
// A write route needs the full API key; other routes accept the read-only
// key too. Packages such as the snapshot API add their routes with it;
// handlers answer through the same envelope and error mapping.
func (s *Server) Route(method, path string, write bool, h echo.HandlerFunc) {
	a := accessRead
	if write {
		a = accessWrite
	}
	s.add(method, path, a, h)
}

func (s *Server) add(method, path string, a access, h echo.HandlerFunc) {
	s.access[method+" "+path] = a
	s.e.Add(method, path, h)
}

// limitBody refuses a body whose declared length is over the limit before
// any handler reads it; readBody enforces the limit on what is read.
// Streaming routes (snapshot uploads) are exempt.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Method + " " + c.Path()
		// Only a route that exists reads a body: any other request is
		// answered 404 by the router, whatever its length.
		if _, known := s.access[key]; known && c.Request().ContentLength > s.maxBody && !s.unlimited[key] {
			return tooLarge(c.Request().ContentLength, s.maxBody)
		}
		return next(c)
	}
}

// routes registers every route of the API.
func (s *Server) routes() {
	s.add(http.MethodGet, "/", accessOpen, s.root)
	s.add(http.MethodGet, "/healthz", accessOpen, plain("healthz check passed"))
	s.add(http.MethodGet, "/livez", accessOpen, plain("livez check passed"))
	s.add(http.MethodGet, "/readyz", accessOpen, s.readyz)
	s.add(http.MethodGet, "/telemetry", accessRead, s.telemetry)
	s.add(http.MethodGet, "/metrics", accessRead, s.metricsHandler())
	s.collectionRoutes()
	s.clusterRoutes()
	s.snapshotRoutes()
	s.backupRoutes()
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "cairn"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
