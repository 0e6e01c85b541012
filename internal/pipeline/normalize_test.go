package pipeline

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// labelValueRE is the CRD pattern on source and eventType.
var labelValueRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func normNow() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }

// normFinding is a valid Trivy-like finding; tests change one field at a time.
func normFinding() finding.Finding {
	return finding.Finding{
		Source:     "trivy",
		Category:   zenv1.CategorySecurity,
		Severity:   zenv1.SeverityHigh,
		EventType:  "vulnerability",
		Resource:   &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"},
		Details:    map[string]any{"vulnerabilityID": "CVE-2024-0001", "score": 7.5},
		DetectedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		DedupKey:   "shop/Deployment/web/nginx/CVE-2024-0001",
	}
}

// normalizeOne runs a fresh stage on f and returns what came out.
func normalizeOne(t testing.TB, f finding.Finding) ([]finding.Finding, *Metrics) {
	t.Helper()
	m := NewMetrics(nil)
	return NewNormalizeStage(m, normNow).Exec(context.Background(), []finding.Finding{f}), m
}

func TestNormalizeDrops(t *testing.T) {
	tests := []struct {
		name       string
		change     func(*finding.Finding)
		wantSource string
		wantReason string
	}{
		{"empty source", func(f *finding.Finding) { f.Source = "" }, "invalid", reasonInvalidSource},
		{"source only dashes", func(f *finding.Finding) { f.Source = "---" }, "invalid", reasonInvalidSource},
		{"source only non-ASCII", func(f *finding.Finding) { f.Source = "日本" }, "invalid", reasonInvalidSource},
		{"source NUL", func(f *finding.Finding) { f.Source = "\x00" }, "invalid", reasonInvalidSource},
		{"source invalid UTF-8", func(f *finding.Finding) { f.Source = "\xff\xfe" }, "invalid", reasonInvalidSource},
		{"empty key", func(f *finding.Finding) { f.DedupKey = "" }, "trivy", reasonEmptyKey},
		{"whitespace key", func(f *finding.Finding) { f.DedupKey = " \t\n\u00a0" }, "trivy", reasonEmptyKey},
		{"empty category", func(f *finding.Finding) { f.Category = "" }, "trivy", reasonInvalidCategory},
		{"capitalised category", func(f *finding.Finding) { f.Category = "Security" }, "trivy", reasonInvalidCategory},
		{"empty severity", func(f *finding.Finding) { f.Severity = "" }, "trivy", reasonInvalidSeverity},
		{"lowercase severity", func(f *finding.Finding) { f.Severity = "high" }, "trivy", reasonInvalidSeverity},
		{"unknown severity", func(f *finding.Finding) { f.Severity = "UNKNOWN" }, "trivy", reasonInvalidSeverity},
		{"empty event type", func(f *finding.Finding) { f.EventType = "" }, "trivy", reasonInvalidEventType},
		{"event type only symbols", func(f *finding.Finding) { f.EventType = "?!?" }, "trivy", reasonInvalidEventType},
		{"sanitized source labels the drop", func(f *finding.Finding) { f.Source, f.Severity = "Kube_Bench", "" }, "kube-bench", reasonInvalidSeverity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := normFinding()
			tt.change(&f)
			out, m := normalizeOne(t, f)
			if len(out) != 0 {
				t.Fatalf("kept %+v, want dropped", out[0])
			}
			if got := testutil.ToFloat64(m.FindingsDropped.WithLabelValues(tt.wantSource, tt.wantReason)); got != 1 {
				t.Errorf("dropped{source=%q,reason=%q} = %v, want 1", tt.wantSource, tt.wantReason, got)
			}
			if n := testutil.CollectAndCount(m.FindingsDropped); n != 1 {
				t.Errorf("dropped has %d series, want 1", n)
			}
		})
	}
}

func TestNormalizeKeepsEveryValidCategoryAndSeverity(t *testing.T) {
	for _, c := range []zenv1.Category{zenv1.CategorySecurity, zenv1.CategoryCompliance} {
		for _, s := range []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo} {
			t.Run(string(c)+"/"+string(s), func(t *testing.T) {
				f := normFinding()
				f.Category, f.Severity = c, s
				if out, _ := normalizeOne(t, f); len(out) != 1 {
					t.Fatal("dropped a valid finding")
				}
			})
		}
	}
}

func TestNormalizeLabelFields(t *testing.T) {
	tests := []struct {
		name, in, want string
		truncated      bool
	}{
		{"already valid", "trivy", "trivy", false},
		{"uppercase", "Trivy", "trivy", false},
		{"underscore", "Kube_Bench", "kube-bench", false},
		{"dots and spaces", "my.source v2", "my-source-v2", false},
		{"leading and trailing dashes", "--falco--", "falco", false},
		{"non-ASCII letter", "Søurce", "s-urce", false},
		{"Greek capitals", "ΑΒΓ-x", "x", false},
		{"Kelvin sign lowercases to k", "\u212a8s", "k8s", false},
		{"NUL byte", "a\x00b", "a-b", false},
		{"invalid UTF-8", "a\xffb", "a-b", false},
		{"exactly 63", strings.Repeat("a", 63), strings.Repeat("a", 63), false},
		{"64 cut to 63", strings.Repeat("a", 64), strings.Repeat("a", 63), true},
		{"cut leaves a trailing dash", strings.Repeat("a", 62) + "-bb", strings.Repeat("a", 62), true},
		{"1 MiB", strings.Repeat("A", 1<<20), strings.Repeat("a", 63), true},
	}
	for _, tt := range tests {
		for _, field := range []string{"source", "eventType"} {
			t.Run(field+"/"+tt.name, func(t *testing.T) {
				f := normFinding()
				get := &f.Source
				if field == "eventType" {
					get = &f.EventType
				}
				*get = tt.in
				out, m := normalizeOne(t, f)
				if len(out) != 1 {
					t.Fatal("dropped")
				}
				got := out[0].Source
				if field == "eventType" {
					got = out[0].EventType
				}
				if got != tt.want {
					t.Errorf("%s = %q, want %q", field, got, tt.want)
				}
				if !labelValueRE.MatchString(got) {
					t.Errorf("%s %q does not match the label pattern", field, got)
				}
				wantCount := 0.0
				if tt.truncated {
					wantCount = 1
				}
				if c := testutil.ToFloat64(m.FindingsTruncated.WithLabelValues(out[0].Source)); c != wantCount {
					t.Errorf("truncated = %v, want %v", c, wantCount)
				}
			})
		}
	}
}

