package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus instruments. Names follow Qdrant's
// (rest_responses_*) so that existing dashboards work.
type metrics struct {
	responses *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	// rest are the same answers for the telemetry's requests section.
	rest restStats
}

func newMetrics(reg prometheus.Registerer, s *Server) *metrics {
	m := &metrics{
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rest_responses_total",
			Help: "HTTP responses by method, route template and status code.",
		}, []string{"method", "endpoint", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rest_responses_duration_seconds",
			Help:    "HTTP request latency by method and route template.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}, []string{"method", "endpoint"}),
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "app_info",
		Help: "Information about the Cairn server.",
	}, []string{"name", "version", "qdrant_api_version"})
	info.WithLabelValues("cairn", Version, QdrantAPIVersion).Set(1)
	reg.MustRegister(m.responses, m.duration, info, collectionCollector{s})
	if s.walArchive != nil {
		reg.MustRegister(s.walArchive.Collector())
	}
	return m
}

// observe counts every request by its route template (never the raw path,
// which would make one series per collection or point id).
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err) // answer now so the status is known
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		end := time.Now()
		took := end.Sub(start)
		code := strconv.Itoa(c.Response().Status)
		m.duration.WithLabelValues(method, route).Observe(took.Seconds())
		if route != "unmatched" {
			m.rest.record(method, route, code, took, end)
		}
		m.responses.WithLabelValues(method, route, code).Inc()
		return nil
	}
}

func (s *Server) metricsHandler() echo.HandlerFunc {
	h := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	return echo.WrapHandler(h)
}

// collectionCollector reports per-collection gauges at scrape time.
type collectionCollector struct{ s *Server }

var (
	descCollections = prometheus.NewDesc("collections_total", "Number of collections.", nil, nil)
	descPoints      = prometheus.NewDesc("collection_points", "Points in a collection.", []string{"collection"}, nil)
	descSegments    = prometheus.NewDesc("collection_segments", "Segments in a collection.", []string{"collection"}, nil)
	descIndexed     = prometheus.NewDesc("collection_indexed_vectors", "Indexed vectors in a collection.", []string{"collection"}, nil)
)

// Describe sends the collector's descriptors.
func (cc collectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCollections
	ch <- descPoints
	ch <- descSegments
	ch <- descIndexed
}

// Collect sends the current value of every gauge.
func (cc collectionCollector) Collect(ch chan<- prometheus.Metric) {
	stats := cc.s.collectionStats()
	ch <- prometheus.MustNewConstMetric(descCollections, prometheus.GaugeValue, float64(len(stats)))
	for _, st := range stats {
		ch <- prometheus.MustNewConstMetric(descPoints, prometheus.GaugeValue, float64(st.points), st.name)
		ch <- prometheus.MustNewConstMetric(descSegments, prometheus.GaugeValue, float64(st.segments), st.name)
		ch <- prometheus.MustNewConstMetric(descIndexed, prometheus.GaugeValue, float64(st.indexed), st.name)
	}
}

type collectionStat struct {
	name                      string
	points, segments, indexed int
}
