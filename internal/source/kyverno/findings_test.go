package kyverno

import (
	"reflect"
	"strings"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestFixtureCounts(t *testing.T) {
	// Counts taken independently with a Python script: per file, the
	// objects and the findings for each set of outcomes (one per scoped
	// result, one per resources entry otherwise). No fixture has a result
	// without an object or a severity off the scale.
	cases := []struct {
		file                      string
		objects                   int
		fail, failWarnError, pass int
	}{
		{cliMerged, 1, 1, 1, 0},
		{namespaces, 4, 4, 4, 4},
		{vapList, 2, 1, 1, 1},
		{podPassFail, 1, 1, 1, 1},
		{warnChainsaw, 1, 0, 1, 0},
	}
	for _, c := range cases {
		objs := fx.Decode(t, c.file)
		if len(objs) != c.objects {
			t.Fatalf("%s: %d objects; want %d", c.file, len(objs), c.objects)
		}
		for _, sel := range []struct {
			results []string
			want    int
		}{{[]string{"fail"}, c.fail}, {[]string{"fail", "warn", "error"}, c.failWarnError},
			{[]string{"pass"}, c.pass}, {nil, 0}} {
			t.Run(c.file+"/"+strings.Join(sel.results, "+"), func(t *testing.T) {
				got, keys := 0, map[string]bool{}
				for _, u := range objs {
					r, err := Findings(u, sel.results, sourcetest.Now)
					if err != nil {
						t.Fatal(err)
					}
					if r.NoResource != 0 || r.UnknownSeverity != 0 {
						t.Errorf("%+v: nothing should be counted", r)
					}
					got += len(r.Findings)
					for _, f := range r.Findings {
						if keys[f.DedupKey] {
							t.Errorf("dedup key %q repeats", f.DedupKey)
						}
						keys[f.DedupKey] = true
					}
				}
				if got != sel.want {
					t.Errorf("got %d findings; want %d", got, sel.want)
				}
			})
		}
	}
}

func TestFieldByField(t *testing.T) {
	cases := []struct {
		file         string
		object, item int
		results      []string
		want         finding.Finding
	}{{
		podPassFail, 0, 0, []string{"fail"}, finding.Finding{
			Source: "kyverno", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium,
			EventType: "policy-violation",
			Rule:      "disallow-host-namespaces/host-namespaces",
			Title: "validation error: Sharing the host namespaces is disallowed. The fields " +
				"spec.hostNetwork, spec.hostIPC, and spec.hostPID must be unset or set to `false`. " +
				"rule host-namespaces failed at path /spec/hostNetwork/",
			Resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod",
				Name: "kube-apiserver-kind-control-plane", Namespace: "kube-system"},
			Details: map[string]any{
				"policy": "disallow-host-namespaces", "rule": "host-namespaces",
				"message": "validation error: Sharing the host namespaces is disallowed. The fields " +
					"spec.hostNetwork, spec.hostIPC, and spec.hostPID must be unset or set to `false`. " +
					"rule host-namespaces failed at path /spec/hostNetwork/",
				"source": "kyverno", "result": "fail", "category": "Pod Security Standards (Baseline)", "scored": true,
			},
			DetectedAt: time.Unix(1701868762, 0).UTC(),
			DedupKey:   "kube-system/Pod/kube-apiserver-kind-control-plane/disallow-host-namespaces/host-namespaces",
		},
	}, {
		// A ValidatingAdmissionPolicy result: no rule, no severity, a
		// property naming the binding.
		vapList, 0, 0, []string{"fail"}, finding.Finding{
			Source: "kyverno", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium,
			EventType: "policy-violation",
			// No rule name: the policy alone names the check.
			Rule: "check-deployment-replicas", Title: "failed expression: object.spec.replicas <= 5",
			Resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment",
				Name: "deployment-3", Namespace: "staging-ns"},
			Details: map[string]any{
				"policy": "check-deployment-replicas", "rule": "",
				"message": "failed expression: object.spec.replicas <= 5", "source": "ValidatingAdmissionPolicy",
				"result": "fail", "category": "", "scored": false,
				"properties": map[string]string{"binding": "check-deployment-replicas-binding"},
			},
			DetectedAt: time.Unix(1706183723, 0).UTC(),
			DedupKey:   "staging-ns/Deployment/deployment-3/check-deployment-replicas/",
		},
	}, {
		// The CLI shape: no scope, the object is in resources.
		cliMerged, 0, 0, []string{"FAIL"}, finding.Finding{
			Source: "kyverno", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium,
			EventType: "policy-violation",
			Rule:      "check-deployment-replicas", Title: "failed expression: object.spec.replicas <= 5",
			Resource: &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment",
				Name: "nginx-1", Namespace: "staging"},
			Details: map[string]any{
				"policy": "check-deployment-replicas", "rule": "",
				"message": "failed expression: object.spec.replicas <= 5", "source": "kyverno",
				"result": "fail", "category": "", "scored": true,
			},
			DetectedAt: time.Unix(1707394871, 0).UTC(),
			DedupKey:   "staging/Deployment/nginx-1/check-deployment-replicas/",
		},
	}, {
		// A cluster-scoped scope, and no timestamp: detected now.
		namespaces, 3, 1, []string{"fail"}, finding.Finding{
			Source: "kyverno", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium,
			EventType: "policy-violation",
			// No message: the rule id is the title.
			Rule: "check-ns-labels/require-ns-purpose-label", Title: "check-ns-labels/require-ns-purpose-label",
			Resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Namespace", Name: "bad-ns-2"},
			Details: map[string]any{
				"policy": "check-ns-labels", "rule": "require-ns-purpose-label", "message": "",
				"source": "kyverno", "result": "fail", "category": "", "scored": true,
			},
			DetectedAt: sourcetest.Now,
			DedupKey:   "/Namespace/bad-ns-2/check-ns-labels/require-ns-purpose-label",
		},
	}, {
		warnChainsaw, 0, 0, []string{"fail", "warn", "error"}, finding.Finding{
			Source: "kyverno", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityMedium,
			EventType: "policy-violation",
			Rule:      "require-multiple-replicas/require-multiple-replicas",
			Title:     "validation error: rule require-multiple-replicas failed at path /spec/replicas/",
			Resource:  &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx-test"},
			Details: map[string]any{
				"policy": "require-multiple-replicas", "rule": "require-multiple-replicas",
				"message": "validation error: rule require-multiple-replicas failed at path /spec/replicas/",
				"source":  "kyverno", "result": "warn", "category": "", "scored": false,
			},
			DetectedAt: sourcetest.Now,
			DedupKey:   "/Deployment/nginx-test/require-multiple-replicas/require-multiple-replicas",
		},
	}}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := Findings(fx.Decode(t, c.file)[c.object], c.results, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Findings[c.item]; !reflect.DeepEqual(got, c.want) {
				t.Errorf("finding %d:\n got %#v\nwant %#v\n got resource %+v", c.item, got, c.want, got.Resource)
			}
		})
	}
}

func TestFindingsDoNotShare(t *testing.T) {
	u := sourcetest.Object(t, `{"kind":"ClusterPolicyReport","metadata":{"name":"r"},"results":[{"policy":"p","result":"fail",
		"properties":{"a":"b"},"resources":[{"kind":"Pod","name":"x","namespace":"n"},{"kind":"Pod","name":"y","namespace":"n"}]}]}`)
	r, err := Findings(u, []string{"fail"}, sourcetest.Now)
	if err != nil || len(r.Findings) != 2 {
		t.Fatalf("got %+v, %v; want two findings", r, err)
	}
	r.Findings[0].Resource.Name = "edited"
	r.Findings[0].Details["policy"] = "edited"
	r.Findings[0].Details["properties"].(map[string]string)["a"] = "edited"
	if f := r.Findings[1]; f.Resource.Name != "y" || f.Details["policy"] != "p" || f.Details["properties"].(map[string]string)["a"] != "b" {
		t.Errorf("findings share state: %+v %v", f.Resource, f.Details)
	}
	again, _ := Findings(u, []string{"fail"}, sourcetest.Now)
	if again.Findings[0].Details["properties"].(map[string]string)["a"] != "b" {
		t.Error("editing a finding edited the report")
	}
}
