package webhook

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the intake's collectors, shared by every endpoint and
// labelled by endpoint name.
type Metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	dropped      *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	// idempotentReplays counts requests answered from the idempotency
	// cache, by endpoint.
	idempotentReplays *prometheus.CounterVec
	rateLimited       *prometheus.CounterVec
	schemaRejections  *prometheus.CounterVec
	// storedWaits and notStored are the acknowledgement's: how long a
	// "stored" answer waited, and how often it gave up with 503.
	storedWaits *prometheus.HistogramVec
	notStored   *prometheus.CounterVec
	reg         prometheus.Registerer
}

// Reasons a finding or an item is dropped by the intake itself, besides
// the parsers' own (below-min-priority, internal, stage, unimportant) and
// the item error reasons (invalid-json, wrong-type, ...).
const (
	dropBufferFull = "buffer-full"
	dropShutdown   = "shutdown"
)

// NewMetrics creates the intake collectors and registers them with reg; a
// nil reg leaves them unregistered, for tests.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_requests_total",
			Help: "Webhook requests answered, by endpoint and HTTP status code.",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zen_watcher_webhook_request_duration_seconds",
			Help:    "Time from a webhook request's arrival to its answer, by endpoint.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"endpoint"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_dropped_total",
			Help: "Items of webhook bodies not stored, by endpoint and reason: skipped by the parser (below-min-priority, internal, stage, unimportant), unreadable (invalid-json, wrong-type, missing-field, unknown-value), or refused with a 503 (buffer-full, shutdown).",
		}, []string{"endpoint", "reason"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_auth_failures_total",
			Help: "Webhook requests refused by authentication, by endpoint and reason.",
		}, []string{"endpoint", "reason"}),
		idempotentReplays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_idempotent_replays_total",
			Help: "Webhook requests whose X-Request-Id was seen with the same body: answered as before, not processed again.",
		}, []string{"endpoint"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_rate_limited_total",
			Help: "Webhook requests refused with 429, by endpoint and scope: client (address, before authentication) or identity (after it).",
		}, []string{"endpoint", "scope"}),
		schemaRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_schema_rejections_total",
			Help: "Webhook bodies and items that do not match their schema in the OpenAPI document, by endpoint.",
		}, []string{"endpoint"}),
		storedWaits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zen_watcher_webhook_stored_wait_seconds",
			Help:    "How long a webhook in stored acknowledgement mode waited for its findings to be stored, by endpoint.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		notStored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_webhook_not_stored_total",
			Help: "Webhook requests in stored acknowledgement mode answered 503 because their findings were not stored in time, or a write failed, by endpoint.",
		}, []string{"endpoint"}),
		reg: reg,
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.dropped, m.authFailures, m.idempotentReplays, m.rateLimited, m.schemaRejections,
			m.storedWaits, m.notStored)
	}
	return m
}

// registerBuffer exposes one endpoint's buffer depth and capacity, read at
// scrape time so the request path writes no gauge.
func (m *Metrics) registerBuffer(endpoint string, b *Buffer) {
	if m.reg == nil {
		return
	}
	labels := prometheus.Labels{"endpoint": endpoint}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_webhook_buffer_depth", ConstLabels: labels,
			Help: "Findings waiting in an endpoint's intake buffer.",
		}, func() float64 { return float64(b.Depth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_webhook_buffer_capacity", ConstLabels: labels,
			Help: "The most findings an endpoint's intake buffer holds (FALCO_BUFFER_SIZE, AUDIT_BUFFER_SIZE).",
		}, func() float64 { return float64(b.Capacity()) }),
	)
}

// registerBudget exposes the bytes reserved by requests in flight.
func (m *Metrics) registerBudget(b *Budget) {
	if m.reg == nil || b == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "zen_watcher_webhook_inflight_bytes",
		Help: "Webhook body bytes being read or decoded across every request, bounded by MAX_INFLIGHT_BYTES.",
	}, func() float64 { return float64(b.InUse()) }))
}

// endpointMetrics are one endpoint's children, resolved once: label lookups
// stay off the request path.
type endpointMetrics struct {
	*Metrics
	name       string
	duration   prometheus.Observer
	storedWait prometheus.Observer
	codes      map[int]prometheus.Counter
}

// answered are the status codes an endpoint gives; others are resolved
// when they occur.
var answered = []int{202, 400, 401, 405, 409, 413, 415, 429, 503}

func (m *Metrics) forEndpoint(name string) *endpointMetrics {
	em := &endpointMetrics{Metrics: m, name: name, duration: m.duration.WithLabelValues(name),
		storedWait: m.storedWaits.WithLabelValues(name), codes: map[int]prometheus.Counter{}}
	for _, c := range answered {
		em.codes[c] = m.requests.WithLabelValues(name, strconv.Itoa(c))
	}
	m.notStored.WithLabelValues(name) // shown at 0 from the start
	return em
}

func (em *endpointMetrics) answer(code int) {
	if c, ok := em.codes[code]; ok {
		c.Inc()
		return
	}
	em.requests.WithLabelValues(em.name, strconv.Itoa(code)).Inc()
}
