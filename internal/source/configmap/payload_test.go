package configmap

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestPayloads(t *testing.T) {
	cases := []struct {
		name       string
		data       map[string]string
		binary     map[string][]byte
		want       []string
		wantReason string
	}{
		{name: "results.json wins over other keys", data: map[string]string{"results.json": "{}", "a.json": "[]"}, want: []string{"results.json"}},
		{name: "results.json in binaryData", data: map[string]string{"b.json": "[]"}, binary: map[string][]byte{"results.json": []byte("{}")}, want: []string{"results.json"}},
		{name: "every .json key, in order", data: map[string]string{"z.json": "{}", "notes.txt": "x"}, binary: map[string][]byte{"a.json": []byte("[]")}, want: []string{"a.json", "z.json"}},
		{name: "nothing readable", data: map[string]string{"results.yaml": "x"}, wantReason: source.ReasonNoPayload},
		{name: "empty ConfigMap", wantReason: source.ReasonNoPayload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := payloads(&corev1.ConfigMap{Data: c.data, BinaryData: c.binary})
			if c.wantReason != "" {
				if r := sourcetest.Reason(t, err); r != c.wantReason {
					t.Fatalf("want %s, got %v", c.wantReason, err)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i, p := range got {
				if p.key != c.want[i] {
					t.Errorf("payload %d is %s, want %s", i, p.key, c.want[i])
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("abcdef", 5); got != "ab..." {
		t.Errorf("got %q", got)
	}
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("got %q", got)
	}
}
