package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// BehaviorMode selects which findings are stored.
type BehaviorMode string

// Behavior modes.
const (
	BehaviorAll          BehaviorMode = "all"
	BehaviorConservative BehaviorMode = "conservative"
	BehaviorSecurityOnly BehaviorMode = "security-only"
	BehaviorCustom       BehaviorMode = "custom"
)

// MetricsAuth says who may read /metrics.
type MetricsAuth string

// Metrics authentication modes.
const (
	// MetricsAuthNone serves /metrics to anyone who reaches the port.
	MetricsAuthNone MetricsAuth = "none"
	// MetricsAuthKubernetes wants a Kubernetes bearer token allowed to get
	// the non-resource URL /metrics, as the API server's own metrics do.
	MetricsAuthKubernetes MetricsAuth = "kubernetes"
)

// Config is the daemon's whole configuration, read once at start.
type Config struct {
	// WatchInterval is how often sources re-check what the cluster serves.
	WatchInterval time.Duration
	// DedupWindow is zero when a finding is never stored twice; otherwise a
	// recurrence later than this after lastSeen becomes a new event.
	DedupWindow time.Duration
	// EventNamespace receives findings that have no namespace of their own.
	EventNamespace string
	// ClusterName names this cluster to the outputs' receivers; empty means
	// the kube-system namespace's UID, read when an output first needs it.
	ClusterName string
	// PodNamespace is the daemon's own namespace (POD_NAMESPACE), where
	// admin API calls are authorized; empty when unset.
	PodNamespace string
	// WatchNamespace scopes namespaced watches; empty means all namespaces.
	WatchNamespace string
	// BehaviorMode selects which findings are stored.
	BehaviorMode BehaviorMode
	// FilterExpression is the CEL expression over `finding` that a finding
	// must satisfy to be stored; set only with BehaviorMode custom.
	FilterExpression string
	// APIQPS and APIBurst are the client-side rate limit towards the API server.
	APIQPS   float64
	APIBurst int
	// WriteQueueSize bounds the writes waiting for a worker; WriteWorkers is
	// how many writes run at once.
	WriteQueueSize int
	WriteWorkers   int
	// FlushInterval is the longest a repeat waits before its coalesced status
	// write.
	FlushInterval time.Duration
	// DLQSize bounds the dead-letter queue of writes that failed every retry.
	DLQSize int
	// EventTTL is how long after lastSeen an event is deleted.
	EventTTL time.Duration
	// MaxEvents caps the number of stored events; zero means no cap.
	MaxEvents int
	// MaxStoredBytes caps the approximate serialized size of the stored
	// events; zero means no cap.
	MaxStoredBytes int64
	// GCInterval is how often retention runs.
	GCInterval time.Duration
	// FalcoBufferSize and AuditBufferSize bound the webhook intake queues.
	FalcoBufferSize int
	AuditBufferSize int
	// WatcherPort is the port of the one HTTP server (health, metrics, webhooks).
	WatcherPort int
	// MetricsAuth says who may read /metrics.
	MetricsAuth MetricsAuth
	// LogLevel is the minimum level written to the log.
	LogLevel slog.Level
	// ShutdownTimeout bounds graceful shutdown after SIGTERM, from the
	// signal to the exit.
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long the webhooks keep serving after SIGTERM,
	// with /ready failing, so that endpoints are removed before the
	// listener closes.
	ShutdownDelay time.Duration
	// LeaderElection configures the Lease that elects one replica for the
	// pull sources and retention.
	LeaderElection LeaderElection
	// KubeBenchSelector and CheckovSelector pick the tools' result
	// ConfigMaps, by label, on the server.
	KubeBenchSelector string
	CheckovSelector   string
	// KubeBenchResults are the kube-bench statuses that become findings.
	KubeBenchResults []string
	// TrivyMinSeverity is the lowest Trivy severity that becomes a finding.
	TrivyMinSeverity string
	// KyvernoResults are the policy report results that become findings.
	KyvernoResults []string
	// ToolNamespaces maps each tool to the namespace its pods run in, for
	// tool detection.
	ToolNamespaces ToolNamespaces
	// Webhooks configures the Falco and audit intake.
	Webhooks Webhooks
	// AlertmanagerResendInterval is how often Alertmanager outputs send
	// their open findings again, below Alertmanager's resolve_timeout.
	AlertmanagerResendInterval time.Duration
}

