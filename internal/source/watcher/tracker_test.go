package watcher

import (
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

func f(key string) finding.Finding {
	return finding.Finding{Source: "kube-bench", Category: zenv1.CategoryCompliance, Severity: zenv1.SeverityHigh,
		EventType: "cis-benchmark-fail", DedupKey: key, Details: map[string]any{"big": "x"}}
}

func keys(fs []finding.Finding) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		k := f.DedupKey
		if f.Resolved {
			k = "-" + k
		}
		out[k] = true
	}
	return out
}

func TestTracker(t *testing.T) {
	now := time.Now()
	tr := NewTracker()
	if tr.Seen("u", "1") {
		t.Fatal("nothing seen yet")
	}
	got := keys(tr.Update("u", "1", []finding.Finding{f("a"), f("b")}, true, now))
	if len(got) != 2 || !got["a"] || !got["b"] {
		t.Fatalf("first version: %v", got)
	}
	if !tr.Seen("u", "1") || tr.Seen("u", "2") {
		t.Fatal("Seen wrong")
	}
	got = keys(tr.Update("u", "2", []finding.Finding{f("b"), f("c")}, true, now))
	if len(got) != 3 || !got["b"] || !got["c"] || !got["-a"] {
		t.Fatalf("second version should repeat b, add c and resolve a: %v", got)
	}
	got = keys(tr.Update("u", "3", []finding.Finding{f("c")}, false, now))
	if len(got) != 1 || !got["c"] {
		t.Fatalf("an incomplete version must resolve nothing: %v", got)
	}
	got = keys(tr.Delete("u", now))
	if len(got) != 2 || !got["-b"] || !got["-c"] {
		t.Fatalf("delete should resolve everything held: %v", got)
	}
	for _, r := range tr.Delete("u", now) {
		t.Fatalf("a second delete resolves nothing, got %v", r)
	}
}

func TestTrackerResolutionsCarryNoDetails(t *testing.T) {
	tr := NewTracker()
	tr.Update("u", "1", []finding.Finding{f("a")}, true, time.Now())
	for _, r := range tr.Delete("u", time.Now()) {
		if r.Details != nil || !r.Resolved || r.Category == "" {
			t.Fatalf("resolution %+v", r)
		}
	}
}
