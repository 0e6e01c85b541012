package config

import (
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary values to every variable: Load must never panic,
// and must either accept or name at least one variable in its error.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"", "30s", "0", "-1", "custom", "kube-system", "1e309", "NaN", "\x00", strings.Repeat("9", 40)} {
		f.Add(seed)
	}
	names := []string{"WATCH_INTERVAL", "DEDUP_WINDOW", "EVENT_NAMESPACE", "POD_NAMESPACE", "WATCH_NAMESPACE", "BEHAVIOR_MODE",
		"FILTER_EXPRESSION", "API_QPS", "API_BURST", "WRITE_QUEUE_SIZE", "WRITE_WORKERS", "FLUSH_INTERVAL", "DLQ_SIZE", "EVENT_TTL",
		"MAX_EVENTS", "GC_INTERVAL", "KUBE_BENCH_SELECTOR", "CHECKOV_SELECTOR", "KUBE_BENCH_RESULTS", "TRIVY_MIN_SEVERITY", "KYVERNO_RESULTS", "FALCO_BUFFER_SIZE", "AUDIT_BUFFER_SIZE", "WATCHER_PORT", "LOG_LEVEL", "SHUTDOWN_TIMEOUT",
		"TRIVY_NAMESPACE", "KYVERNO_NAMESPACE", "FALCO_NAMESPACE", "KUBE_BENCH_NAMESPACE", "CHECKOV_NAMESPACE",
		"CLUSTER_NAME", "WEBHOOK_TOKEN", "WEBHOOK_TOKEN_FILE", "WEBHOOK_AUTH_DISABLED", "FALCO_MIN_PRIORITY", "FALCO_MAX_BODY_BYTES", "AUDIT_MAX_BODY_BYTES",
		"AUDIT_TRUSTED_USERS", "AUDIT_RULES_FILE", "HMAC_SECRET", "HMAC_SECRET_FILE", "HMAC_MAX_SKEW", "IDEMPOTENCY_TTL",
		"RATE_LIMIT_RPS", "RATE_LIMIT_BURST", "TRUSTED_PROXY_CIDRS", "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CLIENT_CA_FILE",
		"FALCO_WEBHOOK_AUTH", "AUDIT_WEBHOOK_AUTH", "METRICS_AUTH", "TLS_CLIENT_ALLOWED_NAMES", "FALCO_TLS_CLIENT_ALLOWED_NAMES", "AUDIT_TLS_CLIENT_ALLOWED_NAMES",
		"FALCO_WEBHOOK_TOKEN", "FALCO_WEBHOOK_TOKEN_FILE", "AUDIT_WEBHOOK_TOKEN", "AUDIT_WEBHOOK_TOKEN_FILE",
		"FALCO_HMAC_SECRET", "FALCO_HMAC_SECRET_FILE", "AUDIT_HMAC_SECRET", "AUDIT_HMAC_SECRET_FILE"}
	f.Fuzz(func(t *testing.T, value string) {
		for _, name := range names {
			_, err := Load(env(map[string]string{name: value}))
			if err != nil && !strings.Contains(err.Error(), "=") {
				t.Fatalf("%s=%q: error names no variable: %v", name, value, err)
			}
		}
	})
}