func TestNormalizeDedupKey(t *testing.T) {
	long := strings.Repeat("k", 2000)
	tests := []struct {
		name      string
		key       string
		same      bool // returned unchanged
		truncated bool
	}{
		{"short", "ns/Pod/p/rule", true, false},
		{"NUL is kept", "a\x00b", true, false},
		{"exactly 1024", strings.Repeat("k", 1024), true, false},
		{"1025", strings.Repeat("k", 1025), false, true},
		{"2000", long, false, true},
		{"1 MiB", strings.Repeat("k", 1<<20), false, true},
		{"multi-byte runes", strings.Repeat("é", 600), false, true},
		{"invalid UTF-8", "abc\xff", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := normFinding()
			f.DedupKey = tt.key
			out, m := normalizeOne(t, f)
			if len(out) != 1 {
				t.Fatal("dropped")
			}
			got := out[0].DedupKey
			if (got == tt.key) != tt.same {
				t.Errorf("key unchanged = %v, want %v", got == tt.key, tt.same)
			}
			if len(got) > zenv1.MaxStringLength || !utf8.ValidString(got) {
				t.Errorf("key of %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
			}
			if !tt.same && !strings.Contains(got, finding.KeyHashSep) {
				t.Errorf("shortened key %q has no hash suffix", got)
			}
			again, _ := normalizeOne(t, f)
			if again[0].DedupKey != got {
				t.Error("shortening is not deterministic")
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
	t.Run("long keys differing after the prefix stay distinct", func(t *testing.T) {
		a, b := normFinding(), normFinding()
		a.DedupKey, b.DedupKey = long+"a", long+"b"
		outA, _ := normalizeOne(t, a)
		outB, _ := normalizeOne(t, b)
		if outA[0].DedupKey == outB[0].DedupKey {
			t.Errorf("two long keys collide: %q", outA[0].DedupKey)
		}
	})
	t.Run("invalid UTF-8 keys stay distinct", func(t *testing.T) {
		a, b := normFinding(), normFinding()
		a.DedupKey, b.DedupKey = "k\xff", "k\xfe"
		outA, _ := normalizeOne(t, a)
		outB, _ := normalizeOne(t, b)
		if outA[0].DedupKey == outB[0].DedupKey {
			t.Errorf("two invalid keys collide: %q", outA[0].DedupKey)
		}
	})
}

func TestNormalizeDetectedAt(t *testing.T) {
	f := normFinding()
	f.DetectedAt = time.Time{}
	out, _ := normalizeOne(t, f)
	if !out[0].DetectedAt.Equal(normNow()) {
		t.Errorf("zero DetectedAt became %v, want now %v", out[0].DetectedAt, normNow())
	}
	f = normFinding()
	out, _ = normalizeOne(t, f)
	if !out[0].DetectedAt.Equal(f.DetectedAt) {
		t.Errorf("DetectedAt changed to %v", out[0].DetectedAt)
	}
}

func TestNormalizeDoesNotMutateInput(t *testing.T) {
	build := func() []finding.Finding {
		f := normFinding()
		f.Source = "Trivy_Operator"
		f.DedupKey = strings.Repeat("x", 3000)
		f.Resource = &zenv1.ResourceRef{Kind: "", Name: "web"}
		f.Details = map[string]any{
			"long":   strings.Repeat("y", 5000),
			"nested": map[string]any{"list": []any{strings.Repeat("z", 2000), 1.0}},
		}
		for i := range 100 {
			f.Details[strings.Repeat("k", i+1)] = i
		}
		return []finding.Finding{f, normFinding()}
	}
	in, want := build(), build()
	out := NewNormalizeStage(nil, nil).Exec(context.Background(), in)
	if len(out) != 2 {
		t.Fatalf("kept %d findings, want 2", len(out))
	}
	if !reflect.DeepEqual(in, want) {
		t.Error("Exec changed its input")
	}
	out[1].Details["vulnerabilityID"] = "changed"
	if in[1].Details["vulnerabilityID"] != "CVE-2024-0001" {
		t.Error("output details share the caller's map")
	}
}

func TestNormalizeEmptyBatch(t *testing.T) {
	s := NewNormalizeStage(NewMetrics(nil), normNow)
	if out := s.Exec(context.Background(), nil); len(out) != 0 {
		t.Errorf("Exec(nil) = %v", out)
	}
}

func BenchmarkNormalize(b *testing.B) {
	s := NewNormalizeStage(NewMetrics(nil), normNow)
	f := normFinding()
	f.Details = map[string]any{
		"vulnerabilityID":  "CVE-2024-0001",
		"installedVersion": "1.2.3",
		"fixedVersion":     "1.2.4",
		"title":            "nginx: buffer overflow in the resolver",
		"score":            7.5,
		"links":            []any{"https://avd.aquasec.com/nvd/cve-2024-0001"},
	}
	batch := []finding.Finding{f}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if len(s.Exec(ctx, batch)) != 1 {
			b.Fatal("dropped")
		}
	}
}
