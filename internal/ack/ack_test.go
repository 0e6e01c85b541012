package ack

import (
	"errors"
	"testing"
)

func done(a *Ack) bool {
	select {
	case <-a.Done():
		return true
	default:
		return false
	}
}

func TestAckCountsDownAndKeepsTheFirstError(t *testing.T) {
	a := New(3)
	a.Settle(nil)
	first, second := errors.New("first"), errors.New("second")
	a.Settle(first)
	if done(a) {
		t.Fatal("done with one finding unsettled")
	}
	a.Settle(second)
	if !done(a) || !errors.Is(a.Err(), first) {
		t.Fatalf("done %v, err %v: want done with the first error", done(a), a.Err())
	}
	a.Settle(nil) // more than it waits for: harmless
}

func TestAckOfNothingIsDone(t *testing.T) {
	if a := New(0); !done(a) || a.Err() != nil {
		t.Fatal("an ack of no findings is done at once, without error")
	}
}
