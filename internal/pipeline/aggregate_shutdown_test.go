package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// holdWriter queues writes and completes none: each test completes them
// by hand, in the order it needs.
type holdWriter struct{ ops []*store.Op }

func (w *holdWriter) Saturated() bool { return false }

func (w *holdWriter) Enqueue(_ context.Context, op *store.Op) error {
	w.ops = append(w.ops, op)
	return nil
}

func TestWindowExpiryMovesPendingToTheNewGeneration(t *testing.T) {
	w := &holdWriter{}
	a, _ := newTestAggregator(w, storedGen{0}, time.Hour)
	ctx, now := context.Background(), time.Now()
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now)})
	_ = a.Flush(ctx)
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now.Add(time.Second))}) // while the write runs
	next := w.ops[0].Done(store.Result{Namespace: "apps", WindowExpired: true})
	if next == nil || next.Event.Labels[zenv1.LabelGeneration] != "1" {
		t.Fatalf("want a create of generation 1, got %+v", next)
	}
	next.Done(store.Result{Namespace: "apps", Created: true, Hint: &store.Hint{ResourceVersion: "2"}})
	_ = a.Flush(ctx)
	last := w.ops[len(w.ops)-1]
	if last.Event.Name != next.Event.Name || last.Event.Labels[zenv1.LabelGeneration] != "1" || last.Delta.Count != 1 {
		t.Errorf("the occurrence recorded during the write must go to generation 1: %s %v count %d",
			last.Event.Name, last.Event.Labels, last.Delta.Count)
	}
}

func TestFinalDrainWritesWhatWaitedBehindAFailedWrite(t *testing.T) {
	w := &holdWriter{}
	a, _ := newTestAggregator(w, storedGen{0}, 0)
	ctx, now := context.Background(), time.Now()
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now)})
	_ = a.Flush(ctx)
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now.Add(time.Second))})
	_ = a.Close(ctx)
	if f := w.ops[0].Done(store.Result{Err: errors.New("refused")}); f == nil || f.Delta.Count != 1 {
		t.Fatalf("want the waiting occurrence written as a follow-up, got %+v", f)
	}
}

func TestAddAfterCloseIsRefused(t *testing.T) {
	w := &holdWriter{}
	a, _ := newTestAggregator(w, storedGen{0}, 0)
	_ = a.Close(context.Background())
	if err := a.Add(context.Background(), []finding.Finding{testFinding(1, time.Now())}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
}

func TestReplayedWriteDoesNotReleaseANewerOne(t *testing.T) {
	w := &holdWriter{}
	a, _ := newTestAggregator(w, storedGen{0}, 0)
	ctx, now := context.Background(), time.Now()
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now)})
	_ = a.Flush(ctx)
	older := w.ops[0]
	older.Done(store.Result{Err: errors.New("refused")}) // dead-lettered
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now.Add(time.Second))})
	_ = a.Flush(ctx)                                                 // a newer write, still running
	older.Done(store.Result{Namespace: "apps", Hint: &store.Hint{}}) // the replayed dead letter completes
	_ = a.Add(ctx, []finding.Finding{testFinding(1, now.Add(2*time.Second))})
	n := len(w.ops)
	_ = a.Flush(ctx)
	if len(w.ops) != n {
		t.Fatal("a second write started while the newer one still runs")
	}
}

func TestIdleEntriesAreForgotten(t *testing.T) {
	w := &fakeWriter{}
	a, _ := newTestAggregator(w, noneStored{}, 0)
	clock := time.Now()
	a.now = func() time.Time { return clock }
	_ = a.Add(context.Background(), []finding.Finding{testFinding(1, clock)})
	_ = a.Flush(context.Background())
	if len(a.entries) != 1 {
		t.Fatalf("entries %d", len(a.entries))
	}
	clock = clock.Add(idleAfter + time.Second)
	_ = a.Flush(context.Background())
	if len(a.entries) != 0 {
		t.Fatalf("an idle entry should be forgotten; %d left", len(a.entries))
	}
}
