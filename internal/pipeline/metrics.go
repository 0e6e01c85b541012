package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics holds the pipeline's Prometheus collectors. Each stage writes only
// the collectors it owns; one struct keeps registration in one place so a
// collector cannot be declared and forgotten.
type Metrics struct {
	// FindingsTruncated counts findings that normalize had to shorten to fit
	// the ZenAgentEvent limits, by source. A finding counts once however many
	// of its fields were cut.
	FindingsTruncated *prometheus.CounterVec
	// FindingsDropped counts findings that normalize rejected, by source and
	// reason; a finding whose source is unusable is counted as source
	// "invalid" so hostile input cannot mint label values.
	FindingsDropped *prometheus.CounterVec
	// FindingsFiltered counts findings the filter kept out of the store, by
	// source and reason.
	FindingsFiltered *prometheus.CounterVec
	// DedupHits counts findings that matched an event already stored or
	// being stored, by source.
	DedupHits *prometheus.CounterVec
	// Coalesced counts repeats folded into a status write that was already
	// pending, each one an API write saved, by source.
	Coalesced *prometheus.CounterVec
}

// Drop and filter reasons, the values of the reason label.
const (
	reasonInvalidSource    = "invalid-source"
	reasonEmptyKey         = "empty-key"
	reasonInvalidCategory  = "invalid-category"
	reasonInvalidSeverity  = "invalid-severity"
	reasonInvalidEventType = "invalid-event-type"

	reasonBehaviorMode     = "behavior-mode"
	reasonFilterExpression = "filter-expression"
	reasonFilterError      = "filter-error"
)

// invalidSourceLabel is the source label of a finding dropped because its
// source could not be made a label value.
const invalidSourceLabel = "invalid"

// NewMetrics creates the pipeline collectors and registers them with reg.
// A nil reg leaves them unregistered, which suits tests. Registering twice
// with one registry panics, as it is a wiring bug, not a runtime condition.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		FindingsTruncated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_findings_truncated_total",
			Help: "Findings shortened by normalization to fit the ZenAgentEvent size limits.",
		}, []string{"source"}),
		FindingsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_findings_dropped_total",
			Help: "Findings rejected by normalization, by reason: invalid-source, empty-key, invalid-category, invalid-severity, invalid-event-type.",
		}, []string{"source", "reason"}),
		FindingsFiltered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_findings_filtered_total",
			Help: "Findings kept out of the store by the filter, by reason: behavior-mode, filter-expression, filter-error.",
		}, []string{"source", "reason"}),
		DedupHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_dedup_hits_total",
			Help: "Findings that matched an existing event and only raise its count.",
		}, []string{"source"}),
		Coalesced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_coalesced_repeats_total",
			Help: "Repeats folded into an already pending status write (API writes saved).",
		}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.FindingsTruncated, m.FindingsDropped, m.FindingsFiltered, m.DedupHits, m.Coalesced)
	}
	return m
}
