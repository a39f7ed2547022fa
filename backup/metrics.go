package backup

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the run instruments; the state-derived gauges are
// collected at scrape time from the state file's contents (so that they
// survive a restart).
type metrics struct {
	duration *prometheus.HistogramVec
	written  *prometheus.CounterVec
	failures *prometheus.CounterVec
	runs     *prometheus.CounterVec
}

var (
	descLastSuccess = prometheus.NewDesc("cairn_backup_last_success_timestamp_seconds",
		"Unix time of the last successful snapshot of a collection (\"*\": full snapshots) by a backup schedule.",
		[]string{"schedule", "collection", "target"}, nil)
	descHeld = prometheus.NewDesc("cairn_backup_snapshots_held",
		"Snapshots a backup schedule made and holds.", []string{"schedule", "target"}, nil)
	descHeldBytes = prometheus.NewDesc("cairn_backup_snapshots_held_bytes",
		"Total size of the snapshots a backup schedule holds.", []string{"schedule", "target"}, nil)
	descStale = prometheus.NewDesc("cairn_backup_stale",
		"1 when a schedule's last success of a collection is older than twice its interval.",
		[]string{"schedule", "collection", "target"}, nil)
)

func newMetrics(reg prometheus.Registerer, s *Scheduler) *metrics {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cairn_backup_run_duration_seconds",
			Help:    "Duration of backup runs by schedule, target and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.1, 3, 12),
		}, []string{"schedule", "target", "outcome"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_backup_bytes_written_total",
			Help: "Bytes of snapshots written by backup runs.",
		}, []string{"schedule", "target"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_backup_failures_total",
			Help: "Failed backup runs (each failed attempt counts).",
		}, []string{"schedule", "target"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_backup_runs_total",
			Help: "Backup runs by schedule, target and outcome.",
		}, []string{"schedule", "target", "outcome"}),
	}
	for _, sc := range s.scheds { // every series exists from the start, at 0
		m.written.WithLabelValues(sc.Name, sc.Target)
		m.failures.WithLabelValues(sc.Name, sc.Target)
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.written, m.failures, m.runs, stateCollector{s})
	}
	return m
}

func (m *metrics) observe(sc *sched, res RunResult, written int64) {
	m.duration.WithLabelValues(sc.Name, sc.Target, res.Outcome).Observe(res.End.Sub(res.Start).Seconds())
	m.runs.WithLabelValues(sc.Name, sc.Target, res.Outcome).Inc()
	m.written.WithLabelValues(sc.Name, sc.Target).Add(float64(written))
	if res.Outcome == OutcomeFailed {
		m.failures.WithLabelValues(sc.Name, sc.Target).Inc()
	}
}

// stateCollector reports the gauges read from the state.
type stateCollector struct{ s *Scheduler }

// Describe sends the collector's descriptors.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLastSuccess
	ch <- descHeld
	ch <- descHeldBytes
	ch <- descStale
}

// Collect sends the current values.
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.s.status() {
		var n, bytes float64
		for _, h := range st.held {
			if h.Target == st.sc.Target {
				n++
				bytes += float64(h.Size)
			}
		}
		ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, n, st.sc.Name, st.sc.Target)
		ch <- prometheus.MustNewConstMetric(descHeldBytes, prometheus.GaugeValue, bytes, st.sc.Name, st.sc.Target)
		for coll, t := range st.series {
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue,
				float64(t.UnixNano())/1e9, st.sc.Name, coll, st.sc.Target)
		}
		for _, v := range st.staleness {
			x := 0.0
			if v.stale {
				x = 1
			}
			ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, x, st.sc.Name, v.series, st.sc.Target)
		}
	}
}
