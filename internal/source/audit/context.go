package audit

import (
	"sync/atomic"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/cel-go/cel"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
)

// evalContext is what the rules learn about one event beyond its members,
// each computed at most once and only when a rule asks: whether the user
// is trusted, what the request body says about a pod or a binding, and
// the whole event as a map for CEL. An event that no such rule reaches
// pays for none of it.
type evalContext struct {
	e     *event
	rules *Rules
	// evalErrors counts custom rules that failed to evaluate.
	evalErrors *atomic.Uint64

	trusted, trustedKnown bool

	podRisks podRisks
	podKnown bool

	clusterAdmin, clusterAdminKnown bool

	doc      map[string]any
	docKnown bool
}

// reset points x at the next event.
func (x *evalContext) reset(e *event) {
	*x = evalContext{e: e, rules: x.rules, evalErrors: x.evalErrors}
}

func (x *evalContext) isTrusted(e *event) bool {
	if !x.trustedKnown {
		x.trusted, x.trustedKnown = x.rules.trusted.has(e.user.username), true
	}
	return x.trusted
}

// podRisks are the pod settings that reach into the node.
type podRisks struct {
	privileged, hostPID, hostNetwork, hostIPC, hostPath bool
}

func (p podRisks) hostAccess() bool {
	return p.hostPID || p.hostNetwork || p.hostIPC || p.hostPath
}

// names lists the risks for a finding's details.
func (p podRisks) names() []string {
	var out []string
	for _, r := range []struct {
		set  bool
		name string
	}{{p.privileged, "privileged"}, {p.hostPID, "hostPID"}, {p.hostNetwork, "hostNetwork"},
		{p.hostIPC, "hostIPC"}, {p.hostPath, "hostPath"}} {
		if r.set {
			out = append(out, r.name)
		}
	}
	return out
}

// podObject holds the members of a Pod (or of a patch of one) that
// podRisks reads.
type podObject struct {
	Spec struct {
		HostPID             bool        `json:"hostPID"`
		HostNetwork         bool        `json:"hostNetwork"`
		HostIPC             bool        `json:"hostIPC"`
		Volumes             []volume    `json:"volumes"`
		Containers          []container `json:"containers"`
		InitContainers      []container `json:"initContainers"`
		EphemeralContainers []container `json:"ephemeralContainers"`
	} `json:"spec"`
}

type volume struct {
	HostPath *struct{} `json:"hostPath"`
}

type container struct {
	SecurityContext *struct {
		Privileged *bool `json:"privileged"`
	} `json:"securityContext"`
}

// pod reads the pod in the request body. Without a body (level Metadata)
// it finds nothing. A body of another shape (a JSON patch is an array,
// for one) reads as no risk; so does the rest of a body after a member
// of the wrong type, where decoding stops. That costs nothing real: the
// API server refuses such a pod, and the rules want a request that
// succeeded.
func (x *evalContext) pod() podRisks {
	if x.podKnown {
		return x.podRisks
	}
	x.podKnown = true
	if x.e.requestObject == nil {
		return x.podRisks
	}
	var p podObject
	_ = json.Unmarshal(x.e.requestObject, &p, itemOptions)
	s := &p.Spec
	r := podRisks{hostPID: s.HostPID, hostNetwork: s.HostNetwork, hostIPC: s.HostIPC}
	for _, v := range s.Volumes {
		r.hostPath = r.hostPath || v.HostPath != nil
	}
	for _, list := range [][]container{s.Containers, s.InitContainers, s.EphemeralContainers} {
		for _, c := range list {
			if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
				r.privileged = true
			}
		}
	}
	x.podRisks = r
	return r
}

// binding holds the roleRef of a RoleBinding or ClusterRoleBinding.
type binding struct {
	RoleRef struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
}

// bindsClusterAdmin reports whether the request or response body is a
// binding to ClusterRole cluster-admin. A patch may not repeat the
// roleRef (which is immutable anyway), so the response, present at level
// RequestResponse, is read too.
func (x *evalContext) bindsClusterAdmin() bool {
	if x.clusterAdminKnown {
		return x.clusterAdmin
	}
	x.clusterAdminKnown = true
	for _, body := range []jsontext.Value{x.e.requestObject, x.e.responseObject} {
		if body == nil {
			continue
		}
		var b binding
		_ = json.Unmarshal(body, &b, itemOptions)
		if b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin" {
			x.clusterAdmin = true
		}
	}
	return x.clusterAdmin
}

// document is the whole event as a map, for CEL, decoded on first use.
func (x *evalContext) document() map[string]any {
	if !x.docKnown {
		x.docKnown = true
		// The item decoded already, so this fails only on a number
		// beyond a float64; a nil map counts as an evaluation error.
		// An any, not a map, takes json's fast path, without reflection.
		var doc any
		if json.Unmarshal(x.e.raw, &doc, itemOptions) == nil {
			x.doc, _ = doc.(map[string]any)
		}
	}
	return x.doc
}

// eval runs a custom rule. An evaluation error (a missing member, the
// cost limit) is no match, and counted.
func (x *evalContext) eval(prg cel.Program) bool {
	doc := x.document()
	if doc == nil {
		x.evalErrors.Add(1)
		return false
	}
	out, _, err := prg.Eval(&celexpr.Activation{Name: celVar, Value: doc})
	if err != nil {
		x.evalErrors.Add(1)
		return false
	}
	b, ok := out.Value().(bool)
	return ok && b
}
