package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

func TestNormalizeRuleAndTitle(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	cases := []struct {
		name, rule, title   string
		wantRule, wantTitle string
		truncated           bool
	}{
		{"unchanged", "CVE-2021-3121", "gogo/protobuf: lacks index validation", "CVE-2021-3121", "gogo/protobuf: lacks index validation", false},
		{"empty stays empty", "", "", "", "", false},
		{"multi-line message becomes one line", "p/r", "validation error:\n\tfield  x\r\nmust be set \n", "p/r", "validation error: field x must be set", false},
		{"control characters", "a\x00b", "\x1b[31mred\x1b[0m", "a b", "[31mred [0m", false},
		{"leading and trailing space", "  CKV_K8S_1 ", " title ", "CKV_K8S_1", "title", false},
		{"invalid UTF-8", "r\xff", "t\xfe", "r\uFFFD", "t\uFFFD", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := normFinding()
			f.Rule, f.Title = c.rule, c.title
			out, m := normalizeOne(t, f)
			if len(out) != 1 {
				t.Fatal("finding dropped")
			}
			if out[0].Rule != c.wantRule || out[0].Title != c.wantTitle {
				t.Errorf("rule %q title %q; want %q, %q", out[0].Rule, out[0].Title, c.wantRule, c.wantTitle)
			}
			if got := testutil.ToFloat64(m.FindingsTruncated.WithLabelValues("trivy")) == 1; got != c.truncated {
				t.Errorf("truncated counted %v; want %v", got, c.truncated)
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		f := normFinding()
		f.Rule, f.Title = long, long+"\n"+long
		out, m := normalizeOne(t, f)
		r, ti := out[0].Rule, out[0].Title
		if len(r) > zenv1.MaxRuleLength || len(ti) > zenv1.MaxTitleLength || !utf8.ValidString(r) || !utf8.ValidString(ti) {
			t.Errorf("rule %d bytes, title %d bytes: over the limits or invalid", len(r), len(ti))
		}
		if !strings.HasSuffix(r, truncatedMarker) || !strings.HasSuffix(ti, truncatedMarker) {
			t.Error("a shortened value must say so")
		}
		if testutil.ToFloat64(m.FindingsTruncated.WithLabelValues("trivy")) != 1 {
			t.Error("truncation not counted")
		}
	})
}

func TestRuleLabel(t *testing.T) {
	cases := []struct {
		rule string
		want string
		ok   bool
	}{
		{"CVE-2021-3121", "CVE-2021-3121", true},
		{"1.1.1", "1.1.1", true},
		{"CKV_K8S_20", "CKV_K8S_20", true},
		{"KSV014", "KSV014", true},
		{"pod-exec", "pod-exec", true},
		{"", "", false},
		{"disallow-host-namespaces/host-namespaces", "", false},
		{"Terminal shell in container", "", false},
		{strings.Repeat("a", 64), "", false},
		{"-leading", "", false},
	}
	for _, c := range cases {
		got, ok := finding.RuleLabel(c.rule)
		if got != c.want || ok != c.ok {
			t.Errorf("RuleLabel(%q) = %q, %v; want %q, %v", c.rule, got, ok, c.want, c.ok)
		}
	}
}

func TestAggregatorWritesRuleTitleAndLabel(t *testing.T) {
	cases := []struct {
		rule, title string
		label       string // "" means no label
	}{
		{"CVE-1", "libbsd0 0.9.1-2", "CVE-1"},
		{"policy/rule", "a message", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		w := &fakeWriter{}
		a, _ := newTestAggregator(w, noneStored{}, 0)
		f := testFinding(1, time.Now())
		f.Rule, f.Title = c.rule, c.title
		if err := a.Add(context.Background(), []finding.Finding{f}); err != nil {
			t.Fatal(err)
		}
		ev := w.ops[0].Event
		if ev.Spec.Rule != c.rule || ev.Spec.Title != c.title {
			t.Errorf("%q: spec rule %q title %q", c.rule, ev.Spec.Rule, ev.Spec.Title)
		}
		if got, has := ev.Labels[zenv1.LabelRule]; got != c.label || has != (c.label != "") {
			t.Errorf("%q: rule label %q (present %v); want %q", c.rule, got, has, c.label)
		}
	}
}
