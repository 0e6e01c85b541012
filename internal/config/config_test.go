package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) Getenv {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load with empty env: %v", err)
	}
	want := Config{
		WatchInterval:   30 * time.Second,
		EventNamespace:  "default",
		BehaviorMode:    BehaviorAll,
		FalcoBufferSize: 100,
		AuditBufferSize: 200,
		WatcherPort:     8080,
		MetricsAuth:     MetricsAuthKubernetes,
		LogLevel:        slog.LevelInfo,
		ShutdownTimeout: 25 * time.Second,
		ShutdownDelay:   5 * time.Second,
		LeaderElection: LeaderElection{Enabled: true, Namespace: "default", ID: "zen-watcher",
			LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
		APIQPS:            200,
		APIBurst:          400,
		WriteQueueSize:    3_000,
		WriteWorkers:      8,
		FlushInterval:     2 * time.Second,
		DLQSize:           1_000,
		EventTTL:          7 * 24 * time.Hour,
		MaxEvents:         50_000,
		MaxStoredBytes:    256 << 20,
		GCInterval:        5 * time.Minute,
		KubeBenchSelector: "app=kube-bench",
		CheckovSelector:   "app=checkov",
		KubeBenchResults:  []string{"FAIL"},
		TrivyMinSeverity:  "HIGH",
		KyvernoResults:    []string{"fail"},
		ToolNamespaces: ToolNamespaces{
			Trivy: "trivy-system", Kyverno: "kyverno", Falco: "falco", KubeBench: "kube-bench", Checkov: "checkov",
		},
		Webhooks: Webhooks{
			FalcoMinPriority: "Warning", FalcoMaxBodyBytes: 1 << 20, AuditMaxBodyBytes: 16 << 20, SourceMaxBodyBytes: 1 << 20, SourceBufferSize: 500, MaxInflightBytes: 64 << 20, HMACMaxSkew: 5 * time.Minute, HMACMaxNonces: 2_000_000, IdempotencyTTL: 24 * time.Hour, RateLimitRPS: 1000, RateLimitBurst: 2000,
			FalcoAck: AckAccepted, AuditAck: AckStored,
			AuditTrustedUsers: []string{"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
				"system:node:*", "system:serviceaccount:kube-system:*"},
		},
		AlertmanagerResendInterval: time.Minute,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestLoadValidValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"WATCH_INTERVAL":       "1s",
		"DEDUP_WINDOW":         " 24h ",
		"POD_NAMESPACE":        "zen-system",
		"WATCH_NAMESPACE":      "apps",
		"BEHAVIOR_MODE":        "security-only",
		"FALCO_BUFFER_SIZE":    "1",
		"AUDIT_BUFFER_SIZE":    "1000000",
		"WATCHER_PORT":         "65535",
		"LOG_LEVEL":            "DEBUG",
		"SHUTDOWN_TIMEOUT":     "5s",
		"SHUTDOWN_DELAY":       "1s",
		"WRITE_QUEUE_SIZE":     "500",
		"TRIVY_NAMESPACE":      "trivy",
		"KYVERNO_NAMESPACE":    "policy",
		"FALCO_NAMESPACE":      "runtime",
		"KUBE_BENCH_NAMESPACE": "bench",
		"CHECKOV_NAMESPACE":    "iac",
		"CLUSTER_NAME":         "prod-eu-1.example",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.ClusterName != "prod-eu-1.example" {
		t.Errorf("ClusterName = %q", c.ClusterName)
	}
	if c.WatchInterval != time.Second || c.DedupWindow != 24*time.Hour || c.WatchNamespace != "apps" ||
		c.BehaviorMode != BehaviorSecurityOnly || c.FalcoBufferSize != 1 || c.AuditBufferSize != 1_000_000 ||
		c.WatcherPort != 65535 || c.LogLevel != slog.LevelDebug || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("parsed values wrong: %+v", c)
	}
	if c.EventNamespace != "zen-system" {
		t.Errorf("EventNamespace should default to POD_NAMESPACE, got %q", c.EventNamespace)
	}
	if (c.ToolNamespaces != ToolNamespaces{Trivy: "trivy", Kyverno: "policy", Falco: "runtime", KubeBench: "bench", Checkov: "iac"}) {
		t.Errorf("tool namespaces wrong: %+v", c.ToolNamespaces)
	}
}

