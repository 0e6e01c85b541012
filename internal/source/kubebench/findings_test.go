package kubebench

import (
	"reflect"
	"strings"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestFindingsFromFixtures(t *testing.T) {
	// Counts taken independently with jq. The full run's Totals agree:
	// 36 FAIL (all scored, 26 master and 10 node), 49 WARN (none scored).
	cases := []struct {
		file     string
		statuses []string
		want     int
		high     int
	}{
		{withTotals, []string{"FAIL"}, 0, 0},
		{withTotals, []string{"FAIL", "WARN"}, 1, 0},
		{noTotals, []string{"FAIL"}, 0, 0},
		{noTotals, []string{"FAIL", "WARN"}, 1, 0},
		{fullRun, []string{"FAIL"}, 36, 36},
		{fullRun, []string{"FAIL", "WARN"}, 85, 36},
		{fullRun, nil, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+strings.Join(c.statuses, "+"), func(t *testing.T) {
			r, err := Parse(fx.Read(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			fs := Findings(r, "worker-1", c.statuses, sourcetest.Now)
			if len(fs) != c.want {
				t.Fatalf("got %d findings; want %d", len(fs), c.want)
			}
			high, keys := 0, map[string]bool{}
			for _, f := range fs {
				if f.Severity == zenv1.SeverityHigh {
					high++
				}
				if keys[f.DedupKey] {
					t.Errorf("dedup key %q repeats within one run", f.DedupKey)
				}
				keys[f.DedupKey] = true
			}
			if high != c.high {
				t.Errorf("got %d HIGH; want %d", high, c.high)
			}
		})
	}
}

func TestFindingFieldByField(t *testing.T) {
	r, err := Parse(fx.Read(t, fullRun))
	if err != nil {
		t.Fatal(err)
	}
	fs := Findings(r, "worker-1", []string{"FAIL"}, sourcetest.Now)
	want := finding.Finding{
		Source:    "kube-bench",
		Category:  zenv1.CategoryCompliance,
		Severity:  zenv1.SeverityHigh,
		EventType: "cis-benchmark-fail",
		Rule:      "1.1.1", Title: "Ensure that the API server pod specification file permissions are set to 644 or more restrictive (Automated)",
		Resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Node", Name: "worker-1"},
		Details: map[string]any{
			"test_number":       "1.1.1",
			"test_desc":         "Ensure that the API server pod specification file permissions are set to 644 or more restrictive (Automated)",
			"section":           "1.1",
			"remediation":       "Run the below command (based on the file location on your system) on the\nmaster node.\nFor example, chmod 644 /etc/kubernetes/manifests/kube-apiserver.yaml\n",
			"audit":             "/bin/sh -c 'if test -e /etc/kubernetes/manifests/kube-apiserver.yaml; then stat -c permissions=%a /etc/kubernetes/manifests/kube-apiserver.yaml; fi'",
			"actual_value":      "",
			"expected_result":   "'permissions' is present",
			"benchmark_version": "1.6",
			"node_type":         "master",
			"status":            "FAIL",
			"scored":            true,
		},
		DetectedAt: sourcetest.Now,
		DedupKey:   "worker-1/1.6/1.1.1",
	}
	if !reflect.DeepEqual(fs[0], want) {
		t.Errorf("first finding:\n got %#v\nwant %#v", fs[0], want)
	}
	last := fs[len(fs)-1]
	if last.DedupKey != "worker-1/1.6/4.2.7" || last.Details["node_type"] != "node" || last.Details["section"] != "4.2" {
		t.Errorf("last finding: key %q, details %v", last.DedupKey, last.Details)
	}
}

func TestFindingsUnscoredWarnIsMedium(t *testing.T) {
	r, err := Parse(fx.Read(t, withTotals))
	if err != nil {
		t.Fatal(err)
	}
	fs := Findings(r, "cp-1", []string{"FAIL", "WARN"}, sourcetest.Now)
	if len(fs) != 1 {
		t.Fatalf("got %d findings; want 1", len(fs))
	}
	f := fs[0]
	if f.Severity != zenv1.SeverityMedium || f.DedupKey != "cp-1/1.5/3.1.1" ||
		f.Details["scored"] != false || f.Details["status"] != "WARN" || f.Details["node_type"] != "controlplane" {
		t.Errorf("unexpected finding %+v", f)
	}
}

func TestFindingsStatusMatching(t *testing.T) {
	r := Report{Results: []Result{
		{Version: "1.6", TestNumber: "1", Status: "FAIL"},
		{Version: "1.6", TestNumber: "2", Status: "fail"},
		{Version: "1.6", TestNumber: "3", Status: " WARN "},
		{Version: "1.6", TestNumber: "4", Status: "PASS"},
		{Version: "1.6", TestNumber: "5", Status: "INFO"},
		{Version: "1.6", TestNumber: "6", Status: ""},
	}}
	cases := []struct {
		name     string
		statuses []string
		want     []string
	}{
		{"fail", []string{"FAIL"}, []string{"1", "2"}},
		{"lower case", []string{"fail"}, []string{"1", "2"}},
		{"fail and warn", []string{"FAIL", "Warn"}, []string{"1", "2", "3"}},
		{"padded", []string{" warn "}, []string{"3"}},
		{"none", nil, nil},
		{"unknown word", []string{"BROKEN"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range Findings(r, "n", c.statuses, sourcetest.Now) {
				got = append(got, f.Details["test_number"].(string))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v; want %v", got, c.want)
			}
		})
	}
}

func TestFindingsScopeByNodeAndVersion(t *testing.T) {
	r := Report{Results: []Result{{Version: "1.6", TestNumber: "4.2.1", Status: "FAIL"}}}
	a := Findings(r, "node-a", []string{"FAIL"}, sourcetest.Now)[0]
	b := Findings(r, "node-b", []string{"FAIL"}, sourcetest.Now)[0]
	if a.DedupKey == b.DedupKey {
		t.Errorf("two nodes share the key %q", a.DedupKey)
	}
	r.Results[0].Version = "1.7"
	if c := Findings(r, "node-a", []string{"FAIL"}, sourcetest.Now)[0]; c.DedupKey == a.DedupKey {
		t.Errorf("two benchmark versions share the key %q", a.DedupKey)
	}
	if a.Resource == b.Resource {
		t.Error("findings share one ResourceRef")
	}
}

func TestFindingsWithoutNode(t *testing.T) {
	r := Report{Results: []Result{{Version: "1.6", TestNumber: "4.2.1", Status: "FAIL", DetectedVersion: "1.27"}}}
	f := Findings(r, "", []string{"FAIL"}, sourcetest.Now)[0]
	if f.Resource != nil {
		t.Errorf("resource %+v; want none", f.Resource)
	}
	if f.DedupKey != "/1.6/4.2.1" {
		t.Errorf("key %q", f.DedupKey)
	}
	if f.Details["detected_version"] != "1.27" {
		t.Errorf("detected_version missing from %v", f.Details)
	}
}
