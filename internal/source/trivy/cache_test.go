package trivy

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

func TestStripBelowKeepsEveryFinding(t *testing.T) {
	now := time.Now()
	for _, min := range []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityLow, zenv1.SeverityInfo} {
		for name, u := range map[string]*unstructured.Unstructured{"generated": generatedReport(t, 200)} {
			want, err := VulnerabilityFindings(u.DeepCopy(), min, now)
			if err != nil {
				t.Fatal(err)
			}
			stripped, _ := StripBelow(min)(u.DeepCopy())
			got, err := VulnerabilityFindings(stripped.(*unstructured.Unstructured), min, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s at %s: findings differ after StripBelow", name, min)
			}
		}
	}
}

// TestInformerCacheMemory reports what 1,000 realistic VulnerabilityReports
// (100 entries each: two fifths HIGH or above, one fifth UNKNOWN) cost in an informer's
// store: as they arrive, with Strip, and with StripBelow(HIGH). It logs
// figures and asserts only that each transform saves memory.
func TestInformerCacheMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 1,000 reports")
	}
	template := generatedReport(t, 100)
	measure := func(transform func(any) (any, error)) uint64 {
		store := cache.NewStore(cache.MetaNamespaceKeyFunc)
		before := heapAlloc()
		for i := range 1000 {
			u := template.DeepCopy()
			u.SetName(fmt.Sprintf("report-%d", i))
			obj := any(u)
			if transform != nil {
				obj, _ = transform(obj)
			}
			_ = store.Add(obj)
		}
		after := heapAlloc()
		runtime.KeepAlive(store)
		return after - before
	}
	raw, stripped, below := measure(nil), measure(Strip), measure(StripBelow(zenv1.SeverityHigh))
	t.Logf("1,000 reports of 100 vulnerabilities: raw %.1f MiB, Strip %.1f MiB, StripBelow(HIGH) %.1f MiB",
		mib(raw), mib(stripped), mib(below))
	if stripped >= raw || below >= stripped {
		t.Errorf("transforms should save memory: raw %d, Strip %d, StripBelow %d", raw, stripped, below)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
