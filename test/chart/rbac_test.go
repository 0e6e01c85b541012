package chart

import (
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

type ruleSet struct {
	kind, namespace, name string
	rules                 []rbacv1.PolicyRule
}

func roles(t *testing.T, objs []*unstructured.Unstructured) []ruleSet {
	t.Helper()
	var out []ruleSet
	for _, u := range objs {
		if u.GetKind() != "ClusterRole" && u.GetKind() != "Role" {
			continue
		}
		var r rbacv1.ClusterRole // a Role has the same rules field
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, ruleSet{u.GetKind(), u.GetNamespace(), u.GetName(), r.Rules})
	}
	return out
}

// The daemon's roles, checked by rule before the integration test checks
// them by behaviour: no wildcards, no secrets but the get tenants grant,
// no privilege verbs, writes only to ZenAgentEvents, Events and the
// status of ZenSources and ZenOutputs (those themselves by namespace
// editors), ConfigMaps only through Roles.
func TestRBACRulesAreLeast(t *testing.T) {
	for name, args := range map[string][]string{
		"defaults": nil,
		"all-on":   {"-f", filepath.Join(Dir(), "ci", "all-on-values.yaml")},
	} {
		t.Run(name, func(t *testing.T) {
			sets := roles(t, Template(t, "zen-watcher", "zen-system", args...))
			if len(sets) == 0 {
				t.Fatal("no roles rendered")
			}
			for _, s := range sets {
				for _, r := range s.rules {
					for _, field := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
						if slices.Contains(field, "*") {
							t.Errorf("%s %s: wildcard in %+v", s.kind, s.name, r)
						}
					}
					for _, v := range r.Verbs {
						if v == "escalate" || v == "bind" || v == "impersonate" {
							t.Errorf("%s %s grants %s", s.kind, s.name, v)
						}
						write := !slices.Contains([]string{"get", "list", "watch"}, v)
						for _, res := range r.Resources {
							// Only a plain get, only through the role tenants
							// bind in their own namespaces.
							if res == "secrets" && (s.name != "zen-watcher-source-secrets" || v != "get") {
								t.Errorf("%s %s grants %s on secrets", s.kind, s.name, v)
							}
							if res == "configmaps" && s.kind != "Role" {
								t.Errorf("%s %s grants configmaps cluster-wide", s.kind, s.name)
							}
							if (res == "zensources" || res == "zenoutputs") && write && s.name != "zen-watcher-edit" {
								t.Errorf("%s %s may %s %s", s.kind, s.name, v, res)
							}
							if write && !slices.Contains([]string{"zenagentevents", "events", "tokenreviews", "subjectaccessreviews", "selfsubjectreviews", "deadletters/replay", "leases",
								"zensources", "zensources/status", "zenoutputs", "zenoutputs/status"}, res) {
								t.Errorf("%s %s may %s %s", s.kind, s.name, v, res)
							}
							if res == "leases" && (s.kind != "Role" || v == "delete") {
								t.Errorf("%s %s: leases only in a Role, never delete (%s)", s.kind, s.name, v)
							}
							if write && res == "zenagentevents" && v == "delete" && s.name != "zen-watcher" && s.name != "zen-watcher-edit" {
								t.Errorf("%s %s may delete events", s.kind, s.name)
							}
						}
					}
				}
			}
		})
	}
}

func TestAggregatedRoles(t *testing.T) {
	objs := Template(t, "zen-watcher", "zen-system")
	want := map[string]string{"zen-watcher-view": "rbac.authorization.k8s.io/aggregate-to-view", "zen-watcher-edit": "rbac.authorization.k8s.io/aggregate-to-edit"}
	for _, s := range roles(t, objs) {
		label, ok := want[s.name]
		if !ok {
			continue
		}
		delete(want, s.name)
		var u *unstructured.Unstructured
		for _, o := range objs {
			if o.GetName() == s.name && o.GetKind() == "ClusterRole" {
				u = o
			}
		}
		if u.GetLabels()[label] != "true" {
			t.Errorf("%s lacks %s", s.name, label)
		}
		verbs := s.rules[0].Verbs
		if !slices.Contains(verbs, "list") || slices.Contains(verbs, "delete") != (s.name == "zen-watcher-edit") {
			t.Errorf("%s verbs %v", s.name, verbs)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing aggregated roles %v", want)
	}
}

// Watch sources read what dynamicSources.watchRules grants, and only
// read: Events by default (the Warning Events example), nothing with [].
func TestWatchSourceRules(t *testing.T) {
	find := func(sets []ruleSet) *ruleSet {
		for i := range sets {
			if sets[i].name == "zen-watcher-watch-sources" {
				return &sets[i]
			}
		}
		return nil
	}
	def := find(roles(t, Template(t, "zen-watcher", "zen-system")))
	if def == nil || def.kind != "ClusterRole" || len(def.rules) != 2 {
		t.Fatalf("default watch-source role: %+v", def)
	}
	for i, group := range []string{"", "events.k8s.io"} {
		r := def.rules[i]
		if !slices.Equal(r.APIGroups, []string{group}) || !slices.Equal(r.Resources, []string{"events"}) || !slices.Equal(r.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	objs := Template(t, "zen-watcher", "zen-system", "--set-json", "dynamicSources.watchRules=[]")
	if s := find(roles(t, objs)); s != nil {
		t.Errorf("watchRules=[] still renders %+v", s)
	}
	for _, u := range objs {
		if u.GetName() == "zen-watcher-watch-sources" {
			t.Errorf("watchRules=[] still renders the %s", u.GetKind())
		}
	}
}
