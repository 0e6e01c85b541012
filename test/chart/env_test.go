package chart

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// fileOnly are the variables the chart never sets on purpose: each has a
// _FILE twin that it sets instead, from a Secret mounted as a file, so
// that the value stays out of the Deployment and rotates without a
// restart.
var fileOnly = map[string]string{
	"WEBHOOK_TOKEN":       "WEBHOOK_TOKEN_FILE",
	"HMAC_SECRET":         "HMAC_SECRET_FILE",
	"FALCO_WEBHOOK_TOKEN": "FALCO_WEBHOOK_TOKEN_FILE",
	"AUDIT_WEBHOOK_TOKEN": "AUDIT_WEBHOOK_TOKEN_FILE",
	"FALCO_HMAC_SECRET":   "FALCO_HMAC_SECRET_FILE",
	"AUDIT_HMAC_SECRET":   "AUDIT_HMAC_SECRET_FILE",
}

// daemonVariables returns every environment variable config.Load looks
// up: the list comes from the code, so a variable added there fails
// TestChartSetsEveryVariableTheDaemonReads until the chart covers it.
func daemonVariables(t *testing.T) []string {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	_, _ = config.Load(func(name string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		seen[name] = true
		return "", false
	})
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("config.Load looked up only %v: the recording getenv is not reaching it", out)
	}
	return out
}

func deployment(t *testing.T, args ...string) *appsv1.Deployment {
	t.Helper()
	u := One(t, Template(t, "zen-watcher", "zen-system", args...), "Deployment")
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &d, true); err != nil {
		t.Fatalf("the rendered Deployment does not decode: %v", err)
	}
	return &d
}

func envNames(t *testing.T, d *appsv1.Deployment) []string {
	t.Helper()
	var names []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if slices.Contains(names, e.Name) {
			t.Errorf("variable %s is set twice", e.Name)
		}
		names = append(names, e.Name)
	}
	return names
}

func TestChartSetsEveryVariableTheDaemonReads(t *testing.T) {
	reads := daemonVariables(t)
	allOn := envNames(t, deployment(t, "-f", Dir()+"/ci/all-on-values.yaml"))
	for _, name := range reads {
		if twin, ok := fileOnly[name]; ok {
			if !slices.Contains(allOn, twin) {
				t.Errorf("%s is left to its file twin %s, which the chart does not set either", name, twin)
			}
			continue
		}
		if !slices.Contains(allOn, name) {
			t.Errorf("the daemon reads %s but the chart cannot set it: add it to values.yaml `config` (and values.schema.json), or wire it in templates/deployment.yaml", name)
		}
	}
	for _, args := range [][]string{nil, {"-f", Dir() + "/ci/all-on-values.yaml"}} {
		for _, name := range envNames(t, deployment(t, args...)) {
			if !slices.Contains(reads, name) || fileOnly[name] != "" {
				t.Errorf("the chart sets %s (values %v), which the daemon does not read", name, args)
			}
		}
	}
}

// The values file's config keys, the schema's and the README's variables
// that are not wired elsewhere must be one list.
func TestConfigKeysMatchSchema(t *testing.T) {
	values := loadYAML(t, Dir()+"/values.yaml")
	schema := loadJSON(t, Dir()+"/values.schema.json")
	cfg := values["config"].(map[string]any)
	props := schema["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)
	for k := range cfg {
		if _, ok := props[k]; !ok {
			t.Errorf("values.yaml config.%s is not in values.schema.json", k)
		}
	}
	for k := range props {
		if _, ok := cfg[k]; !ok {
			t.Errorf("values.schema.json config.%s is not in values.yaml", k)
		}
	}
}

// Every environment the chart renders is one config.Load accepts: the
// defaults, and every variable set at once.
func TestRenderedEnvironmentLoads(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", Dir() + "/ci/all-on-values.yaml"}} {
		d := deployment(t, args...)
		env := map[string]string{}
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			switch {
			case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
				env[e.Name] = "zen-system"
			case e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
				env[e.Name] = "zen-watcher-7d9f8-x2k4p"
			case e.ValueFrom != nil:
				t.Errorf("%s comes from %v; only the namespace and the pod name should come from the downward API", e.Name, e.ValueFrom)
			default:
				env[e.Name] = e.Value
			}
		}
		if _, err := config.Load(func(name string) (string, bool) { v, ok := env[name]; return v, ok }); err != nil {
			t.Errorf("values %v render an environment the daemon refuses:\n%v", args, err)
		}
		if v := env["SHUTDOWN_TIMEOUT"]; !strings.HasSuffix(v, "s") {
			t.Errorf("SHUTDOWN_TIMEOUT = %q", v)
		}
	}
}