func TestLoadWebhooks(t *testing.T) {
	c, err := Load(env(map[string]string{
		"WEBHOOK_TOKEN": " s3cret ", "FALCO_MIN_PRIORITY": "notice", "FALCO_MAX_BODY_BYTES": "1.5Ki",
		"AUDIT_MAX_BODY_BYTES": "1048576", "AUDIT_TRUSTED_USERS": "alice, system:serviceaccount:ops:*", "AUDIT_RULES_FILE": "/etc/zen/rules.yaml",
		"RATE_LIMIT_RPS": "50", "TRUSTED_PROXY_CIDRS": "10.1.2.3/8, 192.168.1.7",
		"FALCO_ACK": "stored", "AUDIT_ACK": "accepted",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Webhooks{Token: "s3cret", HMACMaxSkew: 5 * time.Minute, HMACMaxNonces: 2_000_000, MaxInflightBytes: 64 << 20, IdempotencyTTL: 24 * time.Hour, RateLimitRPS: 50, RateLimitBurst: 2000,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}, FalcoMinPriority: "Notice", FalcoMaxBodyBytes: 1536, AuditMaxBodyBytes: 1 << 20, SourceMaxBodyBytes: 1 << 20, SourceBufferSize: 500,
		AuditTrustedUsers: []string{"alice", "system:serviceaccount:ops:*"}, AuditRulesFile: "/etc/zen/rules.yaml",
		FalcoAck: AckStored, AuditAck: AckAccepted}
	if !reflect.DeepEqual(c.Webhooks, want) {
		t.Errorf("got %+v\nwant %+v", c.Webhooks, want)
	}
	if printed := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(printed, "s3cret") {
		t.Errorf("the token shows when the configuration is printed: %s", printed)
	}
}

func TestLoadRejectsContradictoryWebhookAuth(t *testing.T) {
	for _, vars := range []map[string]string{
		{"WEBHOOK_TOKEN": "t", "WEBHOOK_TOKEN_FILE": "/run/token"},
		{"WEBHOOK_TOKEN": "t", "WEBHOOK_AUTH_DISABLED": "true"},
		{"WEBHOOK_TOKEN_FILE": "/run/token", "WEBHOOK_AUTH_DISABLED": "1"},
		{"HMAC_SECRET": "t", "HMAC_SECRET_FILE": "/run/keys"},
		{"HMAC_SECRET": "t", "WEBHOOK_AUTH_DISABLED": "true"},
		{"FALCO_WEBHOOK_TOKEN": "t", "FALCO_WEBHOOK_TOKEN_FILE": "/run/token"},
		{"AUDIT_HMAC_SECRET": "t", "AUDIT_HMAC_SECRET_FILE": "/run/keys"},
		{"AUDIT_WEBHOOK_TOKEN_FILE": "/run/token", "WEBHOOK_AUTH_DISABLED": "true"},
		{"FALCO_WEBHOOK_TOKEN": "t", "AUDIT_WEBHOOK_TOKEN": "u,t"},
		{"FALCO_HMAC_SECRET": "t", "AUDIT_HMAC_SECRET": "t"},
		{"FALCO_WEBHOOK_AUTH": "token", "AUDIT_WEBHOOK_TOKEN": "t"},
		{"FALCO_WEBHOOK_AUTH": "token", "FALCO_WEBHOOK_TOKEN": "t", "TLS_CERT_FILE": "c", "TLS_KEY_FILE": "k", "TLS_CLIENT_CA_FILE": "ca", "FALCO_TLS_CLIENT_ALLOWED_NAMES": "falco"},
	} {
		_, err := Load(env(vars))
		if err == nil || !IsConfigError(err) {
			t.Errorf("%v: want a configuration error, got %v", vars, err)
		}
		if err != nil && strings.Contains(err.Error(), "=\"t\"") {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	long := strings.Repeat("k", 5000)
	if _, err := Load(env(map[string]string{"WEBHOOK_TOKEN": long})); err == nil || strings.Contains(err.Error(), "kkkk") {
		t.Errorf("an overlong token must be refused without echoing it: %v", err)
	}
}

func TestEventNamespaceOverridesPodNamespace(t *testing.T) {
	c, err := Load(env(map[string]string{"POD_NAMESPACE": "zen-system", "EVENT_NAMESPACE": "security"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.EventNamespace != "security" {
		t.Errorf("EventNamespace = %q, want security", c.EventNamespace)
	}
}

func TestBlankMeansDefault(t *testing.T) {
	c, err := Load(env(map[string]string{"WATCHER_PORT": "  ", "BEHAVIOR_MODE": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WatcherPort != 8080 || c.BehaviorMode != BehaviorAll {
		t.Errorf("blank values should take defaults, got %+v", c)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	namespaceVars := []string{"POD_NAMESPACE", "EVENT_NAMESPACE", "WATCH_NAMESPACE", "TRIVY_NAMESPACE", "KYVERNO_NAMESPACE", "FALCO_NAMESPACE", "KUBE_BENCH_NAMESPACE", "CHECKOV_NAMESPACE"}
	badNamespaces := []string{"Upper", "has_underscore", "-leading", "trailing-", "a.b", strings.Repeat("a", 64), "spa ce", "ns\x00", "名前"}
	type tc struct{ name, value, allowed string }
	cases := []tc{
		{"WATCH_INTERVAL", "0s", "between 1s"},
		{"WATCH_INTERVAL", "999ms", "between 1s"},
		{"WATCH_INTERVAL", "-5s", "between 1s"},
		{"WATCH_INTERVAL", "30", "Go duration"},
		{"WATCH_INTERVAL", "forever", "Go duration"},
		{"WATCH_INTERVAL", "25h", "and 24h0m0s"},
		{"DEDUP_WINDOW", "0", "empty (off)"},
		{"DEDUP_WINDOW", "-1h", "empty (off)"},
		{"DEDUP_WINDOW", "1d", "empty (off)"},
		{"DEDUP_WINDOW", "500ms", "empty (off)"},
		{"BEHAVIOR_MODE", "ALL", "one of all, conservative, security-only, custom"},
		{"BEHAVIOR_MODE", "paranoid", "one of all"},
		{"AUDIT_ACK", "Stored", "one of accepted, stored"},
		{"FALCO_ACK", "always", "one of accepted, stored"},
		{"FLUSH_INTERVAL", "6s", "at most 5s while FALCO_ACK or AUDIT_ACK is stored"},
		{"FALCO_BUFFER_SIZE", "0", "from 1 to 1000000"},
		{"FALCO_BUFFER_SIZE", "-1", "from 1"},
		{"FALCO_BUFFER_SIZE", "1e3", "whole number"},
		{"FALCO_BUFFER_SIZE", "1000001", "to 1000000"},
		{"FALCO_BUFFER_SIZE", "99999999999999999999999", "whole number"},
		{"AUDIT_BUFFER_SIZE", "0", "from 1"},
		{"AUDIT_BUFFER_SIZE", "12.5", "whole number"},
		{"AUDIT_BUFFER_SIZE", "lots", "whole number"},
		{"WATCHER_PORT", "0", "from 1 to 65535"},
		{"WATCHER_PORT", "65536", "from 1 to 65535"},
		{"WATCHER_PORT", ":8080", "whole number"},
		{"WATCHER_PORT", "0x1F90", "whole number"},
		{"LOG_LEVEL", "verbose", "debug, info, warn, error"},
		{"LOG_LEVEL", "5", "debug, info, warn, error"},
		{"SHUTDOWN_TIMEOUT", "0s", "between 1s"},
		{"SHUTDOWN_TIMEOUT", "1h", "and 10m0s"},
		{"API_QPS", "0", "from 1 to 100000"},
		{"API_QPS", "NaN", "number"},
		{"API_QPS", "fast", "number"},
		{"API_QPS", "1e9", "to 100000"},
		{"API_BURST", "0", "from 1"},
		{"API_BURST", "100", "at least API_QPS"},
		{"WRITE_QUEUE_SIZE", "0", "from 1"},
		{"WRITE_WORKERS", "0", "from 1 to 256"},
		{"WRITE_WORKERS", "1000", "to 256"},
		{"FLUSH_INTERVAL", "10ms", "between 100ms"},
		{"FLUSH_INTERVAL", "2m", "and 1m0s"},
		{"DLQ_SIZE", "-3", "from 1"},
		{"EVENT_TTL", "30s", "between 1m0s"},
		{"EVENT_TTL", "7days", "Go duration"},
		{"MAX_EVENTS", "-1", "from 0"},
		{"MAX_EVENTS", "lots", "whole number"},
		{"GC_INTERVAL", "0s", "between 1s"},
		{"FILTER_EXPRESSION", "true", "only read with BEHAVIOR_MODE=custom"},
		{"KUBE_BENCH_SELECTOR", "app in (", "label selector"},
		{"KUBE_BENCH_SELECTOR", "a==b==c", "label selector"},
		{"CHECKOV_SELECTOR", "!!", "label selector"},
		{"KUBE_BENCH_RESULTS", "FAIL,PASS", "list of FAIL, WARN"},
		{"KUBE_BENCH_RESULTS", "everything", "list of FAIL, WARN"},
		{"TRIVY_MIN_SEVERITY", "high", "one of CRITICAL, HIGH"},
		{"TRIVY_MIN_SEVERITY", "UNKNOWN", "one of CRITICAL"},
		{"KYVERNO_RESULTS", "fail,pass", "list of FAIL, WARN, ERROR"},
		{"FILTER_EXPRESSION", strings.Repeat("x", 5000), "at most 4096 bytes"},
		{"WEBHOOK_AUTH_DISABLED", "yes please", "true or false"},
		{"WEBHOOK_TOKEN", ", ,", "holds no token"},
		{"HMAC_SECRET", ",", "holds no key"},
		{"HMAC_MAX_SKEW", "0s", "between 1s"},
		{"HMAC_MAX_SKEW", "2h", "and 1h0m0s"},
		{"HMAC_MAX_NONCES", "10", "from 1000"},
		{"HMAC_MAX_NONCES", "many", "whole number"},
		{"MAX_INFLIGHT_BYTES", "1Ki", "from 1048576"},
		{"MAX_INFLIGHT_BYTES", "8Mi", "at least the largest body limit"},
		{"MAX_INFLIGHT_BYTES", "1Ti", "to 68719476736"},
		{"MAX_STORED_BYTES", "-1", "from 0"},
		{"MAX_STORED_BYTES", "2Ti", "to 1099511627776"},
		{"MAX_STORED_BYTES", "lots", "size in bytes"},
		{"IDEMPOTENCY_TTL", "1s", "between 1m0s"},
		{"RATE_LIMIT_RPS", "-1", "from 0"},
		{"RATE_LIMIT_BURST", "0", "from 1"},
		{"TRUSTED_PROXY_CIDRS", "10.0.0.0/33", "list of CIDRs"},
		{"TRUSTED_PROXY_CIDRS", "proxy.local", "list of CIDRs"},
		{"TLS_KEY_FILE", "/tls/key.pem", "set both TLS_CERT_FILE and TLS_KEY_FILE"},
		{"TLS_CERT_FILE", "/tls/cert.pem", "set both TLS_CERT_FILE and TLS_KEY_FILE"},
		{"TLS_CLIENT_CA_FILE", "/tls/ca.pem", "client certificates need TLS"},
		{"FALCO_WEBHOOK_AUTH", "token,ldap", "list of TOKEN, HMAC, MTLS"},
		{"AUDIT_WEBHOOK_AUTH", "mtls", "mtls is not configured"},
		{"METRICS_AUTH", "token", "one of none, kubernetes"},
		{"METRICS_AUTH", "Kubernetes", "one of none, kubernetes"},
		{"FALCO_WEBHOOK_TOKEN", " , ", "holds no token"},
		{"AUDIT_HMAC_SECRET", ",,", "holds no key"},
		{"TLS_CLIENT_ALLOWED_NAMES", "falco,,audit", "list of certificate names"},
		{"TLS_CLIENT_ALLOWED_NAMES", "falco", "set TLS_CLIENT_CA_FILE too"},
		{"FALCO_TLS_CLIENT_ALLOWED_NAMES", "a.*.svc", "list of certificate names"},
		{"AUDIT_TLS_CLIENT_ALLOWED_NAMES", "kube-apiserver", "set TLS_CLIENT_CA_FILE too"},
		{"FALCO_MIN_PRIORITY", "loud", "one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug"},
		{"FALCO_MAX_BODY_BYTES", "1", "from 1024"},
		{"FALCO_MAX_BODY_BYTES", "2Gi", "to 1073741824"},
		{"FALCO_MAX_BODY_BYTES", "2048.5", "size in bytes"},
		{"FALCO_MAX_BODY_BYTES", "lots", "size in bytes"},
		{"AUDIT_MAX_BODY_BYTES", "-1Mi", "from 1024"},
		{"AUDIT_TRUSTED_USERS", "system:*:admin", "only at the end"},
		{"AUDIT_TRUSTED_USERS", "alice,,bob", "comma-separated list of user names"},
		{"CLUSTER_NAME", "Prod EU", "RFC 1123 subdomain"},
		{"CLUSTER_NAME", "prod/eu", "RFC 1123 subdomain"},
		{"CLUSTER_NAME", strings.Repeat("a", 254), "RFC 1123 subdomain"},
	}
	for _, name := range namespaceVars {
		for _, v := range badNamespaces {
			cases = append(cases, tc{name, v, "RFC 1123 label"})
		}
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{c.name: c.value}))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", c.name, c.value)
			}
			if !IsConfigError(err) {
				t.Fatalf("error is not a config error: %v", err)
			}
			var ve *VarError
			if !errors.As(err, &ve) || ve.Name != c.name {
				t.Fatalf("error does not name %s=%q: %v", c.name, c.value, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.name) || !strings.Contains(msg, c.allowed) {
				t.Errorf("message %q should name the variable and say %q", msg, c.allowed)
			}
		})
	}
}

// TestLoadReportsFiveIndependentErrors sets five problems that have
// nothing to do with each other, webhook contradictions among them, and
// wants all five named in one error.
func TestLoadReportsFiveIndependentErrors(t *testing.T) {
	_, err := Load(env(map[string]string{
		"WEBHOOK_TOKEN": "t", "WEBHOOK_TOKEN_FILE": "/run/token", // both ways of one credential
		"HMAC_SECRET": "k", "HMAC_SECRET_FILE": "/run/keys", // again, for HMAC
		"TLS_KEY_FILE":             "/tls/key.pem", // a key without its certificate
		"TLS_CLIENT_ALLOWED_NAMES": "falco",        // names without a client CA
		"METRICS_AUTH":             "basic",        // an unknown mode
	}))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{"WEBHOOK_TOKEN_FILE", "HMAC_SECRET_FILE", "TLS_KEY_FILE", "TLS_CLIENT_ALLOWED_NAMES", "METRICS_AUTH"}
	var got []string
	for _, p := range ce.Problems {
		var ve *VarError
		if errors.As(p, &ve) {
			got = append(got, ve.Name)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("problems name %v, want %v:\n%v", got, want, err)
	}
	if strings.Contains(err.Error(), `"t"`) || strings.Contains(err.Error(), `"k"`) {
		t.Errorf("the error shows a secret: %v", err)
	}
}

func TestLoadPerEndpointCredentials(t *testing.T) {
	c, err := Load(env(map[string]string{
		"WEBHOOK_TOKEN": "shared", "FALCO_WEBHOOK_TOKEN": "falco-only", "AUDIT_WEBHOOK_TOKEN_FILE": "/run/audit-token",
		"FALCO_HMAC_SECRET_FILE": "/run/falco-keys", "AUDIT_HMAC_SECRET": "audit-key",
		"TLS_CERT_FILE": "/tls/c", "TLS_KEY_FILE": "/tls/k", "TLS_CLIENT_CA_FILE": "/tls/ca",
		"TLS_CLIENT_ALLOWED_NAMES": "ops", "FALCO_TLS_CLIENT_ALLOWED_NAMES": " falco-sidekick, *.falco.svc ",
		"AUDIT_WEBHOOK_AUTH": "token,mtls", "AUDIT_TLS_CLIENT_ALLOWED_NAMES": "kube-apiserver",
	}))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Webhooks
	if w.Token != "shared" || w.Falco.Token != "falco-only" || w.Audit.TokenFile != "/run/audit-token" ||
		w.Falco.HMACSecretFile != "/run/falco-keys" || w.Audit.HMACSecret != "audit-key" {
		t.Errorf("credentials: %+v", w)
	}
	if !slices.Equal(w.TLSClientAllowedNames, []string{"ops"}) || !slices.Equal(w.Falco.AllowedNames, []string{"falco-sidekick", "*.falco.svc"}) ||
		!slices.Equal(w.Audit.AllowedNames, []string{"kube-apiserver"}) {
		t.Errorf("allowed names: %v %v %v", w.TLSClientAllowedNames, w.Falco.AllowedNames, w.Audit.AllowedNames)
	}
	if printed := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(printed, "falco-only") || strings.Contains(printed, "audit-key") {
		t.Errorf("a credential shows when the configuration is printed: %s", printed)
	}
	// A method an endpoint names is configured by its own credentials too.
	if _, err := Load(env(map[string]string{"FALCO_WEBHOOK_AUTH": "hmac", "FALCO_HMAC_SECRET": "k"})); err != nil {
		t.Errorf("FALCO_WEBHOOK_AUTH=hmac with FALCO_HMAC_SECRET: %v", err)
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{
		"WATCH_INTERVAL":  "never",
		"WATCHER_PORT":    "http",
		"BEHAVIOR_MODE":   "loud",
		"EVENT_NAMESPACE": "Bad_NS",
	}))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	if len(ce.Problems) != 4 {
		t.Fatalf("want 4 problems, got %d: %v", len(ce.Problems), err)
	}
	for _, name := range []string{"WATCH_INTERVAL", "WATCHER_PORT", "BEHAVIOR_MODE", "EVENT_NAMESPACE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("message lacks %s: %v", name, err)
		}
	}
}

func TestCustomModeNeedsExpression(t *testing.T) {
	_, err := Load(env(map[string]string{"BEHAVIOR_MODE": "custom"}))
	if err == nil || !strings.Contains(err.Error(), "FILTER_EXPRESSION") || !strings.Contains(err.Error(), "required when BEHAVIOR_MODE=custom") {
		t.Fatalf("custom mode without expression: %v", err)
	}
	c, err := Load(env(map[string]string{"BEHAVIOR_MODE": "custom", "FILTER_EXPRESSION": `finding.severity == "HIGH"`}))
	if err != nil || c.FilterExpression != `finding.severity == "HIGH"` {
		t.Fatalf("custom mode with expression: %+v %v", c, err)
	}
}

func TestKubeBenchResultsAddWarn(t *testing.T) {
	c, err := Load(env(map[string]string{"KUBE_BENCH_RESULTS": "fail, warn,FAIL", "CHECKOV_SELECTOR": "app=checkov,tier in (ci)", "KYVERNO_RESULTS": "fail,warn,error"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.KyvernoResults, []string{"fail", "warn", "error"}) {
		t.Errorf("kyverno results %v", c.KyvernoResults)
	}
	if !reflect.DeepEqual(c.KubeBenchResults, []string{"FAIL", "WARN"}) || c.CheckovSelector != "app=checkov,tier in (ci)" {
		t.Fatalf("got %v %q", c.KubeBenchResults, c.CheckovSelector)
	}
}

func TestJoinMergesConfigurationErrors(t *testing.T) {
	a := &Error{Problems: []error{&VarError{Name: "A"}}}
	b := &Error{Problems: []error{&VarError{Name: "B"}, &VarError{Name: "C"}}}
	var ce *Error
	if err := Join(nil, a, nil, b); !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("Join = %v, want three problems", err)
	}
	if Join(nil, nil) != nil {
		t.Error("Join of nothing is not nil")
	}
	other := errors.New("listening")
	if err := Join(a, other); err != other {
		t.Errorf("an error that is not about configuration must pass through, got %v", err)
	}
}
