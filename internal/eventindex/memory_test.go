package eventindex

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// storedMeta is event i's metadata as the API server sends it to the
// metadata informer: every label the writer sets, managed fields and all.
func storedMeta(i int) []byte {
	key := fmt.Sprintf("apps-%d/Deployment/app-%d/main/CVE-2026-%05d", i%50, i, i)
	return fmt.Appendf(nil, `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":%q,"namespace":"apps-%d",
"uid":"6f1c0b2e-3a4d-4e5f-8a9b-%012d","resourceVersion":"%d","generation":1,"creationTimestamp":"2026-12-03T10:00:00Z",
"labels":{"source":"trivy","category":"security","severity":"HIGH","rule":"CVE-2026-%05d","zen.kube-zen.io/key":%q,
"zen.kube-zen.io/generation":"0","zen.kube-zen.io/origin":"0123456789abcdef","zen.kube-zen.io/origin-scope":"fedcba9876543210"},
"annotations":{"zen.kube-zen.io/origin":"trivy/vulnerabilityreports apps/replicaset-app-main","zen.kube-zen.io/dedup-key":%q},
"managedFields":[{"manager":"zen-watcher","operation":"Update","apiVersion":"zen.kube-zen.io/v1","time":"2026-12-03T10:00:00Z",
"fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:category":{},"f:severity":{},"f:source":{}}},"f:spec":{".":{},"f:source":{}}}}]}}`,
		finding.ObjectName("trivy", key, 0), i%50, i, 1000+i, i, finding.KeyHash("trivy", key), key)
}

// TestStripKeepsWhatTheIndexReads: the stripped entry still answers
// Latest, the counts and the cache's key; the rest is gone.
func TestStripKeepsWhatTheIndexReads(t *testing.T) {
	var m metav1.PartialObjectMetadata
	if err := json.Unmarshal(storedMeta(7), &m); err != nil {
		t.Fatal(err)
	}
	obj, err := stripMetadata(&m)
	if err != nil {
		t.Fatal(err)
	}
	s := obj.(*metav1.PartialObjectMetadata)
	if s.Name != m.Name || s.Namespace != "apps-7" || s.ResourceVersion != "1007" {
		t.Errorf("identity lost: %+v", s.ObjectMeta)
	}
	want := map[string]string{zenv1.LabelSource: "trivy", zenv1.LabelSeverity: "HIGH", zenv1.LabelKeyHash: m.Labels[zenv1.LabelKeyHash], zenv1.LabelGeneration: "0"}
	if fmt.Sprint(s.Labels) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", s.Labels, want)
	}
	if s.Annotations != nil || s.ManagedFields != nil || s.UID != "" {
		t.Errorf("kept what nothing reads: %+v", s.ObjectMeta)
	}
	if k, err := cache.MetaNamespaceKeyFunc(s); err != nil || k != "apps-7/"+m.Name {
		t.Errorf("cache key %q, %v", k, err)
	}
	if hashes, _ := indexByKeyHash(s); len(hashes) != 1 || hashes[0] != m.Labels[zenv1.LabelKeyHash] {
		t.Errorf("indexed under %v", hashes)
	}
}

// BenchmarkIndexMemory fills an index's cache with 10,000 events decoded
// as the informer decodes them and reports the heap each one keeps.
func BenchmarkIndexMemory(b *testing.B) {
	const n = 10_000
	raw := make([][]byte, n)
	for i := range raw {
		raw[i] = storedMeta(i)
	}
	for b.Loop() {
		idx := New(nil, 0)
		store := idx.informer.GetIndexer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range raw {
			m := &metav1.PartialObjectMetadata{}
			if err := json.Unmarshal(raw[i], m); err != nil {
				b.Fatal(err)
			}
			obj, _ := stripMetadata(m)
			if err := store.Add(obj); err != nil {
				b.Fatal(err)
			}
			idx.counts.OnAdd(obj, true)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/event")
		runtime.KeepAlive(store)
	}
}
