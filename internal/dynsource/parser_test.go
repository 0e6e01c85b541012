package dynsource

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

const testSchema = `{"type":"object","required":["findings"],"properties":{"findings":{"type":"array","items":{"type":"object","required":["id","severity"],"properties":{"severity":{"enum":["high","low"]}}}}}}`

func testParser(t testing.TB, schema string) *parser {
	t.Helper()
	prog, err := mapping.Compile(v1alpha1.Mapping{Severity: `item.severity.upperAscii()`, Category: `"security"`, EventType: `"x"`,
		DedupKey: `item.id`, Filter: `item.id != "skip"`}, mapping.VarItem)
	if err != nil {
		t.Fatal(err)
	}
	items, err := mapping.CompileItems(`body.findings`)
	if err != nil {
		t.Fatal(err)
	}
	p := &parser{src: mapping.Source{Namespace: "team-a", Name: "scan"}, items: items, prog: prog}
	if schema != "" {
		if p.schema, err = compileSchema([]byte(schema)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestParserMapsEachItem(t *testing.T) {
	p := testParser(t, testSchema)
	b, err := p.Parse([]byte(`{"findings":[{"id":"a","severity":"high"},{"id":"skip","severity":"low"},{"id":1,"severity":"low"}]}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if b.Items != 3 || len(b.Findings) != 1 || b.Dropped[mapping.ReasonFiltered] != 1 || len(b.Rejected) != 1 {
		t.Fatalf("%+v", b)
	}
	if r := b.Rejected[0]; r.Index != 2 || r.Reason != mapping.ReasonWrongType {
		t.Errorf("rejection %+v", r)
	}
	if f := b.Findings[0]; f.DedupKey != "team-a/scan/a" || f.EventNamespace != "team-a" {
		t.Errorf("finding %+v", f)
	}
}

func TestParserRefusesBodies(t *testing.T) {
	p := testParser(t, testSchema)
	for _, tc := range []struct{ body, pointer string }{
		{`{"findings":[{"id":"a","severity":"urgent"}]}`, "/findings/0/severity"},
		{`{"other":1}`, ""},
		{`[1]`, ""},
	} {
		_, err := p.Parse([]byte(tc.body), time.Now())
		var pe *webhook.PayloadError
		if !errors.As(err, &pe) || len(pe.Errors) == 0 || pe.Errors[0].Pointer != tc.pointer {
			t.Errorf("%s: %v %+v", tc.body, err, pe)
		}
	}
	for _, body := range []string{`{`, `{"findings":1} x`, strings.Repeat("[", 10000)} {
		var perr *source.ParseError
		if _, err := p.Parse([]byte(body), time.Now()); !errors.As(err, &perr) {
			t.Errorf("%.20s: %v", body, err)
		}
	}
}

func TestCompileSchemaLoadsNothing(t *testing.T) {
	for _, s := range []string{
		`{"$ref":"file:///etc/passwd"}`,
		`{"$ref":"http://127.0.0.1:1/schema.json"}`,
		`{"type":"nonsense"}`,
		`{`,
	} {
		if _, err := compileSchema([]byte(s)); err == nil {
			t.Errorf("%s compiled", s)
		}
	}
	if _, err := compileSchema([]byte(`{"$defs":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a"}}}`)); err != nil {
		t.Errorf("an internal $ref: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
	}{{"harbor", ""}, {"falco", v1alpha1.ReasonNameConflict}, {"kube-bench", v1alpha1.ReasonNameConflict}, {strings.Repeat("a", 64), v1alpha1.ReasonNotAllowed}} {
		v, ok := checkName(types.NamespacedName{Namespace: "x", Name: tc.name})
		if ok != (tc.reason == "") || v.reason != tc.reason {
			t.Errorf("%s: %v %+v", tc.name, ok, v)
		}
	}
}

func TestEndpointsRoute(t *testing.T) {
	e := NewEndpoints(NewMetrics(nil))
	mux := http.NewServeMux()
	e.Register(mux)
	key := types.NamespacedName{Namespace: "team-a", Name: "scan"}
	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, EndpointPath(key), strings.NewReader("{}")))
		return rec
	}
	if rec := do(); rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown: %d %s", rec.Code, rec.Header())
	}
	e.set(key, nil, v1alpha1.ReasonInvalidMapping)
	if rec := do(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), v1alpha1.ReasonInvalidMapping) {
		t.Errorf("not ready: %d %s", rec.Code, rec.Body)
	}
	e.remove(key)
	if rec := do(); rec.Code != http.StatusNotFound {
		t.Errorf("removed: %d", rec.Code)
	}
}

// FuzzParser runs arbitrary bodies through a source's schema, items and
// mapping: a body is refused with a ParseError or PayloadError, or each
// of its items is mapped, dropped or rejected with a reason.
func FuzzParser(f *testing.F) {
	for _, s := range []string{`{"findings":[{"id":"a","severity":"high"}]}`, `{"findings":[]}`, `{"findings":[{"id":"a"}]}`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	p := testParser(f, testSchema)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := p.Parse(body, time.Now())
		if err != nil {
			var pe *webhook.PayloadError
			var perr *source.ParseError
			if !errors.As(err, &pe) && !errors.As(err, &perr) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if len(b.Findings)+len(b.Rejected)+b.Dropped[mapping.ReasonFiltered] != b.Items {
			t.Fatalf("items unaccounted for: %+v", b)
		}
		for _, r := range b.Rejected {
			if r.Reason == "" {
				t.Fatalf("no reason: %+v", r)
			}
		}
	})
}