// ToolNamespaces holds the namespace each tool is expected to run in.
type ToolNamespaces struct {
	Trivy     string
	Kyverno   string
	Falco     string
	KubeBench string
	Checkov   string
}

// Getenv looks up one environment variable; os.LookupEnv fits, and tests
// pass a map.
type Getenv func(name string) (string, bool)

// Load reads and validates every variable. The returned error, if any,
// lists each invalid variable with its value and what is allowed.
func Load(getenv Getenv) (Config, error) {
	r := reader{getenv: getenv}
	podNamespace := r.dnsLabel("POD_NAMESPACE", "")
	defaultEventNamespace := "default"
	if podNamespace != "" {
		defaultEventNamespace = podNamespace
	}
	c := Config{
		WatchInterval:     r.duration("WATCH_INTERVAL", 30*time.Second, time.Second, 24*time.Hour),
		DedupWindow:       r.optionalDuration("DEDUP_WINDOW", time.Second, 365*24*time.Hour),
		EventNamespace:    r.dnsLabel("EVENT_NAMESPACE", defaultEventNamespace),
		PodNamespace:      podNamespace,
		ClusterName:       r.dnsSubdomain("CLUSTER_NAME", ""),
		WatchNamespace:    r.dnsLabel("WATCH_NAMESPACE", ""),
		BehaviorMode:      BehaviorMode(r.oneOf("BEHAVIOR_MODE", string(BehaviorAll), string(BehaviorAll), string(BehaviorConservative), string(BehaviorSecurityOnly), string(BehaviorCustom))),
		FilterExpression:  r.text("FILTER_EXPRESSION", "", 4096),
		APIQPS:            r.float("API_QPS", 200, 1, 100_000),
		APIBurst:          r.integer("API_BURST", 400, 1, 100_000),
		WriteQueueSize:    r.integer("WRITE_QUEUE_SIZE", 3_000, 1, 1_000_000),
		WriteWorkers:      r.integer("WRITE_WORKERS", 8, 1, 256),
		FlushInterval:     r.duration("FLUSH_INTERVAL", 2*time.Second, 100*time.Millisecond, time.Minute),
		DLQSize:           r.integer("DLQ_SIZE", 1_000, 1, 1_000_000),
		EventTTL:          r.duration("EVENT_TTL", 7*24*time.Hour, time.Minute, 10*365*24*time.Hour),
		MaxEvents:         r.integer("MAX_EVENTS", 50_000, 0, 10_000_000),
		MaxStoredBytes:    r.bytes("MAX_STORED_BYTES", 256<<20, 0, 1<<40),
		GCInterval:        r.duration("GC_INTERVAL", 5*time.Minute, time.Second, 24*time.Hour),
		FalcoBufferSize:   r.integer("FALCO_BUFFER_SIZE", 100, 1, 1_000_000),
		AuditBufferSize:   r.integer("AUDIT_BUFFER_SIZE", 200, 1, 1_000_000),
		WatcherPort:       r.integer("WATCHER_PORT", 8080, 1, 65535),
		MetricsAuth:       MetricsAuth(r.oneOf("METRICS_AUTH", string(MetricsAuthKubernetes), string(MetricsAuthNone), string(MetricsAuthKubernetes))),
		LogLevel:          r.logLevel("LOG_LEVEL", slog.LevelInfo),
		ShutdownTimeout:   r.duration("SHUTDOWN_TIMEOUT", 25*time.Second, time.Second, 10*time.Minute),
		ShutdownDelay:     r.duration("SHUTDOWN_DELAY", 5*time.Second, 0, 5*time.Minute),
		KubeBenchSelector: r.selector("KUBE_BENCH_SELECTOR", "app=kube-bench"),
		CheckovSelector:   r.selector("CHECKOV_SELECTOR", "app=checkov"),
		KubeBenchResults:  r.subset("KUBE_BENCH_RESULTS", []string{"FAIL"}, "FAIL", "WARN"),
		TrivyMinSeverity:  r.oneOf("TRIVY_MIN_SEVERITY", "HIGH", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"),
		KyvernoResults:    lower(r.subset("KYVERNO_RESULTS", []string{"FAIL"}, "FAIL", "WARN", "ERROR")),
		ToolNamespaces: ToolNamespaces{
			Trivy:     r.dnsLabel("TRIVY_NAMESPACE", "trivy-system"),
			Kyverno:   r.dnsLabel("KYVERNO_NAMESPACE", "kyverno"),
			Falco:     r.dnsLabel("FALCO_NAMESPACE", "falco"),
			KubeBench: r.dnsLabel("KUBE_BENCH_NAMESPACE", "kube-bench"),
			Checkov:   r.dnsLabel("CHECKOV_NAMESPACE", "checkov"),
		},
		Webhooks:                   loadWebhooks(&r),
		AlertmanagerResendInterval: r.duration("ALERTMANAGER_RESEND_INTERVAL", time.Minute, time.Second, 4*time.Minute),
	}
	c.LeaderElection = loadLeaderElection(&r, podNamespace, c.EventNamespace)
	checkShutdown(&r, &c)
	switch {
	case c.BehaviorMode == BehaviorCustom && c.FilterExpression == "":
		r.fail("FILTER_EXPRESSION", "", "required when BEHAVIOR_MODE=custom: a CEL expression over finding, e.g. finding.severity in [\"CRITICAL\",\"HIGH\"]")
	case c.BehaviorMode != BehaviorCustom && c.FilterExpression != "":
		r.fail("FILTER_EXPRESSION", c.FilterExpression, "only read with BEHAVIOR_MODE=custom; set that mode or unset the expression")
	}
	if (c.Webhooks.FalcoAck == AckStored || c.Webhooks.AuditAck == AckStored) && c.FlushInterval > maxStoredFlush {
		r.fail("FLUSH_INTERVAL", c.FlushInterval.String(), "at most "+maxStoredFlush.String()+" while FALCO_ACK or AUDIT_ACK is stored: "+
			"a repeat is stored by the next flush, and a stored acknowledgement waits at most "+AckStoredTimeout.String())
	}
	if c.APIBurst < int(c.APIQPS) {
		r.fail("API_BURST", strconv.Itoa(c.APIBurst), "want at least API_QPS ("+strconv.FormatFloat(c.APIQPS, 'f', -1, 64)+")")
	}
	if len(r.errs) > 0 {
		return Config{}, &Error{Problems: r.errs}
	}
	return c, nil
}

// Error lists every invalid variable found by Load.
type Error struct {
	Problems []error
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return "invalid configuration:\n  " + strings.Join(msgs, "\n  ")
}

// Join merges configuration errors into one, so that problems found in
// separate steps are still reported together; nil errors are skipped, and
// an error that is not a configuration error is returned as it is.
func Join(errs ...error) error {
	var all []error
	for _, err := range errs {
		var ce *Error
		switch {
		case err == nil:
		case errors.As(err, &ce):
			all = append(all, ce.Problems...)
		default:
			return err
		}
	}
	if len(all) == 0 {
		return nil
	}
	return &Error{Problems: all}
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (e *Error) Unwrap() []error { return e.Problems }

// VarError is one invalid variable.
type VarError struct {
	Name    string
	Value   string
	Allowed string
}

func (e *VarError) Error() string {
	return fmt.Sprintf("%s=%q is invalid: %s", e.Name, e.Value, e.Allowed)
}

// IsConfigError reports whether err came from invalid configuration, which
// the daemon answers with exit code 2.
func IsConfigError(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}

func lower(items []string) []string {
	if len(items) == 0 {
		return nil
	}
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.ToLower(s)
	}
	return out
}
