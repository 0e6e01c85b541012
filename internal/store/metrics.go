package store

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the writer's Prometheus collectors.
type Metrics struct {
	EventsCreated  *prometheus.CounterVec // zen_watcher_events_total{source,category,severity}
	AlreadyExists  *prometheus.CounterVec // zen_watcher_write_already_exists_total{source}
	StatusWrites   prometheus.Counter     // zen_watcher_status_writes_total
	QueueDepth     prometheus.GaugeFunc
	QueueCapacity  prometheus.Gauge
	WriteDuration  *prometheus.HistogramVec // {operation}
	WriteErrors    *prometheus.CounterVec   // {operation,code}
	Retries        *prometheus.CounterVec   // {operation}
	DeadLettered   prometheus.Counter
	DLQSize        prometheus.GaugeFunc
	DLQDropped     prometheus.Counter
	NamespaceMoved prometheus.Counter
	// LostAtExit counts, by stage, what the process held unwritten when it
	// stopped: dead letters, and deltas that never reached the queue.
	LostAtExit *prometheus.CounterVec // zen_watcher_lost_at_exit_total{stage}
}

func newMetrics(reg prometheus.Registerer, queueDepth, dlqSize func() float64, queueCap int) *Metrics {
	m := &Metrics{
		EventsCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_events_total", Help: "ZenAgentEvents created, by source, category and severity.",
		}, []string{"source", "category", "severity"}),
		AlreadyExists: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_write_already_exists_total", Help: "Creates the API server refused as AlreadyExists (another replica or an earlier run stored the event); counted as dedup hits, not errors.",
		}, []string{"source"}),
		StatusWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zen_watcher_status_writes_total", Help: "Status writes (each carries one or more coalesced occurrences or a resolution).",
		}),
		QueueDepth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_write_queue_depth", Help: "Writes waiting for a worker.",
		}, queueDepth),
		QueueCapacity: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "zen_watcher_write_queue_capacity", Help: "Capacity of the write queue (WRITE_QUEUE_SIZE).",
		}),
		WriteDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zen_watcher_api_write_duration_seconds", Help: "Latency of API server requests made by the writer, by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		WriteErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_api_write_errors_total", Help: "API server requests by the writer that failed, by operation and HTTP status code (0: no answer).",
		}, []string{"operation", "code"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_api_write_retries_total", Help: "Writes retried after a retryable failure, by operation.",
		}, []string{"operation"}),
		DeadLettered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zen_watcher_dlq_entries_total", Help: "Writes that failed every retry and entered the dead-letter queue.",
		}),
		DLQSize: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "zen_watcher_dlq_size", Help: "Writes in the dead-letter queue now.",
		}, dlqSize),
		DLQDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zen_watcher_dlq_dropped_total", Help: "Dead letters discarded because the dead-letter queue was full (oldest first).",
		}),
		NamespaceMoved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zen_watcher_events_namespace_fallback_total", Help: "Events written to EVENT_NAMESPACE because their resource's namespace no longer exists.",
		}),
		LostAtExit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zen_watcher_lost_at_exit_total", Help: "Writes the process still held when it stopped, by stage: dead-letter (the dead-letter queue) or unwritten (occurrences and resolutions that never reached the write queue).",
		}, []string{"stage"}),
	}
	m.QueueCapacity.Set(float64(queueCap))
	for _, stage := range []string{lostDeadLetter, lostUnwritten} {
		m.LostAtExit.WithLabelValues(stage) // shown at 0 until the end
	}
	reg.MustRegister(m.EventsCreated, m.AlreadyExists, m.StatusWrites, m.QueueDepth, m.QueueCapacity, m.WriteDuration,
		m.WriteErrors, m.Retries, m.DeadLettered, m.DLQSize, m.DLQDropped, m.NamespaceMoved, m.LostAtExit)
	return m
}
