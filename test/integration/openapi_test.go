package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/kube-zen/zen-watcher/api"
	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// TestAnswersMatchTheDocument records real answers of the running daemon,
// for every documented operation and the refusals, and validates each
// against api/openapi.yaml; the valid request bodies, taken from the
// fixtures, are validated against its payload schemas too.
func TestAnswersMatchTheDocument(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	admin := adminTokens(t, ns)
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.PodNamespace = ns
		c.MetricsAuth = config.MetricsAuthKubernetes
		c.Webhooks.Token = webhookToken
		c.Webhooks.FalcoMaxBodyBytes = 4096
		c.Webhooks.RateLimitRPS, c.Webhooks.RateLimitBurst = 0.001, 9 // the tenth webhook request past 413 and 415, the last, is limited
	})
	d.waitReady(t, http.StatusOK)
	type call struct {
		name, method, path, body string
		header                   []string
		want                     int
		validateRequest          bool
	}
	token := []string{"Authorization", "Bearer " + webhookToken}
	operator := []string{"Authorization", "Bearer " + admin["operator"]}
	scraper := []string{"Authorization", "Bearer " + admin["scraper"]}
	nobody := []string{"Authorization", "Bearer " + admin["nobody"]}
	calls := []call{
		{"health", "GET", "/health", "", nil, 200, false},
		{"ready", "GET", "/ready", "", nil, 200, false},
		{"readyz", "GET", "/readyz", "", nil, 200, false},
		{"ready verbose", "GET", "/ready?verbose", "", nil, 200, true},
		{"metrics", "GET", "/metrics", "", scraper, 200, false},
		{"metrics without a token", "GET", "/metrics", "", nil, 401, false},
		{"metrics forbidden", "GET", "/metrics", "", nobody, 403, false},
		{"document", "GET", "/openapi.yaml", "", nil, 200, false},
		{"tools", "GET", "/api/v1/tools", "", operator, 200, false},
		{"tools without a token", "GET", "/api/v1/tools", "", nil, 401, false},
		{"tools forbidden", "GET", "/api/v1/tools", "", nobody, 403, false},
		{"dlq", "GET", "/api/v1/dlq", "", operator, 200, false},
		{"dlq with the webhook token", "GET", "/api/v1/dlq", "", token, 401, false},
		{"dlq forbidden", "GET", "/api/v1/dlq", "", scraper, 403, false},
		{"replay", "POST", "/api/v1/dlq/replay", "", operator, 200, false},
		{"replay without a token", "POST", "/api/v1/dlq/replay", "", nil, 401, false},
		{"replay forbidden", "POST", "/api/v1/dlq/replay", "", nobody, 403, false},
		{"falco alert", "POST", "/falco/webhook", string(readFixture(t, "falco/syscall_terminal_shell_in_container.json")), token, 202, true},
		{"falco snapshot", "POST", "/falco/webhook", string(readFixture(t, "falco/internal_metrics_snapshot.json")), token, 202, true},
		{"audit list", "POST", "/audit/webhook", string(readFixture(t, "k8s-audit/eventlist_ASSEMBLED_from_falco_traces.json")), token, 202, true},
		{"retry", "POST", "/falco/webhook", string(readFixture(t, "falco/falcosidekick_test_input.json")), append(token, webhook.HeaderRequestID, "doc-1"), 202, true},
		{"retry again", "POST", "/falco/webhook", string(readFixture(t, "falco/falcosidekick_test_input.json")), append(token, webhook.HeaderRequestID, "doc-1"), 202, false},
		{"id reused", "POST", "/falco/webhook", "{}", append(token, webhook.HeaderRequestID, "doc-1"), 409, false},
		{"broken item", "POST", "/falco/webhook", `{"rule":"r","priority":5}`, token, 400, false},
		{"no token", "POST", "/falco/webhook", "{}", nil, 401, false},
		{"too large", "POST", "/falco/webhook", strings.Repeat("x", 5000), token, 413, false},
		{"form", "POST", "/falco/webhook", "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, false},
		{"version", "POST", "/audit/webhook", "{}", append(token, webhook.HeaderContractVersion, "v2"), 400, false},
		{"no such source", "POST", "/api/v1/sources/" + ns + "/none", "{}", token, 404, false},
		{"limited", "POST", "/falco/webhook", "{}", token, 429, false},
	}
	for _, c := range calls {
		req, _ := http.NewRequest(c.method, d.url+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(c.header); i += 2 {
			req.Header.Set(c.header[i], c.header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, resp.StatusCode, c.want, body)
			continue
		}
		// The router matches on the document's paths: ask it with a
		// request that carries the path alone.
		routed, _ := http.NewRequest(c.method, c.path, bytes.NewReader([]byte(c.body)))
		routed.Header = req.Header
		route, params, err := router.FindRoute(routed)
		if err != nil {
			t.Errorf("%s: no documented operation: %v", c.name, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if c.validateRequest {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				t.Errorf("%s: the request does not match the document: %v", c.name, err)
			}
		}
		if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}); err != nil {
			t.Errorf("%s: the %d answer does not match the document: %v\n%s", c.name, resp.StatusCode, err, body)
		}
	}
	// A method the document does not list: the 405 is still a Problem.
	req, _ := http.NewRequest(http.MethodGet, d.url+"/falco/webhook", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var problem any
	if err := json.NewDecoder(resp.Body).Decode(&problem); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %d %v", resp.StatusCode, err)
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(problem); err != nil {
		t.Errorf("the 405 answer is not a Problem: %v", err)
	}
}
