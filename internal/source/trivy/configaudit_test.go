package trivy

import (
	"reflect"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestConfigAuditFixtureCounts(t *testing.T) {
	// Counts taken independently with a Python script over report.checks[]
	// with success false, per minimum (CRITICAL .. INFO). Every check of
	// both fixtures failed.
	cases := []struct {
		file string
		want [5]int
	}{
		{corednsAudit, [5]int{0, 0, 0, 1, 1}},
		{podAudit, [5]int{0, 1, 4, 13, 13}},
		{nginxVulns, [5]int{}},
		{corednsVulns, [5]int{}},
		{clusterVulns, [5]int{}},
	}
	for _, c := range cases {
		u := fx.One(t, c.file)
		for i, min := range allSeverities {
			t.Run(c.file+"/"+string(min), func(t *testing.T) {
				r, err := ConfigAuditFindings(u, min, sourcetest.Now)
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Findings) != c.want[i] || r.Skipped != 0 || r.UnknownSeverity != 0 || r.MissingLabels {
					t.Fatalf("got %d findings, result %+v; want %d and nothing skipped", len(r.Findings), r, c.want[i])
				}
				keys := map[string]bool{}
				for _, f := range r.Findings {
					if keys[f.DedupKey] {
						t.Errorf("dedup key %q repeats", f.DedupKey)
					}
					keys[f.DedupKey] = true
				}
			})
		}
	}
}

func TestConfigAuditFieldByField(t *testing.T) {
	cases := []struct {
		file  string
		min   zenv1.Severity
		index int
		want  finding.Finding
	}{{
		corednsAudit, zenv1.SeverityLow, 0, finding.Finding{
			Source: "trivy", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityLow,
			EventType: "config-audit",
			Rule:      "KSV110", Title: "The default namespace should not be used",
			Resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "ReplicaSet",
				Name: "coredns-558bd4d5dc", Namespace: "kube-system"},
			Details: map[string]any{
				"checkID":     "KSV110",
				"title":       "The default namespace should not be used",
				"description": "ensure that default namespace should not be used",
				"messages":    []string{"Service 'kubernetes' should not be set with 'default' namespace"},
				"remediation": "",
				"category":    "Kubernetes Security Check",
				"severity":    "LOW",
			},
			DetectedAt: time.Date(2023, 1, 29, 19, 1, 44, 0, time.UTC),
			DedupKey:   "kube-system/ReplicaSet/coredns-558bd4d5dc/KSV110",
		},
	}, {
		// The one HIGH check; the report has no timestamps at all.
		podAudit, zenv1.SeverityHigh, 0, finding.Finding{
			Source: "trivy", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh,
			EventType: "config-audit",
			Rule:      "KSV014", Title: "Root file system is not read-only",
			Resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "my-pod", Namespace: "default"},
			Details: map[string]any{
				"checkID": "KSV014",
				"title":   "Root file system is not read-only",
				"description": "An immutable root file system prevents applications from writing to " +
					"their local disk. This can limit intrusions, as attackers will not be able to tamper " +
					"with the file system or write foreign executables to disk.",
				"messages":    []string{"Container 'app' of Pod 'my-pod' should set 'securityContext.readOnlyRootFilesystem' to true"},
				"remediation": "Change 'containers[].securityContext.readOnlyRootFilesystem' to 'true'.",
				"category":    "Kubernetes Security Check",
				"severity":    "HIGH",
			},
			DetectedAt: sourcetest.Now,
			DedupKey:   "default/Pod/my-pod/KSV014",
		},
	}}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := ConfigAuditFindings(fx.One(t, c.file), c.min, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Findings[c.index]; !reflect.DeepEqual(got, c.want) {
				t.Errorf("finding %d:\n got %#v\nwant %#v", c.index, got, c.want)
			}
		})
	}
}

func TestConfigAuditSkipsPassedAndUnsure(t *testing.T) {
	u := sourcetest.Object(t, `{"kind":"ConfigAuditReport","metadata":{"name":"r","namespace":"ns","labels":{
		"trivy-operator.resource.kind":"Pod","trivy-operator.resource.name":"p"}},"report":{"checks":[
		{"checkID":"A","severity":"HIGH","success":true},
		{"checkID":"B","severity":"HIGH","success":false},
		{"checkID":"C","severity":"HIGH"},
		{"checkID":"D","severity":"HIGH","success":null},
		{"severity":"HIGH","success":false},
		{"checkID":"","severity":"HIGH","success":false},
		{"checkID":"E","severity":"LOW","success":false},
		{"checkID":"F","severity":"SEVERE","success":false},
		{"checkID":"G","success":false},
		{"checkID":"H","severity":"critical","success":false}]}}`)
	r, err := ConfigAuditFindings(u, zenv1.SeverityHigh, sourcetest.Now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Details["checkID"].(string))
	}
	// C and D have no success member: neither passed nor failed, so they
	// are counted, not guessed. E is below the minimum, F and G cannot be
	// ranked.
	if !reflect.DeepEqual(ids, []string{"B", "H"}) || r.Skipped != 4 || r.UnknownSeverity != 2 {
		t.Errorf("got %v, skipped %d, unknown %d; want [B H], 4, 2", ids, r.Skipped, r.UnknownSeverity)
	}
	if _, ok := r.Findings[0].Details["messages"]; ok {
		t.Error("a check without messages has a messages detail")
	}
}
