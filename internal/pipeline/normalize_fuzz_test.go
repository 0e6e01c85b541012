package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// FuzzNormalize builds a finding from fuzzed text and checks that whatever
// normalize keeps would pass the CRD schema.
func FuzzNormalize(f *testing.F) {
	f.Add("trivy", "vulnerability", "ns/Deployment/web/CVE-1", "Deployment", "web", "shop", "cve", "CVE-1", []byte(`{"a":[1,2,{"b":null}]}`), uint8(0), uint16(0))
	f.Add("Kube_Bench", "CIS Fail", strings.Repeat("k", 1100), "", "node-1", "", strings.Repeat("x", 1100), "\xff\x00", []byte("not json"), uint8(40), uint16(70))
	f.Add("日本", "", " ", "Pod", " ", "\xff", "", "", []byte(`1e999`), uint8(255), uint16(500))
	f.Fuzz(func(t *testing.T, source, eventType, key, kind, name, ns, dk, dv string, raw []byte, depth uint8, n uint16) {
		details := map[string]any{dk: dv, "raw": raw, "rawString": string(raw)}
		var decoded any
		if json.Unmarshal(raw, &decoded) == nil {
			details["json"] = decoded
		}
		var deep any = dv
		for range int(depth) % 64 {
			deep = map[string]any{dk: deep, "l": []any{dv}}
		}
		details["deep"] = deep
		for i := range int(n) % 200 {
			details[dk+strings.Repeat("_", i)] = dv
		}
		in := finding.Finding{
			Source:    source,
			Category:  zenv1.CategorySecurity,
			Severity:  zenv1.SeverityLow,
			EventType: eventType,
			DedupKey:  key,
			Rule:      dk + name,
			Title:     dv + "\n" + key,
			Details:   details,
			Resource:  &zenv1.ResourceRef{Kind: kind, Name: name, Namespace: ns, APIVersion: dk},
		}
		for _, f := range NewNormalizeStage(nil, nil).Exec(context.Background(), []finding.Finding{in}) {
			checkNormalized(t, f)
		}
	})
}

// checkNormalized asserts the CRD's constraints on a normalized finding.
func checkNormalized(t *testing.T, f finding.Finding) {
	t.Helper()
	for field, v := range map[string]string{"source": f.Source, "eventType": f.EventType} {
		if len(v) > labelMaxLen || !labelValueRE.MatchString(v) {
			t.Errorf("%s %q is not a label value", field, v)
		}
	}
	if f.DedupKey == "" || len(f.DedupKey) > zenv1.MaxStringLength || !utf8.ValidString(f.DedupKey) {
		t.Errorf("dedup key of %d bytes, valid UTF-8 %v", len(f.DedupKey), utf8.ValidString(f.DedupKey))
	}
	if len(f.Rule) > zenv1.MaxRuleLength || len(f.Title) > zenv1.MaxTitleLength || !utf8.ValidString(f.Rule) || !utf8.ValidString(f.Title) ||
		strings.ContainsAny(f.Rule+f.Title, "\n\r\t") {
		t.Errorf("rule %q or title %q is not one valid line within the limits", f.Rule, f.Title)
	}
	if r := f.Resource; r != nil {
		if r.Kind == "" || r.Name == "" || len(r.Kind) > maxKindLen || len(r.Name) > maxNameLen ||
			len(r.Namespace) > maxNamespaceLen || len(r.APIVersion) > maxAPIVersionLen {
			t.Errorf("resource %+v breaks the schema", r)
		}
	}
	if f.DetectedAt.IsZero() {
		t.Error("zero DetectedAt")
	}
	b, err := json.Marshal(f.Details)
	if err != nil {
		t.Fatalf("details do not encode: %v", err)
	}
	if len(b) > zenv1.MaxDetailsBytes || len(f.Details) > maxDetailsKeys {
		t.Errorf("details: %d bytes, %d keys", len(b), len(f.Details))
	}
}
