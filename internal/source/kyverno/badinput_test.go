package kyverno

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// report is a small PolicyReport in namespace ns around the given
// top-level members, for odd-input tests.
func report(t *testing.T, members string) *unstructured.Unstructured {
	sep := ""
	if members != "" {
		sep = ","
	}
	return sourcetest.Object(t, `{"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport",
		"metadata":{"name":"r","namespace":"ns"}`+sep+members+`}`)
}

var fail = []string{"fail"}

func TestSubjects(t *testing.T) {
	cases := []struct {
		name, members string
		keys          []string
		noResource    int
	}{
		{"scope", `"scope":{"kind":"Pod","name":"p","namespace":"other"},"results":[{"policy":"a","rule":"b","result":"fail"}]`,
			[]string{"other/Pod/p/a/b"}, 0},
		{"scope without namespace: the report's", `"scope":{"kind":"Pod","name":"p"},"results":[{"policy":"a","rule":"b","result":"fail"}]`,
			[]string{"ns/Pod/p/a/b"}, 0},
		{"scope wins over resources", `"scope":{"kind":"Pod","name":"p"},"results":[{"policy":"a","result":"fail","resources":[{"kind":"Pod","name":"q"}]}]`,
			[]string{"ns/Pod/p/a/"}, 0},
		{"resources, one finding each", `"results":[{"policy":"a","rule":"b","result":"fail","resources":[
			{"kind":"Pod","name":"x","namespace":"n1"},{"kind":"Namespace","name":"n2"}]}]`,
			[]string{"n1/Pod/x/a/b", "/Namespace/n2/a/b"}, 0},
		{"neither scope nor resources", `"results":[{"policy":"a","rule":"b","result":"fail"}]`, nil, 1},
		{"empty resources", `"results":[{"policy":"a","rule":"b","result":"fail","resources":[]}]`, nil, 1},
		{"scope without a name falls back", `"scope":{"kind":"Pod"},"results":[{"policy":"a","result":"fail"},
			{"policy":"b","result":"fail","resources":[{"kind":"Pod","name":"x"}]}]`, []string{"/Pod/x/b/"}, 1},
		{"a resource without a kind", `"results":[{"policy":"a","result":"fail","resources":[{"name":"x"},{"kind":"Pod","name":"y"},{}]}]`,
			[]string{"/Pod/y/a/"}, 2},
		{"unselected results are not counted", `"results":[{"policy":"a","result":"pass"}]`, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Findings(report(t, c.members), fail, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, f := range r.Findings {
				keys = append(keys, f.DedupKey)
			}
			if strings.Join(keys, " ") != strings.Join(c.keys, " ") || r.NoResource != c.noResource {
				t.Errorf("keys %q, no resource %d; want %q, %d", keys, r.NoResource, c.keys, c.noResource)
			}
		})
	}
}

func TestSeverities(t *testing.T) {
	r, err := Findings(report(t, `"scope":{"kind":"Pod","name":"p"},"results":[
		{"policy":"a","result":"fail"},{"policy":"b","result":"fail","severity":""},
		{"policy":"c","result":"fail","severity":"critical"},{"policy":"d","result":"fail","severity":"HIGH"},
		{"policy":"e","result":"fail","severity":"low"},{"policy":"f","result":"fail","severity":"info"},
		{"policy":"g","result":"fail","severity":"severe"},{"policy":"h","result":"pass","severity":"severe"}]`),
		fail, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Details["policy"].(string)+"="+string(f.Severity))
	}
	want := "a=MEDIUM b=MEDIUM c=CRITICAL d=HIGH e=LOW f=INFO g=MEDIUM"
	if strings.Join(got, " ") != want || r.UnknownSeverity != 1 {
		t.Errorf("got %v, unknown %d; want %s, 1", got, r.UnknownSeverity, want)
	}
}

func TestOutcomes(t *testing.T) {
	u := report(t, `"scope":{"kind":"Pod","name":"p"},"results":[{"policy":"1","result":"fail"},{"policy":"2","result":"FAIL"},
		{"policy":"3","result":" warn "},{"policy":"4","result":"error"},{"policy":"5","result":"pass"},
		{"policy":"6","result":"skip"},{"policy":"7"},{"policy":"8","result":""}]`)
	cases := []struct {
		name    string
		results []string
		want    string
	}{
		{"fail", []string{"fail"}, "1 2"},
		{"upper case", []string{"FAIL"}, "1 2"},
		{"fail warn error", []string{"fail", " Warn", "ERROR"}, "1 2 3 4"},
		{"none", nil, ""},
		{"empty word matches nothing useful", []string{"bogus"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Findings(u, c.results, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Details["policy"].(string))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %v; want %s", got, c.want)
			}
		})
	}
}

func TestEmptyReports(t *testing.T) {
	for _, members := range []string{``, `"results":[]`, `"results":null`, `"summary":{"pass":3}`, `"scope":{"kind":"Pod","name":"p"}`} {
		r, err := Findings(report(t, members), fail, sourcetest.Now)
		if err != nil || len(r.Findings) != 0 || r.NoResource != 0 || r.UnknownSeverity != 0 {
			t.Errorf("%s: got %+v, %v; want a clean report", members, r, err)
		}
	}
}

