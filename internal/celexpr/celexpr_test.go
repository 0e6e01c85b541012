package celexpr

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
)

func TestCheck(t *testing.T) {
	env, err := cel.NewEnv(cel.Variable("finding", cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		t.Fatal(err)
	}
	members := Members{"finding": {"severity", "resource"}, "finding.resource": {"name"}}
	for _, tc := range []struct{ expr, want string }{
		{`finding.severity == "HIGH" && finding.resource.name == "x"`, ""},
		{`has(finding.resource.name)`, ""},
		{`finding.sevrity == "HIGH"`, `finding has no member "sevrity" (members: severity, resource)`},
		{`finding.resource.nmae == "x" || finding.other == 1`, `finding.resource has no member "nmae" (members: name); finding has no member "other"`},
		{`finding["sevrity"] == "HIGH"`, ""}, // an index is not a selection: left to evaluation
		{`{"a": 1}.b == 1`, ""},              // not below a listed path
	} {
		checked, iss := env.Compile(tc.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tc.expr, iss.Err())
		}
		err := Check(checked.NativeRep(), members)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected %v", tc.expr, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.expr, err, tc.want)
		}
	}
}

func TestActivationBindsOnlyItsVariable(t *testing.T) {
	a := &Activation{Name: "event", Value: 1}
	if v, ok := a.ResolveName("event"); !ok || v != 1 {
		t.Error("the variable is not bound")
	}
	if _, ok := a.ResolveName("other"); ok || a.Parent() != nil {
		t.Error("another name resolves")
	}
}
