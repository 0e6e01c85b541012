package eventindex

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// table is a page as the API server renders it for ZenAgentEvents.
const table = `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"continue":"next"},
"columnDefinitions":[{"name":"Name"},{"name":"Type"},{"name":"State"}],
"rows":[
 {"cells":["kube-bench-1","cis-benchmark-fail","Resolved"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"kube-bench-1","namespace":"ns",
  "labels":{"source":"kube-bench","category":"compliance","severity":"HIGH","zen.kube-zen.io/key":"k1","zen.kube-zen.io/generation":"2",
   "zen.kube-zen.io/origin":"o1","zen.kube-zen.io/origin-scope":"s1"},"annotations":{"zen.kube-zen.io/dedup-key":"node/1.6/1.1.1"}}}},
 {"cells":["kube-bench-2","cis-benchmark-fail",null],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"kube-bench-2","namespace":"ns",
  "labels":{"source":"kube-bench","zen.kube-zen.io/key":"k2"}}}}
]}`

func TestFromTable(t *testing.T) {
	var tb metav1.Table
	if err := json.Unmarshal([]byte(table), &tb); err != nil {
		t.Fatal(err)
	}
	got, err := fromTable(&tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	a, b := got[0], got[1]
	if !a.Resolved || a.EventType != "cis-benchmark-fail" || a.DedupKey != "node/1.6/1.1.1" || a.KeyHash != "k1" || a.Generation != 2 ||
		a.OriginHash != "o1" || a.ScopeHash != "s1" || a.Severity != "HIGH" || a.Namespace != "ns" || a.Name != "kube-bench-1" {
		t.Errorf("first row read as %+v", a)
	}
	if b.Resolved || b.DedupKey != "" || b.OriginHash != "" || b.Generation != 0 {
		t.Errorf("second row (no state, an event from before origins) read as %+v", b)
	}
}

func TestFromTableRefusesWhatItCannotRead(t *testing.T) {
	for name, body := range map[string]string{
		"no State column": `{"columnDefinitions":[{"name":"Type"}],"rows":[]}`,
		"short row":       `{"columnDefinitions":[{"name":"Type"},{"name":"State"}],"rows":[{"cells":["x"],"object":{"metadata":{"name":"a"}}}]}`,
		"no object":       `{"columnDefinitions":[{"name":"Type"},{"name":"State"}],"rows":[{"cells":["x","Open"]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var tb metav1.Table
			if err := json.Unmarshal([]byte(body), &tb); err != nil {
				t.Fatal(err)
			}
			if _, err := fromTable(&tb); err == nil {
				t.Error("read without an error")
			}
		})
	}
}

// FuzzFromTable feeds arbitrary tables to the reader: errors, never panics.
func FuzzFromTable(f *testing.F) {
	f.Add(table)
	f.Add(`{"columnDefinitions":[{"name":"Type"},{"name":"State"}],"rows":[{"cells":[1,{"a":[]}],"object":{"metadata":{"labels":{"zen.kube-zen.io/generation":"-9"}}}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var tb metav1.Table
		if json.NewDecoder(strings.NewReader(body)).Decode(&tb) != nil {
			return
		}
		_, _ = fromTable(&tb)
	})
}
