package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// fakeWriter completes every op at once, as a writer whose API server
// accepts everything would, and remembers what it was asked.
type fakeWriter struct{ ops []*store.Op }

func (w *fakeWriter) Saturated() bool { return false }

func (w *fakeWriter) Enqueue(_ context.Context, op *store.Op) error {
	w.ops = append(w.ops, op)
	for next := op; next != nil && next.Done != nil; {
		r := store.Result{Namespace: next.Event.Namespace, Hint: &store.Hint{ResourceVersion: "1"}, Created: !next.Exists}
		next = next.Done(r)
		if next != nil {
			w.ops = append(w.ops, next)
		}
	}
	return nil
}

type noneStored struct{}

func (noneStored) Latest(string) (string, int, bool) { return "", 0, false }

type storedGen struct{ gen int }

func (s storedGen) Latest(string) (string, int, bool) { return "apps", s.gen, true }

func testFinding(i int, at time.Time) finding.Finding {
	return finding.Finding{
		Source: "trivy", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh, EventType: "vulnerability",
		Resource:   &zenv1.ResourceRef{Kind: "Pod", Name: fmt.Sprintf("p%d", i), Namespace: "apps"},
		DetectedAt: at, DedupKey: fmt.Sprintf("apps/Pod/p%d/c/CVE-1", i),
	}
}

func newTestAggregator(w Enqueuer, stored StoredEvents, window time.Duration) (*Aggregator, *Metrics) {
	m := NewMetrics(nil)
	return NewAggregator(w, stored, window, "zen-system", m, slog.New(slog.DiscardHandler)), m
}

