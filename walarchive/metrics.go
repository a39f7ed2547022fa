package walarchive

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descLagSeconds = prometheus.NewDesc("cairn_wal_archive_lag_seconds",
		"Seconds since the last archiving round that shipped every record durable at its start, per shard.",
		[]string{"collection", "shard"}, nil)
	descLagBytes = prometheus.NewDesc("cairn_wal_archive_lag_bytes",
		"Bytes of durable WAL records read and not yet archived by the last round, per shard.",
		[]string{"collection", "shard"}, nil)
	descLagRecords = prometheus.NewDesc("cairn_wal_archive_lag_records",
		"Durable WAL records not yet archived, per shard.",
		[]string{"collection", "shard"}, nil)
)

// Collector returns a Prometheus collector of the archiving lag (Lags) at
// scrape time; the server registers it on its registry.
func (a *Archiver) Collector() prometheus.Collector { return lagCollector{a} }

type lagCollector struct{ a *Archiver }

// Describe sends the collector's descriptors.
func (lc lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLagSeconds
	ch <- descLagBytes
	ch <- descLagRecords
}

// Collect sends every shard's lag.
func (lc lagCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range lc.a.Lags() {
		shard := strconv.Itoa(l.Shard)
		ch <- prometheus.MustNewConstMetric(descLagSeconds, prometheus.GaugeValue, l.Seconds, l.Collection, shard)
		ch <- prometheus.MustNewConstMetric(descLagBytes, prometheus.GaugeValue, float64(l.Bytes), l.Collection, shard)
		ch <- prometheus.MustNewConstMetric(descLagRecords, prometheus.GaugeValue, float64(l.Records), l.Collection, shard)
	}
}
