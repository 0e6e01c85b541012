package trivy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// stripped is Strip applied to a copy of u.
func stripped(t testing.TB, u *unstructured.Unstructured) *unstructured.Unstructured {
	out, err := Strip(u.DeepCopy())
	if err != nil {
		t.Fatalf("Strip: %v", err)
	}
	return out.(*unstructured.Unstructured)
}

func TestStripKeepsFindings(t *testing.T) {
	fixtures := []string{nginxVulns, corednsVulns, clusterVulns, corednsAudit, podAudit}
	read := map[string]func(*unstructured.Unstructured, zenv1.Severity, time.Time) (Result, error){
		"vulnerabilities": VulnerabilityFindings, "checks": ConfigAuditFindings,
	}
	for _, name := range fixtures {
		for _, u := range append(fx.Decode(t, name), generatedReport(t, 50)) {
			for what, fn := range read {
				for _, min := range allSeverities {
					want, errW := fn(u, min, sourcetest.Now)
					got, errG := fn(stripped(t, u), min, sourcetest.Now)
					if errW != nil || errG != nil {
						t.Fatalf("%s: errors %v, %v", name, errW, errG)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s at %s: stripping changed the findings", name, what, min)
					}
				}
			}
		}
	}
}

func TestStripDrops(t *testing.T) {
	u := stripped(t, generatedReport(t, 3))
	data, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{`"managedFields"`, `"annotations"`, `"summary"`, `"scanner"`, `"os"`,
		`"description"`, `"links"`, `"cvss"`, `"publishedDate"`, `"lastModifiedDate"`, `"target"`,
		`"class"`, `"packagePURL"`, `"packageType"`} {
		if strings.Contains(string(data), gone) {
			t.Errorf("%s survived Strip", gone)
		}
	}
	for _, kept := range []string{`"uid"`, `"resourceVersion"`, `"trivy-operator.container.name"`,
		`"ownerReferences"`, `"updateTimestamp"`, `"primaryLink"`, `"score"`} {
		if !strings.Contains(string(data), kept) {
			t.Errorf("%s did not survive Strip", kept)
		}
	}
	again := stripped(t, u)
	if !reflect.DeepEqual(again.Object, u.Object) {
		t.Error("Strip is not idempotent")
	}
}

func TestStripLeavesOthersAlone(t *testing.T) {
	inner := fx.One(t, nginxVulns)
	tomb := cache.DeletedFinalStateUnknown{Key: "default/replicaset-nginx-6d4cf56db6-nginx", Obj: inner.DeepCopy()}
	var nilU *unstructured.Unstructured
	odd := &unstructured.Unstructured{Object: map[string]any{"metadata": "x", "report": []any{1}}}
	for _, c := range []struct {
		name string
		obj  any
		want any
	}{
		{"tombstone", tomb, cache.DeletedFinalStateUnknown{Key: tomb.Key, Obj: inner.DeepCopy()}},
		{"nil object", nil, nil},
		{"nil unstructured", nilU, nilU},
		{"a string", "x", "x"},
		{"odd shapes", odd, &unstructured.Unstructured{Object: map[string]any{"metadata": "x", "report": []any{1}}}},
		{"empty", &unstructured.Unstructured{}, &unstructured.Unstructured{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Strip(c.obj)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, %v; want %#v unchanged", got, err, c.want)
			}
		})
	}
}
