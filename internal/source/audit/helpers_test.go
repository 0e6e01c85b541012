package audit

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// The shared fixtures, by file name.
const (
	fxList          = "eventlist_ASSEMBLED_from_falco_traces.json"
	fxCreateSecret  = "falco_trace_create_secret.json"
	fxExecPod       = "falco_trace_exec_pod.json"
	fxClusterAdmin  = "falco_trace_clusterrolebinding_cluster_admin.json"
	fxDeleteDeploy  = "falco_trace_delete_deployment.json"
	fxDeleteSecret  = "falco_trace_delete_secret.json"
	testAuditID     = "5f0e3c2a-1111-4222-8333-444455556666"
	testStageTime   = "2026-05-04T03:02:01.123456Z"
	testReceiveTime = "2026-05-04T03:02:01.100000Z"
)

// maxDepth is jsontext's nesting limit (encoding/json's too): a body
// nested deeper is not JSON to the parser.
const maxDepth = 10000

var (
	fixtures     = sourcetest.Fixtures("k8s-audit")
	singleEvents = []string{fxCreateSecret, fxExecPod, fxClusterAdmin, fxDeleteDeploy, fxDeleteSecret}
)

// parseOK parses body with p and fails the test on a whole-body error or
// a batch whose account does not add up.
func parseOK(tb testing.TB, p *Parser, body []byte) source.Batch {
	tb.Helper()
	b, err := p.Parse(body, sourcetest.Now)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	sourcetest.Accounted(tb, b)
	return b
}

// baseEvent is an unremarkable v1 event: alice gets a pod.
func baseEvent() map[string]any {
	return map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
		"auditID": testAuditID, "stage": "ResponseComplete",
		"requestURI": "/api/v1/namespaces/shop/pods/web-0", "verb": "get",
		"user":                     map[string]any{"username": "alice", "groups": []any{"dev", "system:authenticated"}},
		"sourceIPs":                []any{"10.0.0.7"},
		"userAgent":                "kubectl/v1.36.0",
		"objectRef":                map[string]any{"resource": "pods", "namespace": "shop", "name": "web-0", "apiVersion": "v1"},
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": 200},
		"requestReceivedTimestamp": testReceiveTime,
		"stageTimestamp":           testStageTime,
		"annotations":              map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
	}
}

// eventWith is baseEvent with the given members replaced; a nil value
// removes the member.
func eventWith(over map[string]any) map[string]any {
	e := baseEvent()
	for k, v := range over {
		if v == nil {
			delete(e, k)
			continue
		}
		e[k] = v
	}
	return e
}

// objRef builds an objectRef: resource, namespace, name, then optionally
// apiGroup and subresource.
func objRef(resource, namespace, name string, more ...string) map[string]any {
	m := map[string]any{"resource": resource, "apiVersion": "v1"}
	for k, v := range map[string]string{"namespace": namespace, "name": name} {
		if v != "" {
			m[k] = v
		}
	}
	if len(more) > 0 && more[0] != "" {
		m["apiGroup"] = more[0]
	}
	if len(more) > 1 && more[1] != "" {
		m["subresource"] = more[1]
	}
	return m
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// list wraps raw items in an EventList.
func list(items ...[]byte) []byte {
	out := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	return append(out, "]}"...)
}

// withUser is a user member.
func withUser(name string, groups ...string) map[string]any {
	g := make([]any, len(groups))
	for i, s := range groups {
		g[i] = s
	}
	return map[string]any{"username": name, "groups": g}
}

// merge copies over into a clone of m.
func merge(m, over map[string]any) map[string]any {
	out := make(map[string]any, len(m)+len(over))
	maps.Copy(out, m)
	maps.Copy(out, over)
	return out
}