func TestTimestamps(t *testing.T) {
	cases := []struct {
		name, ts string
		want     time.Time
	}{
		{"seconds", `{"seconds":1701868762,"nanos":0}`, time.Unix(1701868762, 0).UTC()},
		{"whole float seconds", `{"seconds":1.701868762e9}`, time.Unix(1701868762, 0).UTC()},
		{"zero is unset", `{"seconds":0,"nanos":0}`, sourcetest.Now},
		{"negative", `{"seconds":-5}`, sourcetest.Now},
		{"past year 9999", `{"seconds":253402300800}`, sourcetest.Now},
		{"past int64", `{"seconds":1e19}`, sourcetest.Now},
		{"no seconds", `{"nanos":5}`, sourcetest.Now},
		{"null", `null`, sourcetest.Now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Findings(report(t, `"scope":{"kind":"Pod","name":"p"},"results":[{"policy":"a","result":"fail","timestamp":`+c.ts+`}]`), fail, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Findings[0].DetectedAt; !got.Equal(c.want) {
				t.Errorf("DetectedAt %v; want %v", got, c.want)
			}
		})
	}
}

func TestHugeReport(t *testing.T) {
	const n = 5000
	r, err := Findings(generatedReport(t, n), []string{"fail", "warn", "error"}, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 3*n/5 || r.NoResource != 0 || r.UnknownSeverity != 0 {
		t.Errorf("got %d findings (%d without resource, %d unknown); want %d", len(r.Findings), r.NoResource, r.UnknownSeverity, 3*n/5)
	}
}

func TestWrongTypes(t *testing.T) {
	cases := []struct{ name, members, path string }{
		{"results is a string", `"results":"none"`, "results"},
		{"results is an object", `"results":{"policy":"a"}`, "results"},
		{"a result is a number", `"results":[1]`, "results[0]"},
		{"result is a boolean", `"results":[{"policy":"a","result":false}]`, "results[0].result"},
		{"policy is a number", `"results":[{"policy":1,"result":"fail"}]`, "results[0].policy"},
		{"rule is an object", `"results":[{"policy":"a","rule":{},"result":"pass"}]`, "results[0].rule"},
		{"severity is a number", `"results":[{"policy":"a","result":"pass","severity":3}]`, "results[0].severity"},
		{"message is an array", `"results":[{"policy":"a","result":"fail","message":["m"]}]`, "results[0].message"},
		{"source is a number", `"results":[{"policy":"a","source":1}]`, "results[0].source"},
		{"category is a boolean", `"results":[{"policy":"a","category":true}]`, "results[0].category"},
		{"scored is a string", `"results":[{"policy":"a","scored":"yes"}]`, "results[0].scored"},
		{"properties is a string", `"results":[{"policy":"a","properties":"p"}]`, "results[0].properties"},
		{"a property is a number", `"results":[{"policy":"a","properties":{"n":1}}]`, "results[0].properties.n"},
		{"timestamp is a string", `"results":[{"policy":"a","timestamp":"2024-01-01T00:00:00Z"}]`, "results[0].timestamp"},
		{"seconds is a string", `"results":[{"policy":"a","timestamp":{"seconds":"1"}}]`, "results[0].timestamp.seconds"},
		{"seconds has a fraction", `"results":[{"policy":"a","timestamp":{"seconds":1.5}}]`, "results[0].timestamp.seconds"},
		{"resources is an object", `"results":[{"policy":"a","resources":{"kind":"Pod"}}]`, "results[0].resources"},
		{"a resource is a string", `"results":[{"policy":"a"},{"policy":"b","resources":["Pod/x"]}]`, "results[1].resources[0]"},
		{"a resource name is a number", `"results":[{"policy":"a","resources":[{"kind":"Pod","name":1}]}]`, "results[0].resources[0].name"},
		{"scope is a string", `"scope":"Pod/x"`, "scope"},
		{"scope kind is a number", `"scope":{"kind":1,"name":"x"}`, "scope.kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Findings(report(t, c.members), fail, sourcetest.Now)
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			if reason := sourcetest.Reason(t, err); reason != source.ReasonWrongType {
				t.Errorf("reason %q; want %q", reason, source.ReasonWrongType)
			}
			if msg := err.Error(); !strings.Contains(msg, " "+c.path+" is ") || !strings.Contains(msg, "kyverno PolicyReport ns/r") {
				t.Errorf("message %q should name the report and %s", msg, c.path)
			}
			if r.Findings != nil {
				t.Errorf("findings with an error: %+v", r)
			}
		})
	}
}

func TestNoObject(t *testing.T) {
	for _, u := range []*unstructured.Unstructured{nil, {}} {
		if _, err := Findings(u, fail, sourcetest.Now); err == nil || sourcetest.Reason(t, err) != source.ReasonNoPayload {
			t.Errorf("%#v: err %v; want %s", u, err, source.ReasonNoPayload)
		}
	}
	for _, obj := range []map[string]any{{}, {"metadata": map[string]any{}}} {
		r, err := Findings(&unstructured.Unstructured{Object: obj}, fail, sourcetest.Now)
		if err != nil || len(r.Findings) != 0 {
			t.Errorf("%v: got %+v, %v; want nothing", obj, r, err)
		}
	}
}
