package sourcetest

import (
	"encoding/json"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// Now is the fixed time parsers are handed in tests, so that findings
// compare equal from one run to the next.
var Now = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

// Fixtures is one tool's folder of the shared fixtures, such as "checkov".
type Fixtures string

// Read returns the bytes of the fixture called name; a missing one fails
// the test.
func (d Fixtures) Read(tb testing.TB, name string) []byte {
	tb.Helper()
	return fixtures.MustRead(tb, string(d)+"/"+name)
}

// Decode reads every object of a YAML fixture as an informer would: YAML
// to JSON, then the unstructured JSON scheme, which gives int64 for whole
// numbers as the API server's decoder does. A kind: List is split into its
// items, as `kubectl get -o yaml` wraps them.
func (d Fixtures) Decode(tb testing.TB, name string) []*unstructured.Unstructured {
	tb.Helper()
	return fixtures.MustDecode(tb, string(d)+"/"+name)
}

// One is Decode for a fixture of exactly one object.
func (d Fixtures) One(tb testing.TB, name string) *unstructured.Unstructured {
	tb.Helper()
	objs := d.Decode(tb, name)
	if len(objs) != 1 {
		tb.Fatalf("%s holds %d objects; want 1", name, len(objs))
	}
	return objs[0]
}

// Object decodes an object written inline in a test.
func Object(tb testing.TB, s string) *unstructured.Unstructured {
	tb.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(s)); err != nil {
		tb.Fatalf("decoding %s: %v", s, err)
	}
	return u
}

// SeedObjects adds every object of the named YAML fixtures to a fuzz
// target, each as JSON, for targets that read one object.
func (d Fixtures) SeedObjects(f *testing.F, names ...string) {
	f.Helper()
	for _, name := range names {
		for _, u := range d.Decode(f, name) {
			data, err := json.Marshal(u.Object)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// SeedFiles adds the bytes of the named fixtures to a fuzz target.
func (d Fixtures) SeedFiles(f *testing.F, names ...string) {
	f.Helper()
	for _, name := range names {
		f.Add(d.Read(f, name))
	}
}

// Seed adds each string to a fuzz target.
func Seed(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// ObjectOf is what a fuzz target that reads one object makes of its
// input: the JSON object it holds, or false when it holds none.
func ObjectOf(data []byte) (*unstructured.Unstructured, bool) {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil, false
	}
	return &unstructured.Unstructured{Object: m}, true
}
