package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

func TestNormalizeResource(t *testing.T) {
	partial := func(apiVersion, kind, name, ns string) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": kind, "name": name, "namespace": ns}
	}
	tests := []struct {
		name        string
		in          *zenv1.ResourceRef
		details     map[string]any
		want        *zenv1.ResourceRef
		wantDetails map[string]any
		truncated   bool
	}{
		{name: "nil stays nil", in: nil, want: nil},
		{
			name: "complete is copied and trimmed",
			in:   &zenv1.ResourceRef{APIVersion: " v1 ", Kind: " Pod\t", Name: "p ", Namespace: " ns"},
			want: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "p", Namespace: "ns"},
		},
		{
			name:        "no kind moves to details",
			in:          &zenv1.ResourceRef{APIVersion: "v1", Name: "p", Namespace: "ns"},
			wantDetails: map[string]any{"resource": partial("v1", "", "p", "ns")},
		},
		{
			name:        "blank name moves to details, beside existing details",
			in:          &zenv1.ResourceRef{Kind: "Pod", Name: "  "},
			details:     map[string]any{"rule": "r"},
			wantDetails: map[string]any{"rule": "r", "resource": partial("", "Pod", "", "")},
		},
		{
			name:        "existing resource detail is not overwritten",
			in:          &zenv1.ResourceRef{Kind: "Pod"},
			details:     map[string]any{"resource": "tool's own"},
			wantDetails: map[string]any{"resource": "tool's own", "_resource": partial("", "Pod", "", "")},
		},
		{name: "all empty leaves nothing behind", in: &zenv1.ResourceRef{}, want: nil},
		{
			name: "long fields are cut to the CRD limits",
			in: &zenv1.ResourceRef{
				APIVersion: strings.Repeat("v", 300), Kind: strings.Repeat("K", 100),
				Name: strings.Repeat("n", 300), Namespace: strings.Repeat("s", 100),
			},
			want: &zenv1.ResourceRef{
				APIVersion: strings.Repeat("v", 253), Kind: strings.Repeat("K", 63),
				Name: strings.Repeat("n", 253), Namespace: strings.Repeat("s", 63),
			},
			truncated: true,
		},
		{
			name:      "cut on a rune boundary",
			in:        &zenv1.ResourceRef{Kind: "Pod", Name: strings.Repeat("é", 200)},
			want:      &zenv1.ResourceRef{Kind: "Pod", Name: strings.Repeat("é", 126)},
			truncated: true,
		},
		{
			name: "invalid UTF-8 becomes U+FFFD",
			in:   &zenv1.ResourceRef{Kind: "Pod", Name: "p\xff"},
			want: &zenv1.ResourceRef{Kind: "Pod", Name: "p\uFFFD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := normFinding()
			f.Resource, f.Details = tt.in, tt.details
			out, m := normalizeOne(t, f)
			got := out[0]
			if !reflect.DeepEqual(got.Resource, tt.want) {
				t.Errorf("Resource = %+v, want %+v", got.Resource, tt.want)
			}
			if got.Resource != nil && got.Resource == tt.in {
				t.Error("Resource points at the caller's ResourceRef")
			}
			if !reflect.DeepEqual(got.Details, tt.wantDetails) {
				t.Errorf("Details = %#v, want %#v", got.Details, tt.wantDetails)
			}
			wantCount := 0.0
			if tt.truncated {
				wantCount = 1
			}
			if c := testutil.ToFloat64(m.FindingsTruncated.WithLabelValues("trivy")); c != wantCount {
				t.Errorf("truncated = %v, want %v", c, wantCount)
			}
		})
	}
}
