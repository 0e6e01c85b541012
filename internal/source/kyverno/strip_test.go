package kyverno

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

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
	var objs []*unstructured.Unstructured
	for _, name := range allFiles {
		objs = append(objs, fx.Decode(t, name)...)
	}
	objs = append(objs, generatedReport(t, 20))
	for i, u := range objs {
		for _, results := range [][]string{{"fail"}, {"fail", "warn", "error"}, {"pass", "skip"}} {
			want, errW := Findings(u, results, sourcetest.Now)
			got, errG := Findings(stripped(t, u), results, sourcetest.Now)
			if errW != nil || errG != nil {
				t.Fatalf("object %d: errors %v, %v", i, errW, errG)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("object %d (%s) %v: stripping changed the findings:\n%+v\n%+v", i, u.GetName(), results, got, want)
			}
		}
	}
}

func TestStripDrops(t *testing.T) {
	u := generatedReport(t, 3)
	u.Object["results"].([]any)[0].(map[string]any)["resources"] = []any{
		map[string]any{"kind": "Pod", "name": "x", "uid": "u-9", "fieldPath": "spec", "resourceVersion": "3"}}
	u = stripped(t, u)
	data, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{`"managedFields"`, `"annotations"`, `"summary"`, `"resourceSelector"`,
		`"uid":"u-2"`, `"uid":"u-9"`, `"fieldPath"`, `"resourceVersion":"3"`} {
		if strings.Contains(string(data), gone) {
			t.Errorf("%s survived Strip", gone)
		}
	}
	for _, kept := range []string{`"uid":"u-1"`, `"resourceVersion":"7"`, `"scope"`, `"properties"`,
		`"timestamp"`, `"severity"`, `"scored"`, `"category"`, `"name":"x"`} {
		if !strings.Contains(string(data), kept) {
			t.Errorf("%s did not survive Strip", kept)
		}
	}
	if again := stripped(t, u); !reflect.DeepEqual(again.Object, u.Object) {
		t.Error("Strip is not idempotent")
	}
}

func TestStripLeavesOthersAlone(t *testing.T) {
	inner := fx.Decode(t, podPassFail)[0]
	tomb := cache.DeletedFinalStateUnknown{Key: "kube-system/487df031", Obj: inner.DeepCopy()}
	var nilU *unstructured.Unstructured
	odd := func() *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"metadata": 1, "scope": "x", "results": []any{"y", nil}}}
	}
	for _, c := range []struct {
		name      string
		obj, want any
	}{
		{"tombstone", tomb, cache.DeletedFinalStateUnknown{Key: tomb.Key, Obj: inner.DeepCopy()}},
		{"nil object", nil, nil},
		{"nil unstructured", nilU, nilU},
		{"a string", "x", "x"},
		{"odd shapes", odd(), odd()},
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
