package watch

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzMapObject maps arbitrary JSON objects, as a watch could list them,
// with the Warning Events example, for a tenant and for zen-watcher's own
// namespace: nothing panics, and every finding kept stays where its source
// may write.
func FuzzMapObject(f *testing.F) {
	f.Add([]byte(warningEvent))
	for _, seed := range []string{
		`{}`, `{"metadata":{}}`, `{"reason":"BackOff"}`,
		`{"reason":"BackOff","involvedObject":{"kind":"Pod","name":"p","namespace":"other"},"metadata":{"name":"e","creationTimestamp":"2026-12-03T11:00:00Z"},"message":"m"}`,
		`{"reason":"FailedMount","involvedObject":{"kind":"Node","name":"n"},"metadata":{"name":"e","creationTimestamp":"x"},"message":"m","lastTimestamp":"2026-12-03T11:00:00Z"}`,
		`{"reason":["BackOff"],"involvedObject":[],"metadata":1}`, `{"reason":"BackOff","count":1e309}`,
	} {
		f.Add([]byte(seed))
	}
	prog := exampleMapping(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
			return
		}
		u := &unstructured.Unstructured{Object: obj}
		for _, tenant := range []bool{true, false} {
			src := &Source{Namespace: "team-a", Name: "k8s-warnings", Mapper: prog}
			m := mapObject(context.Background(), src, tenant, u, time.Now())
			if m.err != nil && (len(m.found) != 0 || m.reason() == "") {
				t.Fatalf("a rejection with findings %v or no reason: %v", m.found, m.err)
			}
			for _, f := range m.found {
				if f.Source != src.Name || f.Resource == nil || f.DetectedAt.IsZero() || f.DedupKey == "" {
					t.Fatalf("incomplete finding %+v", f)
				}
				if tenant && f.EventNamespace != src.Namespace {
					t.Fatalf("a tenant's finding written in %q", f.EventNamespace)
				}
			}
		}
	})
}
