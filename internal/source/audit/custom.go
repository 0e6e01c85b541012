package audit

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"sigs.k8s.io/yaml"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/celexpr"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Limits on custom rules. Every rule runs on every event the API server
// sends, while the API server waits, so both the number of rules and the
// work of one evaluation are bounded.
const (
	maxCustomRules = 100
	// celCostLimit bounds one evaluation (roughly operations plus bytes of
	// strings scanned). A rule that compares a few members costs under 20;
	// one comprehension over the containers of a pod well under 1,000. It
	// is a fifth of celexpr.CostLimit: every rule runs on every event.
	celCostLimit = celexpr.CostLimit / 5
)

// celVar is the variable a custom rule sees: the event as a map.
const celVar = "event"

// Members an expression may select, checked at load: the map's type is
// map(string, dyn), so without the check a misspelt member would compile
// and then fail on every event.
var celUserFields = []string{"username", "uid", "groups", "extra"}

var celMembers = celexpr.Members{
	celVar: {"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user",
		"impersonatedUser", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
		"requestReceivedTimestamp", "stageTimestamp", "annotations", "metadata", "timestamp"},
	celVar + ".objectRef":        {"resource", "namespace", "name", "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource"},
	celVar + ".user":             celUserFields,
	celVar + ".impersonatedUser": celUserFields,
}

// labelPattern is the eventType rule of the ZenAgentEvent CRD, also used
// for rule names, which appear in details and logs.
var labelPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// rulesFile is the AUDIT_RULES_FILE format.
type rulesFile struct {
	// Rules are added after the built-in ones.
	Rules []ruleSpec `json:"rules"`
	// Disable names built-in rules to turn off.
	Disable []string `json:"disable"`
}

type ruleSpec struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	EventType  string `json:"eventType"`
	Severity   string `json:"severity"`
}

// LoadRules returns the built-in rules, less those the file disables, plus
// the custom rules of customYAML (the content of AUDIT_RULES_FILE; empty
// means none). Unknown keys, a rule without name, expression, eventType or
// severity, a duplicate name, and an expression that does not compile to
// a boolean are errors, all reported at once, each naming its rule.
func LoadRules(trustedUsers []string, customYAML []byte) (*Rules, error) {
	if err := ValidateTrustedUsers(trustedUsers); err != nil {
		return nil, err
	}
	r := DefaultRules(trustedUsers)
	if len(bytes.TrimSpace(customYAML)) == 0 {
		return r, nil
	}
	var file rulesFile
	if err := yaml.UnmarshalStrict(customYAML, &file); err != nil {
		return nil, fmt.Errorf("reading audit rules: %w", err)
	}
	if len(file.Rules) > maxCustomRules {
		return nil, fmt.Errorf("reading audit rules: %d rules, at most %d: every rule runs on every audit event", len(file.Rules), maxCustomRules)
	}
	var errs []error
	if err := r.disable(file.Disable); err != nil {
		errs = append(errs, err)
	}
	env, err := newCELEnv()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, b := range builtinRules {
		seen[b.Name] = true
	}
	for i, spec := range file.Rules {
		ru, err := compileRule(env, spec)
		if err == nil && seen[spec.Name] {
			err = errors.New("the name is taken by another rule")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%q): %w", i+1, spec.Name, err))
			continue
		}
		seen[spec.Name] = true
		r.list = append(r.list, ru)
		r.custom = true
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("reading audit rules: %w", errors.Join(errs...))
	}
	return r, nil
}

// disable removes the named built-in rules.
func (r *Rules) disable(names []string) error {
	var errs []error
	for _, name := range names {
		i := slices.IndexFunc(r.list, func(ru rule) bool { return ru.Name == name && !ru.Custom })
		if i < 0 {
			errs = append(errs, fmt.Errorf("disable: %q is not a built-in rule", name))
			continue
		}
		r.list = slices.Delete(r.list, i, i+1)
	}
	return errors.Join(errs...)
}

func newCELEnv() (*cel.Env, error) {
	// The shared environment compares numbers across int and double: those
	// of a decoded event are doubles, and event.responseStatus.code >= 400
	// must compare them with ints.
	return celexpr.NewEnv(celVar)
}

// compileRule checks one rule of the file and compiles its expression.
func compileRule(env *cel.Env, spec ruleSpec) (rule, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"name", spec.Name}, {"expression", spec.Expression}, {"eventType", spec.EventType}, {"severity", spec.Severity},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return rule{}, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if err := checkLabel("name", spec.Name); err != nil {
		return rule{}, err
	}
	if err := checkLabel("eventType", spec.EventType); err != nil {
		return rule{}, err
	}
	sev := zenv1.Severity(strings.ToUpper(strings.TrimSpace(spec.Severity)))
	if finding.Rank(sev) < 0 {
		return rule{}, fmt.Errorf("severity %q: want CRITICAL, HIGH, MEDIUM, LOW or INFO", spec.Severity)
	}
	checked, iss := env.Compile(spec.Expression)
	if iss.Err() != nil {
		return rule{}, fmt.Errorf("compiling expression: %w", iss.Err())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) {
		return rule{}, fmt.Errorf("the expression evaluates to %s, want bool (compare a member explicitly, such as event.x == true)", t)
	}
	if err := celexpr.Check(checked.NativeRep(), celMembers); err != nil {
		return rule{}, fmt.Errorf("expression: %w", err)
	}
	prg, err := celexpr.Program(env, checked, celCostLimit)
	if err != nil {
		return rule{}, fmt.Errorf("building expression: %w", err)
	}
	return rule{
		Rule: Rule{Name: spec.Name, EventType: spec.EventType, Severity: sev, Match: spec.Expression, Custom: true},
		rank: finding.Rank(sev),
		prg:  prg,
	}, nil
}

func checkLabel(what, v string) error {
	if len(v) > 63 || !labelPattern.MatchString(v) {
		return fmt.Errorf("%s %q: want at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", what, clip(v))
	}
	return nil
}
