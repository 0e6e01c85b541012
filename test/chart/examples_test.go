package chart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/kube-zen/zen-watcher/api/v1alpha1"
)

func examples(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(Root(), "deploy", "examples"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return files
}

// Every example parses as YAML without duplicate keys, and every
// Kubernetes object in one decodes strictly into its Go type, so a
// misspelt field fails here. (The integration tests go further: the audit
// policy and webhook kubeconfig run in a kube-apiserver, and the Jobs are
// validated by one.)
func TestExamplesParse(t *testing.T) {
	// ZenSource and ZenOutput examples decode strictly into their Go types too.
	sch := runtime.NewScheme()
	if err := errors.Join(scheme.AddToScheme(sch), v1alpha1.AddToScheme(sch)); err != nil {
		t.Fatal(err)
	}
	strict := serializer.NewCodecFactory(sch, serializer.EnableStrict).UniversalDeserializer()
	for _, path := range examples(t) {
		rel, _ := filepath.Rel(Root(), path)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i, doc := range docDivider.Split(string(b), -1) {
				if strings.TrimSpace(stripComments(doc)) == "" {
					continue
				}
				var v map[string]any
				if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
					t.Fatalf("document %d: %v", i, err)
				}
				kind, _ := v["kind"].(string)
				switch {
				case kind == "Config":
					if _, err := clientcmd.Load([]byte(doc)); err != nil {
						t.Errorf("kubeconfig: %v", err)
					}
				case kind == "Policy":
					if v["apiVersion"] != "audit.k8s.io/v1" {
						t.Errorf("audit policy apiVersion %v", v["apiVersion"])
					}
				case kind != "":
					if _, _, err := strict.Decode([]byte(doc), nil, nil); err != nil {
						t.Errorf("document %d (%s): %v", i, kind, err)
					}
				}
			}
		})
	}
}

// The Jobs leave their results where, and labelled as, the chart's
// defaults read them.
func TestExampleJobsMatchChartDefaults(t *testing.T) {
	values := loadYAML(t, filepath.Join(Dir(), "values.yaml"))
	tools := values["tools"].(map[string]any)
	for file, tool := range map[string]string{"kube-bench/kube-bench-job.yaml": "kubeBench", "checkov/checkov-job.yaml": "checkov"} {
		b, err := os.ReadFile(filepath.Join(Root(), "deploy", "examples", file))
		if err != nil {
			t.Fatal(err)
		}
		ns := tools[tool].(map[string]any)["namespace"].(string)
		label := map[string]string{"kubeBench": "app=kube-bench", "checkov": "app=checkov"}[tool]
		for _, want := range []string{"--namespace " + ns, "kubectl label --local -f - " + label, "results.json="} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
}
