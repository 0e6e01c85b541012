package watch

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// warningEvent is a Warning Event as the API server returns it, with the
// managedFields a kubelet's Event carries.
const warningEvent = `{"apiVersion":"v1","kind":"Event","metadata":{"name":"web-7d4b9c-xk2lp.1836a1f2c4e5d6b7","namespace":"shop",
"uid":"5a0f2c3e-9d1b-4e7a-8c6f-2b3d4e5f6a7b","resourceVersion":"481516","creationTimestamp":"2026-12-03T11:00:00Z",
"managedFields":[{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2026-12-03T11:05:00Z","fieldsType":"FieldsV1",
"fieldsV1":{"f:count":{},"f:firstTimestamp":{},"f:involvedObject":{},"f:lastTimestamp":{},"f:message":{},"f:reason":{},
"f:reportingComponent":{},"f:reportingInstance":{},"f:source":{"f:component":{},"f:host":{}},"f:type":{}}}]},
"involvedObject":{"kind":"Pod","namespace":"shop","name":"web-7d4b9c-xk2lp","uid":"0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9",
"apiVersion":"v1","resourceVersion":"481200","fieldPath":"spec.containers{web}"},
"reason":"BackOff","message":"Back-off restarting failed container web in pod web-7d4b9c-xk2lp_shop(0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9)",
"source":{"component":"kubelet","host":"node-3"},"firstTimestamp":"2026-12-03T11:00:00Z","lastTimestamp":"2026-12-03T11:05:00Z",
"count":12,"type":"Warning","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"node-3"}`

// eventMapper keeps what the Warning Events example keeps.
var eventMapper = MapperFunc(func(_ context.Context, o map[string]any) (finding.Finding, bool, error) {
	reason, _, _ := unstructured.NestedString(o, "reason")
	msg, _, _ := unstructured.NestedString(o, "message")
	io, _, _ := unstructured.NestedStringMap(o, "involvedObject")
	return finding.Finding{
		Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium, EventType: "kubernetes-warning", Rule: reason, Title: msg,
		Resource: &zenv1.ResourceRef{APIVersion: io["apiVersion"], Kind: io["kind"], Name: io["name"], Namespace: io["namespace"]},
		DedupKey: io["namespace"] + "/" + io["kind"] + "/" + io["name"] + "/" + reason,
		Details:  map[string]any{"message": msg, "component": "kubelet"},
	}, true, nil
})

// BenchmarkCachedEvent measures the heap one Warning Event holds in the
// informer's cache: the object as listed, and what the watch keeps of it.
// Run: go test -run '^$' -bench CachedEvent ./internal/dynsource/watch/
func BenchmarkCachedEvent(b *testing.B) {
	const n = 2000
	src := &Source{Namespace: "zen-system", Name: "k8s-warnings", Mapper: eventMapper}
	for _, tc := range []struct {
		name string
		keep func(u *unstructured.Unstructured) any
	}{
		{"object", func(u *unstructured.Unstructured) any { return u }},
		{"mapped", func(u *unstructured.Unstructured) any {
			return mapObject(context.Background(), src, false, u, time.Now())
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var perObject float64
			for b.Loop() {
				held := make([]any, 0, n)
				before := heapInUse()
				for range n {
					var obj map[string]any
					if err := json.Unmarshal([]byte(warningEvent), &obj); err != nil {
						b.Fatal(err)
					}
					held = append(held, tc.keep(&unstructured.Unstructured{Object: obj}))
				}
				perObject = float64(heapInUse()-before) / n
				runtime.KeepAlive(held)
			}
			b.ReportMetric(perObject, "B/cached")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
