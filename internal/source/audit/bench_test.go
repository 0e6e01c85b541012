package audit

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// benchEvents is the size of the benchmark's EventList: the API server's
// webhook batches hold up to 400 events by default (--audit-webhook-batch-max-size).
const benchEvents = 400

// realisticList builds a batch as a busy cluster's API server sends it at
// level Metadata: mostly the control plane's own gets, lists, watches and
// lease renewals, some RequestReceived stages, and a few events worth a
// finding, the fixture events among them. It returns the body and the
// number of findings it must give.
func realisticList(tb testing.TB) ([]byte, int) {
	tb.Helper()
	var fx []map[string]any
	for _, name := range singleEvents {
		var m map[string]any
		if err := json.Unmarshal(fixtures.Read(tb, name), &m); err != nil {
			tb.Fatal(err)
		}
		fx = append(fx, m)
	}
	annotations := func(reason string) map[string]any {
		return map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": reason}
	}
	node := withUser("system:node:worker-3", "system:nodes", "system:authenticated")
	routine := []map[string]any{
		{"verb": "get", "user": node, "objectRef": objRef("pods", "shop", "web-7d9c6b5f4-x2k8q"), "requestURI": "/api/v1/namespaces/shop/pods/web-7d9c6b5f4-x2k8q",
			"userAgent": "kubelet/v1.36.3 (linux/amd64) kubernetes/1e11e4a", "annotations": annotations("")},
		{"verb": "watch", "user": node, "objectRef": objRef("configmaps", "shop", ""), "stage": "ResponseStarted",
			"requestURI": "/api/v1/namespaces/shop/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dkube-root-ca.crt&resourceVersion=81234&timeout=7m21s&timeoutSeconds=441&watch=true",
			"userAgent":  "kubelet/v1.36.3 (linux/amd64) kubernetes/1e11e4a", "annotations": annotations("")},
		{"verb": "get", "user": node, "objectRef": objRef("secrets", "shop", "db-credentials"), "requestURI": "/api/v1/namespaces/shop/secrets/db-credentials",
			"userAgent": "kubelet/v1.36.3 (linux/amd64) kubernetes/1e11e4a", "annotations": annotations("")},
		{"verb": "update", "user": withUser("system:kube-scheduler"), "objectRef": objRef("leases", "kube-system", "kube-scheduler", "coordination.k8s.io"),
			"requestURI":  "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s",
			"userAgent":   "kube-scheduler/v1.36.3 (linux/amd64) kubernetes/1e11e4a/leader-election",
			"annotations": annotations(`RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"`)},
		{"verb": "list", "user": withUser("system:serviceaccount:kube-system:endpointslice-controller", "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
			"objectRef": objRef("endpointslices", "", "", "discovery.k8s.io"), "requestURI": "/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0",
			"userAgent": "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/1e11e4a/system:serviceaccount:kube-system:endpointslice-controller", "annotations": annotations("")},
		{"verb": "get", "objectRef": objRef("deployments", "shop", "web", "apps"), "requestURI": "/apis/apps/v1/namespaces/shop/deployments/web"},
		{"verb": "create", "stage": "RequestReceived", "objectRef": objRef("secrets", "shop", ""), "requestURI": "/api/v1/namespaces/shop/secrets", "responseStatus": nil},
		{"verb": "delete", "user": withUser("system:serviceaccount:kube-system:replicaset-controller"), "objectRef": objRef("pods", "shop", "web-7d9c6b5f4-abcde"),
			"requestURI": "/api/v1/namespaces/shop/pods/web-7d9c6b5f4-abcde"},
	}
	important := []map[string]any{
		{"verb": "get", "user": withUser("system:serviceaccount:cert-manager:cert-manager"), "objectRef": objRef("secrets", "shop", "tls"), "requestURI": "/api/v1/namespaces/shop/secrets/tls"},
		{"verb": "update", "objectRef": objRef("configmaps", "shop", "settings"), "requestURI": "/api/v1/namespaces/shop/configmaps/settings"},
		{"verb": "list", "objectRef": objRef("secrets", "", ""), "requestURI": "/api/v1/secrets", "responseStatus": map[string]any{"code": 403}},
	}
	var items [][]byte
	want := 0
	for i := 0; len(items) < benchEvents; i++ {
		var m map[string]any
		switch {
		case i%100 < len(fx):
			m, want = fx[i%100], want+1
		case i%100 < len(fx)+len(important):
			m, want = eventWith(important[i%100-len(fx)]), want+1
		default:
			m = eventWith(routine[i%len(routine)])
		}
		m = merge(m, map[string]any{"auditID": fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)})
		items = append(items, mustJSON(tb, m))
	}
	return list(items...), want
}

func BenchmarkParseEventList(b *testing.B) {
	body, want := realisticList(b)
	custom, err := LoadRules(DefaultTrustedUsers, []byte(exampleRules))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *Parser
	}{{"default", NewParser(nil)}, {"custom", NewParser(custom)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for b.Loop() {
				batch, err := c.p.Parse(body, sourcetest.Now)
				if err != nil || batch.Items != benchEvents || len(batch.Findings) < want {
					b.Fatalf("%d items, %d findings (want %d), %v", batch.Items, len(batch.Findings), want, err)
				}
			}
			runtime.ReadMemStats(&ms1)
			n := float64(b.N * benchEvents)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/event")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n, "allocs/event")
			b.ReportMetric(float64(len(body))/benchEvents, "bytes/event")
		})
	}
}

// BenchmarkEncodingJSONBaseline is what encoding/json would cost (items
// as json.RawMessage, then each into a struct), before any rule runs: the
// reason decode.go uses go-json-experiment/json instead.
func BenchmarkEncodingJSONBaseline(b *testing.B) {
	body, _ := realisticList(b)
	type stdEvent struct {
		Kind, APIVersion, Level, AuditID, Stage, RequestURI, Verb, UserAgent string
		User                                                                 struct {
			Username string
			Groups   []string
		}
		SourceIPs []string
		ObjectRef *struct {
			Resource, Namespace, Name, APIGroup, APIVersion, Subresource string
		}
		ResponseStatus *struct{ Code int32 }
		RequestObject  json.RawMessage
		ResponseObject json.RawMessage
		Annotations    map[string]string
		StageTimestamp string
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var l struct{ Items []json.RawMessage }
		if err := json.Unmarshal(body, &l); err != nil {
			b.Fatal(err)
		}
		for _, it := range l.Items {
			var e stdEvent
			if err := json.Unmarshal(it, &e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchEvents), "ns/event")
}
