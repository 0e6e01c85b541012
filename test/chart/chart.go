package chart

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Root is the repository's root folder, found from this file's location.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Dir is the chart's folder.
func Dir() string { return filepath.Join(Root(), "deploy", "charts", "zen-watcher") }

// Helm returns the path of the helm binary `make tools` builds, and fails
// the test when it is missing.
func Helm(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(Root(), "bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("no helm binary (run `make tools`): %v", err)
	}
	return bin
}

// Run runs helm with args from the repository root and returns its
// combined output and error.
func Run(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.Command(Helm(tb), args...)
	cmd.Dir = Root()
	// No user configuration, cache or plugins leak into the tests.
	home := tb.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Template renders the chart as release `release` in namespace ns with
// the given extra helm arguments (--set, -f) and returns its objects.
func Template(tb testing.TB, release, ns string, args ...string) []*unstructured.Unstructured {
	tb.Helper()
	out, err := Run(tb, append([]string{"template", release, Dir(), "--namespace", ns}, args...)...)
	if err != nil {
		tb.Fatalf("helm template %v: %v\n%s", args, err, out)
	}
	objs, err := Decode([]byte(out))
	if err != nil {
		tb.Fatalf("helm template %v: %v", args, err)
	}
	return objs
}

var docDivider = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Decode splits a multi-document YAML stream into objects, skipping empty
// documents.
func Decode(b []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for i, doc := range docDivider.Split(string(b), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, fmt.Errorf("document %d: %w\n%s", i, err, doc)
		}
		out = append(out, u)
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Find returns the objects of one kind.
func Find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// One returns the only object of a kind, failing the test otherwise.
func One(tb testing.TB, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	tb.Helper()
	found := Find(objs, kind)
	if len(found) != 1 {
		tb.Fatalf("want one %s, got %d", kind, len(found))
	}
	return found[0]
}
