package watch

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/mapping"
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

// exampleMapping compiles the mapping of the Warning Events example.
func exampleMapping(tb testing.TB) *mapping.Program {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "examples", "sources", "warning-events.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var zs v1alpha1.ZenSource
	if err := yaml.UnmarshalStrict(b, &zs); err != nil {
		tb.Fatal(err)
	}
	p, err := mapping.Compile(zs.Spec.Mapping, mapping.VarObject)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkCachedEvent measures the heap one Warning Event holds in the
// informer's cache: the object as listed, and what the watch keeps of it.
// Run: go test -run '^$' -bench CachedEvent ./internal/dynsource/watch/
func BenchmarkCachedEvent(b *testing.B) {
	const n = 2000
	src := &Source{Namespace: "zen-system", Name: "k8s-warnings", Mapper: exampleMapping(b)}
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
				if m, ok := held[0].(*mapped); ok && (m.err != nil || len(m.found) != 1) {
					b.Fatalf("the example maps the Event to %v, %v", m.found, m.err)
				}
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

// The example's mapping turns a real Event into the finding its comments
// promise.
func TestExampleMapsAWarningEvent(t *testing.T) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(warningEvent), &obj); err != nil {
		t.Fatal(err)
	}
	m := mapObject(context.Background(), &Source{Namespace: "zen-system", Name: "k8s-warnings", Mapper: exampleMapping(t)}, false,
		&unstructured.Unstructured{Object: obj}, time.Now())
	if m.err != nil || len(m.found) != 1 {
		t.Fatalf("%v %v", m.found, m.err)
	}
	f := m.found[0]
	if f.Severity != "MEDIUM" || f.Rule != "BackOff" || f.Resource.Kind != "Pod" || f.Resource.Name != "web-7d4b9c-xk2lp" ||
		f.EventNamespace != "shop" || f.DedupKey != "zen-system/k8s-warnings/shop/Pod/web-7d4b9c-xk2lp/BackOff" ||
		!f.DetectedAt.Equal(time.Date(2026, 12, 3, 11, 5, 0, 0, time.UTC)) || f.Details["count"] != float64(12) {
		t.Errorf("finding: %+v", f)
	}
	obj["reason"] = "Pulled"
	if m := mapObject(context.Background(), &Source{Namespace: "zen-system", Name: "k8s-warnings", Mapper: exampleMapping(t)}, false,
		&unstructured.Unstructured{Object: obj}, time.Now()); !m.dropped {
		t.Errorf("a reason the example does not keep: %+v", m)
	}
}
