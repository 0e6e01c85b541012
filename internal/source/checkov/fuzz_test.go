package checkov

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{single, multi} {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `[null]`, `{"results":null}`, `{"checkov_version":"3"}`,
		`{"results":{"failed_checks":[{"check_id":"CKV_K8S_16","resource":"Pod.a.b.c","severity":"HIGH"}]}}`,
		`[{"check_type":"kubernetes","results":{"failed_checks":[{"resource":"/x"}]}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if reason := parseErrorReason(t, err); !knownReasons[reason] {
				t.Fatalf("unknown reason %q: %v", reason, err)
			}
			return
		}
		fs := Findings(r, fixedTime)
		if len(fs) != len(r.Checks) {
			t.Fatalf("%d findings for %d checks", len(fs), len(r.Checks))
		}
		for _, f := range fs {
			if f.DedupKey == "" || f.Details["check_id"] == "" {
				t.Fatalf("finding without identity: %+v", f)
			}
			if res := f.Resource; res != nil && (res.Kind == "" || res.Name == "") {
				t.Fatalf("resource with an empty kind or name: %+v", res)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, multi)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLarge(b *testing.B) {
	data := hugeRun(20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindings(b *testing.B) {
	r, err := Parse(hugeRun(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Findings(r, fixedTime)
	}
}