func TestAggregatorCreatesOnceAndCoalescesRepeats(t *testing.T) {
	w := &fakeWriter{}
	a, m := newTestAggregator(w, noneStored{}, 0)
	now := time.Now()
	for range 300 {
		if err := a.Add(context.Background(), []finding.Finding{testFinding(1, now)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.ops) != 1 || w.ops[0].Exists || w.ops[0].Delta.Count != 1 {
		t.Fatalf("want one create before the flush, got %d ops", len(w.ops))
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(w.ops) != 2 || !w.ops[1].Exists || w.ops[1].Delta.Count != 299 || w.ops[1].Hint == nil {
		t.Fatalf("want one status write carrying the 299 repeats, got %+v", w.ops[len(w.ops)-1])
	}
	if err := a.Flush(context.Background()); err != nil || len(w.ops) != 2 {
		t.Fatalf("a flush with nothing pending must write nothing: %d ops", len(w.ops))
	}
	if got := testutil.ToFloat64(m.DedupHits.WithLabelValues("trivy")); got != 299 {
		t.Errorf("dedup hits %v, want 299", got)
	}
	if got := testutil.ToFloat64(m.Coalesced.WithLabelValues("trivy")); got != 298 { // all but the first ride on its status write
		t.Errorf("coalesced %v, want 298", got)
	}
	ev := w.ops[0].Event
	if ev.Namespace != "apps" || ev.Name != finding.ObjectName("trivy", ev.Spec.DedupKey, 0) || ev.Labels[zenv1.LabelKeyHash] == "" {
		t.Errorf("event identity wrong: %s/%s %v", ev.Namespace, ev.Name, ev.Labels)
	}
}

func TestAggregatorUsesIndexForStoredEvents(t *testing.T) {
	w := &fakeWriter{}
	a, _ := newTestAggregator(w, storedGen{gen: 2}, 0)
	if err := a.Add(context.Background(), []finding.Finding{testFinding(1, time.Now())}); err != nil {
		t.Fatal(err)
	}
	if len(w.ops) != 0 {
		t.Fatal("a stored event's repeat must wait for the flush, not create")
	}
	_ = a.Flush(context.Background())
	if len(w.ops) != 1 || !w.ops[0].Exists || w.ops[0].Event.Labels[zenv1.LabelGeneration] != "2" {
		t.Fatalf("want an update of generation 2, got %+v", w.ops)
	}
}

func TestAggregatorWindowRotatesGeneration(t *testing.T) {
	w := &fakeWriter{}
	a, _ := newTestAggregator(w, noneStored{}, time.Hour)
	t0 := time.Now().Add(-10 * time.Hour)
	for _, d := range []time.Duration{0, 30 * time.Minute, 5 * time.Hour} {
		_ = a.Add(context.Background(), []finding.Finding{testFinding(1, t0.Add(d))})
	}
	_ = a.Flush(context.Background())
	gens := map[string]int64{}
	for _, op := range w.ops { // a create carries its occurrence
		gens[op.Event.Labels[zenv1.LabelGeneration]] += op.Delta.Count
	}
	if gens["0"] != 2 || gens["1"] != 1 {
		t.Fatalf("want 2 occurrences in generation 0 and 1 in generation 1, got %v", gens)
	}
}

func TestAggregatorIgnoresResolutionOfUnknownFinding(t *testing.T) {
	w := &fakeWriter{}
	a, _ := newTestAggregator(w, noneStored{}, 0)
	f := testFinding(1, time.Now())
	f.Resolved = true
	_ = a.Add(context.Background(), []finding.Finding{f})
	_ = a.Flush(context.Background())
	if len(w.ops) != 0 {
		t.Fatalf("resolving a never-stored finding wrote %d ops", len(w.ops))
	}
}

type discardWriter struct{}

func (discardWriter) Saturated() bool { return false }

func (discardWriter) Enqueue(_ context.Context, op *store.Op) error {
	op.Done(store.Result{Namespace: op.Event.Namespace, Hint: &store.Hint{}})
	return nil
}

// BenchmarkAggregatorRepeat measures the hot path of a repeat: a finding
// whose event is stored already, folded into a pending delta.
func BenchmarkAggregatorRepeat(b *testing.B) {
	a, _ := newTestAggregator(discardWriter{}, noneStored{}, 0)
	fs := make([]finding.Finding, 1000)
	for i := range fs {
		fs[i] = testFinding(i, time.Now())
	}
	_ = a.Add(context.Background(), fs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = a.Add(context.Background(), fs[i%1000:i%1000+1])
	}
}

// fullWriter refuses every write, as a writer whose queue stays full.
type fullWriter struct{}

func (fullWriter) Saturated() bool { return true }

func (fullWriter) Enqueue(ctx context.Context, _ *store.Op) error { return context.DeadlineExceeded }

func TestAggregatorKeepsSupersededGenerationWhenQueueIsFull(t *testing.T) {
	w := &fakeWriter{}
	a, _ := newTestAggregator(w, noneStored{}, time.Hour)
	t0 := time.Now().Add(-10 * time.Hour)
	_ = a.Add(context.Background(), []finding.Finding{testFinding(1, t0)})                  // created
	_ = a.Add(context.Background(), []finding.Finding{testFinding(1, t0.Add(time.Minute))}) // pending repeat
	a.writer = fullWriter{}
	if err := a.Add(context.Background(), []finding.Finding{testFinding(1, t0.Add(5*time.Hour))}); err == nil {
		t.Fatal("want the full queue's error")
	}
	a.writer = w
	_ = a.Close(context.Background())
	gens := map[string]int64{}
	for _, op := range w.ops {
		gens[op.Event.Labels[zenv1.LabelGeneration]] += op.Delta.Count
	}
	if gens["0"] != 2 || gens["1"] != 1 {
		t.Fatalf("want 2 occurrences in generation 0 and 1 in generation 1, got %v", gens)
	}
}

func TestAggregatorCountsSingleOccurrenceOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stored StoredEvents
		writes int
	}{
		{"new key", noneStored{}, 1}, // the create, carrying its occurrence
		{"stored before a restart", storedGen{gen: 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &fakeWriter{}
			a, m := newTestAggregator(w, tc.stored, time.Minute)
			f := testFinding(1, time.Now())
			f.SingleOccurrence = true
			for i := range 3 { // both stages of one request, then a retried batch
				f.DetectedAt = f.DetectedAt.Add(time.Duration(i) * time.Hour)
				if err := a.Add(context.Background(), []finding.Finding{f}); err != nil {
					t.Fatal(err)
				}
			}
			_ = a.Flush(context.Background())
			var count int64
			for _, op := range w.ops {
				count += op.Delta.Count
			}
			if len(w.ops) != tc.writes || (tc.writes > 0 && count != 1) {
				t.Fatalf("want %d writes counting 1 occurrence, got %d writes counting %d", tc.writes, len(w.ops), count)
			}
			if got := testutil.ToFloat64(m.DedupHits.WithLabelValues("trivy")); got != float64(3-tc.writes) {
				t.Errorf("dedup hits %v", got)
			}
		})
	}
}

func TestTryAddRefusesWhileTheQueueIsFull(t *testing.T) {
	a, _ := newTestAggregator(fullWriter{}, noneStored{}, 0)
	if err := a.TryAdd([]finding.Finding{testFinding(1, time.Now())}); !errors.Is(err, ErrBusy) {
		t.Fatalf("want ErrBusy, got %v", err)
	}
	if len(a.entries) != 0 {
		t.Error("a refused TryAdd must record nothing")
	}

	w := &fakeWriter{}
	a, m := newTestAggregator(w, noneStored{}, 0)
	for range 3 {
		if err := a.TryAdd([]finding.Finding{testFinding(1, time.Now())}); err != nil {
			t.Fatal(err)
		}
	}
	_ = a.Flush(context.Background())
	if len(w.ops) != 2 || w.ops[0].Delta.Count != 1 || w.ops[1].Delta.Count != 2 || testutil.ToFloat64(m.DedupHits.WithLabelValues("trivy")) != 2 {
		t.Errorf("want a create carrying 1 and one status write of 2, got %d ops", len(w.ops))
	}
}

// refuseFirst refuses the first write, as a full queue would, then
// completes writes as fakeWriter does.
type refuseFirst struct {
	fakeWriter
	refused bool
}

func (w *refuseFirst) Enqueue(ctx context.Context, op *store.Op) error {
	if !w.refused {
		w.refused = true
		return context.DeadlineExceeded
	}
	return w.fakeWriter.Enqueue(ctx, op)
}

func TestSingleOccurrenceWaitingInPendingIsNotCreatedTwice(t *testing.T) {
	w := &refuseFirst{}
	a, _ := newTestAggregator(w, noneStored{}, 0)
	f := testFinding(1, time.Now())
	f.SingleOccurrence = true
	for range 2 { // the first create misses the queue; then the next stage arrives
		_ = a.TryAdd([]finding.Finding{f})
	}
	_ = a.Flush(context.Background())
	var count int64
	for _, op := range w.ops {
		count += op.Delta.Count
		if !op.SingleOccurrence {
			t.Error("a single occurrence's write must say so, for AlreadyExists")
		}
	}
	if count != 1 {
		t.Errorf("written count %d, want 1", count)
	}
}
