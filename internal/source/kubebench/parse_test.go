package kubebench

import (
	"reflect"
	"testing"
)

func TestParseFixtures(t *testing.T) {
	// Counts taken independently with jq over Controls[].tests[].results[].
	cases := []struct {
		file                       string
		results, fail, warn, pass  int
		firstNumber, firstNodeType string
	}{
		{withTotals, 3, 0, 1, 2, "1.1.1", "master"},
		{noTotals, 3, 0, 1, 2, "1.1.1", "master"},
		{fullRun, 122, 36, 49, 37, "1.1.1", "master"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := Parse(fx.Read(t, c.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(r.Results) != c.results || r.Skipped != 0 {
				t.Fatalf("got %d results, %d skipped; want %d, 0", len(r.Results), r.Skipped, c.results)
			}
			count := map[string]int{}
			for _, x := range r.Results {
				count[x.Status]++
			}
			if count["FAIL"] != c.fail || count["WARN"] != c.warn || count["PASS"] != c.pass {
				t.Errorf("statuses %v; want FAIL %d, WARN %d, PASS %d", count, c.fail, c.warn, c.pass)
			}
			if first := r.Results[0]; first.TestNumber != c.firstNumber || first.NodeType != c.firstNodeType {
				t.Errorf("first result %s/%s; want %s/%s", first.NodeType, first.TestNumber, c.firstNodeType, c.firstNumber)
			}
		})
	}
}

func TestParseBothShapesAgree(t *testing.T) {
	// The two upstream test files hold the same controls, once with totals
	// and once with --nototals: the shape must not change the result.
	a, err := Parse(fx.Read(t, withTotals))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(fx.Read(t, noTotals))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("object and bare-array shapes differ:\n%+v\n%+v", a, b)
	}
}

func TestParseFlattensContext(t *testing.T) {
	r, err := Parse(fx.Read(t, withTotals))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Version:        "1.5",
		NodeType:       "controlplane",
		Section:        "3.1",
		TestNumber:     "3.1.1",
		TestDesc:       "Client certificate authentication should not be used for users (Not Scored)",
		Status:         "WARN",
		Remediation:    "Alternative mechanisms provided by Kubernetes such as the use of OIDC should be\nimplemented in place of client certificates.\n",
		Audit:          "",
		ActualValue:    "",
		ExpectedResult: "",
		Scored:         false,
	}
	if got := r.Results[2]; !reflect.DeepEqual(got, want) {
		t.Errorf("third result:\n got %+v\nwant %+v", got, want)
	}
	// The etcd control has its own version; each result keeps its control's.
	if got := r.Results[1]; got.Version != "1.15" || got.NodeType != "etcd" || got.Section != "2" || !got.Scored {
		t.Errorf("etcd result lost its context: %+v", got)
	}
}

func TestParseVersionIsTheBenchmarkVersion(t *testing.T) {
	// detected_version is the Kubernetes version kube-bench found; the
	// benchmark version, which scopes the dedup key, is "version".
	r, err := Parse([]byte(`[{"version":"cis-1.8","detected_version":"1.27","node_type":"node",
		"tests":[{"section":"4.1","results":[{"test_number":"4.1.1","status":"FAIL","scored":true}]}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Results[0]; got.Version != "cis-1.8" || got.DetectedVersion != "1.27" {
		t.Errorf("Version %q, DetectedVersion %q; want cis-1.8, 1.27", got.Version, got.DetectedVersion)
	}
}

func TestParseSkipsResultsWithoutTestNumber(t *testing.T) {
	r, err := Parse([]byte(`{"Controls":[{"version":"1.6","tests":[{"section":"1.1","results":[
		{"status":"FAIL"},
		{"test_number":"","status":"FAIL"},
		{"test_number":null,"status":"FAIL"},
		{"test_number":"1.1.1","status":"FAIL"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 || r.Skipped != 3 || r.Results[0].TestNumber != "1.1.1" {
		t.Errorf("got %d results, %d skipped: %+v; want 1 (1.1.1), 3", len(r.Results), r.Skipped, r.Results)
	}
}

func TestParseEmptyRuns(t *testing.T) {
	cases := []struct{ name, in string }{
		{"empty bare array", `[]`},
		{"empty Controls", `{"Controls":[],"Totals":{"total_pass":0}}`},
		{"null Controls", `{"Controls":null,"Totals":{"total_pass":0}}`},
		{"control without tests", `[{"id":"1","version":"1.6","node_type":"master"}]`},
		{"null control", `[null]`},
		{"section without results", `[{"tests":[{"section":"1.1","results":[]}]}]`},
		{"surrounding space", " \n\t[]\r\n "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(c.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(r.Results) != 0 || r.Skipped != 0 {
				t.Errorf("got %+v; want an empty report", r)
			}
		})
	}
}

func TestParseControlsMember(t *testing.T) {
	// The object shape hinges on the Controls member: absent is another
	// document, null is a run with no controls, and a repeated key counts
	// as the last one written, as encoding/json does everywhere else.
	one := `[{"version":"1.6","tests":[{"results":[{"test_number":"1.1.1","status":"FAIL"}]}]}]`
	cases := []struct {
		name, in string
		results  int
		ok       bool
	}{
		{"absent", `{"Totals":{}}`, 0, false},
		{"null", `{"Controls":null}`, 0, true},
		{"empty", `{"Controls":[]}`, 0, true},
		{"one result", `{"Controls":` + one + `}`, 1, true},
		{"lower-case key", `{"controls":` + one + `}`, 1, true},
		{"null then array", `{"Controls":null,"Controls":` + one + `}`, 1, true},
		{"array then null", `{"Controls":` + one + `,"Controls":null}`, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse([]byte(c.in))
			if (err == nil) != c.ok || len(r.Results) != c.results {
				t.Errorf("got %d results, err %v; want %d, ok=%v", len(r.Results), err, c.results, c.ok)
			}
		})
	}
}
