package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// DefaultTrustedUsers are the identities of the control plane's own
// routine work (AUDIT_TRUSTED_USERS when unset). Rules marked SkipTrusted
// ignore their requests: the controller manager deletes pods all day, the
// kubelets read the secrets their pods mount and request their pods'
// service-account tokens, and none of that is news.
var DefaultTrustedUsers = []string{
	"system:kube-controller-manager",
	"system:kube-scheduler",
	"system:apiserver",
	"system:node:*",
	"system:serviceaccount:kube-system:*",
}

// Rule describes one rule, as the README's table shows it.
type Rule struct {
	// Name identifies the rule in a finding's details ("rule", "rules").
	Name string
	// EventType and Severity are those of the finding the rule makes.
	EventType string
	Severity  zenv1.Severity
	// Match says which events the rule matches: in words for a built-in
	// rule, the CEL expression for a custom one.
	Match string
	// SkipTrusted means requests by trusted users never match.
	SkipTrusted bool
	// Custom is true for a rule from AUDIT_RULES_FILE.
	Custom bool
}

// rule is a Rule ready to run: a Go test for a built-in rule, a compiled
// CEL program for a custom one.
type rule struct {
	Rule
	rank int
	test func(*event, *evalContext) bool
	prg  cel.Program
}

// Rules is the rule set a Parser classifies events with: the built-in
// rules, in the order of the table in builtin.go, then the custom ones in
// file order. It is read only once built, so one Rules serves every
// request concurrently.
type Rules struct {
	list    []rule
	trusted trustedUsers
	// custom is whether any rule reads the event as a CEL map, which
	// costs a full decode of the event.
	custom bool
}

// DefaultRules returns the built-in rules with the given trusted users
// (AUDIT_TRUSTED_USERS): exact user names, or prefixes ending in "*"; nil
// trusts no one (pass DefaultTrustedUsers for the defaults). Patterns are
// not checked here; ValidateTrustedUsers and LoadRules do.
func DefaultRules(trustedUsers []string) *Rules {
	r := &Rules{trusted: newTrustedUsers(trustedUsers)}
	for _, b := range builtinRules {
		r.list = append(r.list, rule{Rule: b.Rule, rank: finding.Rank(b.Severity), test: b.test})
	}
	return r
}

// List returns the rules in evaluation order.
func (r *Rules) List() []Rule {
	out := make([]Rule, len(r.list))
	for i := range r.list {
		out[i] = r.list[i].Rule
	}
	return out
}

// TrustedUsers returns the trusted-user patterns in use.
func (r *Rules) TrustedUsers() []string {
	return slices.Clone(r.trusted.patterns)
}

// classify runs every rule on e. It returns the index of the rule whose
// finding to make, the most severe one that matched (on a tie the first),
// or -1 when none matched, and the names of all that matched.
func (r *Rules) classify(e *event, x *evalContext) (best int, matched []string) {
	best = -1
	for i := range r.list {
		ru := &r.list[i]
		if ru.SkipTrusted && x.isTrusted(e) {
			continue
		}
		var ok bool
		if ru.prg != nil {
			ok = x.eval(ru.prg)
		} else {
			ok = ru.test(e, x)
		}
		if !ok {
			continue
		}
		matched = append(matched, ru.Name)
		if best < 0 || ru.rank > r.list[best].rank {
			best = i
		}
	}
	return best, matched
}

// trustedUsers matches user names against AUDIT_TRUSTED_USERS patterns.
type trustedUsers struct {
	patterns []string
	exact    map[string]bool
	prefixes []string
}

func newTrustedUsers(patterns []string) trustedUsers {
	t := trustedUsers{exact: map[string]bool{}}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		t.patterns = append(t.patterns, p)
		if prefix, ok := strings.CutSuffix(p, "*"); ok && !strings.Contains(prefix, "*") {
			t.prefixes = append(t.prefixes, prefix)
		} else {
			t.exact[p] = true
		}
	}
	return t
}

// has reports whether the user name is trusted. A request without a user
// name is never trusted.
func (t *trustedUsers) has(name string) bool {
	if len(name) == 0 {
		return false
	}
	if t.exact[string(name)] {
		return true
	}
	for _, p := range t.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ValidateTrustedUsers checks AUDIT_TRUSTED_USERS patterns: "*" may only
// end a pattern, where it matches any rest of the name. A lone "*" trusts
// everyone, which turns the SkipTrusted rules off.
func ValidateTrustedUsers(patterns []string) error {
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if i := strings.Index(p, "*"); i >= 0 && i != len(p)-1 {
			return fmt.Errorf("trusted user pattern %q: %q may only end a pattern", p, "*")
		}
	}
	return nil
}
