package kubebench

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{withTotals, noTotals, fullRun} {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"Controls":null}`, `[null]`, `{"Controls":"x"}`,
		`[{"version":"1.6","tests":[{"section":"1","results":[{"test_number":"1.1","status":"FAIL","scored":true}]}]}]`,
		`[{"tests":[{"results":[{"status":"FAIL"}]}]}]`,
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
		// Asking for every status that occurs must yield one finding per
		// result, each with a key.
		seen := map[string]bool{}
		var statuses []string
		for _, x := range r.Results {
			if x.TestNumber == "" {
				t.Fatalf("result without a test number escaped: %+v", x)
			}
			if !seen[x.Status] {
				seen[x.Status] = true
				statuses = append(statuses, x.Status)
			}
		}
		for _, node := range []string{"node-a", ""} {
			fs := Findings(r, node, statuses, fixedTime)
			if len(fs) != len(r.Results) {
				t.Fatalf("%d findings for %d results", len(fs), len(r.Results))
			}
			for _, f := range fs {
				if f.DedupKey == "" {
					t.Fatalf("empty dedup key: %+v", f)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, fullRun)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindings(b *testing.B) {
	r, err := Parse(readFixture(b, fullRun))
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"FAIL", "WARN"}
	b.ReportAllocs()
	for b.Loop() {
		Findings(r, "worker-1", statuses, fixedTime)
	}
}
