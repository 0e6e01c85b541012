package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/ack"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/store"
)

// heldWriter keeps ops until the test completes them, and then does what
// the store's writer does: Done, then settle the op's acks.
type heldWriter struct{ ops []*store.Op }

func (w *heldWriter) Saturated() bool { return false }

func (w *heldWriter) Enqueue(_ context.Context, op *store.Op) error {
	w.ops = append(w.ops, op)
	return nil
}

// complete finishes the oldest op with err.
func (w *heldWriter) complete(t *testing.T, err error) {
	t.Helper()
	if len(w.ops) == 0 {
		t.Fatal("no op to complete")
	}
	op := w.ops[0]
	w.ops = w.ops[1:]
	r := store.Result{Namespace: op.Event.Namespace, Hint: &store.Hint{ResourceVersion: "1"}, Created: !op.Exists, Err: err}
	var next *store.Op
	if op.Done != nil {
		next = op.Done(r)
	}
	for _, a := range op.Acks {
		a.Settle(err)
	}
	if next != nil {
		w.ops = append(w.ops, next)
	}
}

func isDone(a *ack.Ack) bool {
	select {
	case <-a.Done():
		return true
	default:
		return false
	}
}

func acked(f finding.Finding, a *ack.Ack) []finding.Finding {
	f.Ack = a
	return []finding.Finding{f}
}

func TestAcksFollowTheWritesThatCarryTheirOccurrences(t *testing.T) {
	w := &heldWriter{}
	a, _ := newTestAggregator(w, noneStored{}, 0)
	now := time.Now()
	first, repeat := ack.New(1), ack.New(1)
	if err := a.Add(context.Background(), acked(testFinding(1, now), first)); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(context.Background(), acked(testFinding(1, now), repeat)); err != nil {
		t.Fatal(err)
	}
	w.complete(t, nil) // the create
	if !isDone(first) || first.Err() != nil {
		t.Fatal("the create went through, its finding's ack is not done")
	}
	if isDone(repeat) {
		t.Fatal("the repeat's ack is done before its status write")
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.complete(t, nil) // the coalesced status write
	if !isDone(repeat) || repeat.Err() != nil {
		t.Fatal("the status write went through, the repeat's ack is not done")
	}
}

func TestAckOfAFailedWriteCarriesTheError(t *testing.T) {
	w := &heldWriter{}
	a, _ := newTestAggregator(w, noneStored{}, 0)
	k := ack.New(1)
	if err := a.Add(context.Background(), acked(testFinding(1, time.Now()), k)); err != nil {
		t.Fatal(err)
	}
	w.complete(t, errors.New("dead-lettered"))
	if !isDone(k) || k.Err() == nil {
		t.Fatal("a dead-lettered create must fail its ack")
	}
}

func TestSingleOccurrenceAcks(t *testing.T) {
	single := func(i int) finding.Finding {
		f := testFinding(i, time.Now())
		f.SingleOccurrence = true
		return f
	}
	t.Run("stored already: done at once", func(t *testing.T) {
		a, _ := newTestAggregator(&heldWriter{}, storedGen{0}, 0)
		k := ack.New(1)
		if err := a.Add(context.Background(), acked(single(1), k)); err != nil {
			t.Fatal(err)
		}
		if !isDone(k) {
			t.Fatal("a single occurrence stored already is done")
		}
	})
	t.Run("redelivered while its create runs: done with it", func(t *testing.T) {
		w := &heldWriter{}
		a, _ := newTestAggregator(w, noneStored{}, 0)
		first, again := ack.New(1), ack.New(1)
		_ = a.Add(context.Background(), acked(single(2), first))
		_ = a.Add(context.Background(), acked(single(2), again))
		if len(w.ops) != 1 || isDone(again) {
			t.Fatalf("%d ops, redelivery done %v: want one create, the redelivery waiting", len(w.ops), isDone(again))
		}
		w.complete(t, nil)
		if !isDone(first) || !isDone(again) {
			t.Fatal("both deliveries are stored once the create is")
		}
	})
	t.Run("redelivered after its create failed: created again", func(t *testing.T) {
		w := &heldWriter{}
		a, _ := newTestAggregator(w, noneStored{}, 0)
		first, again := ack.New(1), ack.New(1)
		_ = a.Add(context.Background(), acked(single(3), first))
		w.complete(t, errors.New("dead-lettered"))
		_ = a.Add(context.Background(), acked(single(3), again))
		if len(w.ops) != 1 || w.ops[0].Exists {
			t.Fatalf("%d ops: want a new create for the redelivery", len(w.ops))
		}
		w.complete(t, nil)
		if !isDone(again) || again.Err() != nil {
			t.Fatal("the redelivery's create went through; its ack is not done")
		}
	})
}
