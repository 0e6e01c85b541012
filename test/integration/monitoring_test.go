package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/yaml"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// The chart's monitoring files, relative to the repository root.
const (
	rulesFile     = "deploy/charts/zen-watcher/rules/zen-watcher.rules.yaml"
	dashboardsDir = "deploy/charts/zen-watcher/dashboards"
	runbooksFile  = "docs/runbooks.md"
)

// prometheusMade are series Prometheus writes itself for every scrape
// target; no exporter registers them.
var prometheusMade = map[string]bool{"up": true}

// histogramSeries are the series a histogram family is exposed as.
var histogramSeries = []string{"_bucket", "_sum", "_count"}

// ruleFile is the part of a Prometheus rule file the runbook check reads.
type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Record      string            `json:"record"`
			Expr        string            `json:"expr"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil { // promql-names validates it strictly, as Prometheus loads it
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatalf("%s: no groups", rulesFile)
	}
	return rf
}

// query is one PromQL expression, where it was found, and the metric
// names Prometheus' parser found in it.
type query struct {
	Where   string   `json:"where"`
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error"`
}

// parsedQueries runs bin/promql-names (built by `make tools` from the
// promtool module, hack/tools/prometheus) on the rules and every
// dashboard: Prometheus' parser stays out of this module's dependencies.
func parsedQueries(t *testing.T) []query {
	t.Helper()
	tool := filepath.Join(repoRoot(), "bin", "promql-names")
	if _, err := os.Stat(tool); err != nil {
		t.Fatalf("no %s (run `make tools`): %v", tool, err)
	}
	dashboards, err := filepath.Glob(filepath.Join(repoRoot(), dashboardsDir, "*.json"))
	if err != nil || len(dashboards) == 0 {
		t.Fatalf("no dashboards in %s: %v", dashboardsDir, err)
	}
	args := []string{"-rules", filepath.Join(repoRoot(), rulesFile)}
	for _, d := range dashboards {
		args = append(args, "-dashboard", d)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tool, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("promql-names: %v\n%s", err, stderr.String())
	}
	var qs []query
	if err := json.Unmarshal(out, &qs); err != nil {
		t.Fatalf("promql-names output: %v", err)
	}
	return qs
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// registered is what the running daemon's registry holds: every family a
// collector describes, and the type of every family it has emitted.
type registered struct {
	names map[string]bool
	types map[string]dto.MetricType
}

func registeredMetrics(t *testing.T, reg *prometheus.Registry) registered {
	t.Helper()
	r := registered{names: map[string]bool{}, types: map[string]dto.MetricType{}}
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	for d := range ch {
		// A Desc exposes its name only through String().
		m := descName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no fqName in %s", d)
		}
		r.names[m[1]] = true
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		r.names[f.GetName()] = true
		r.types[f.GetName()] = f.GetType()
	}
	return r
}

// check says why name is not a series the daemon exposes, or "".
func (r registered) check(name string) string {
	if r.names[name] || prometheusMade[name] {
		return ""
	}
	for _, suffix := range histogramSeries {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok || !r.names[base] {
			continue
		}
		switch typ, known := r.types[base]; {
		case !known:
			return fmt.Sprintf("%s is registered but was never emitted, so its type is unknown", base)
		case typ == dto.MetricType_HISTOGRAM || (suffix != "_bucket" && typ == dto.MetricType_SUMMARY):
			return ""
		default:
			return fmt.Sprintf("%s is a %s, which has no %s series", base, typ, suffix)
		}
	}
	return "not registered by the daemon"
}

// TestRulesAndDashboardsQueryRegisteredMetrics has every PromQL expression
// of the alert rules and the Grafana dashboards parsed by Prometheus' parser
// and checks each metric it selects against the registry of a running
// daemon: an alert on
// a metric that does not exist never fires, and a panel stays empty.
func TestRulesAndDashboardsQueryRegisteredMetrics(t *testing.T) {
	d := startDaemonWith(t, restConfig, func(c *config.Config) { c.Webhooks.Token = webhookToken })
	d.waitReady(t, 200)
	// One alert through the webhook and into the API server: both
	// histograms observe, so their types are known.
	if code, body := d.post(t, "/falco/webhook", webhookToken, readFixture(t, "falco/syscall_terminal_shell_in_container.json")); code != 202 {
		t.Fatalf("falco webhook: %d %s", code, body)
	}
	var reg registered
	eventually(t, "histograms emitted", func() error {
		reg = registeredMetrics(t, d.registry)
		for _, h := range []string{"zen_watcher_webhook_request_duration_seconds", "zen_watcher_api_write_duration_seconds"} {
			if reg.types[h] != dto.MetricType_HISTOGRAM {
				return fmt.Errorf("%s not emitted yet", h)
			}
		}
		return nil
	})

	// The check bites: a name nobody registers, and a histogram suffix on a counter.
	for _, bad := range []string{"zen_watcher_no_such_metric", "zen_watcher_events_total_bucket"} {
		if reg.check(bad) == "" {
			t.Errorf("%s passes the check", bad)
		}
	}
	queries := parsedQueries(t)
	used := map[string]bool{}
	for _, q := range queries {
		if q.Error != "" {
			t.Errorf("%s: %q: %s", q.Where, q.Expr, q.Error)
			continue
		}
		for _, n := range q.Metrics {
			used[n] = true
			if why := reg.check(n); why != "" {
				t.Errorf("%s: %s: %s", q.Where, n, why)
			}
		}
	}
	if len(queries) < 10 {
		t.Errorf("only %d expressions found: the rules or dashboards were not read", len(queries))
	}
	t.Logf("%d expressions checked, %d metrics used", len(queries), len(used))
}

// TestEveryAlertHasARunbook checks that every alert links to a section of
// docs/runbooks.md that exists, and that every section belongs to an alert.
func TestEveryAlertHasARunbook(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(), runbooksFile))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if title, ok := strings.CutPrefix(line, "## "); ok {
			sections[title] = true
		}
	}
	var alerts []string
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			url := r.Annotations["runbook_url"]
			_, anchor, _ := strings.Cut(url, "#")
			if !strings.HasSuffix(strings.TrimSuffix(url, "#"+anchor), "/"+runbooksFile) || anchor != strings.ToLower(r.Alert) {
				t.Errorf("%s: runbook_url %q: want …/%s#%s", r.Alert, url, runbooksFile, strings.ToLower(r.Alert))
			}
			if !sections[r.Alert] {
				t.Errorf("%s: no \"## %s\" section in %s", r.Alert, r.Alert, runbooksFile)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: want a summary and a description", r.Alert)
			}
		}
	}
	for s := range sections {
		if !slices.Contains(alerts, s) {
			t.Errorf("%s has a section %q for no alert", runbooksFile, s)
		}
	}
}
