package health

import (
	"errors"
	"testing"
)

func TestReadiness(t *testing.T) {
	r := NewReadiness("apiserver", "crd")
	if got := r.Missing(); len(got) != 2 || got["crd"] != "not checked yet" {
		t.Fatalf("new readiness should miss everything: %v", got)
	}
	r.Set("apiserver", nil)
	r.Set("crd", errors.New("not installed"))
	if got := r.Missing(); len(got) != 1 || got["crd"] != "not installed" {
		t.Fatalf("want only crd missing, got %v", got)
	}
	r.Set("crd", nil)
	if got := r.Missing(); len(got) != 0 {
		t.Fatalf("want ready, got %v", got)
	}
	r.Set("apiserver", errors.New("connection refused"))
	if got := r.Missing(); got["apiserver"] != "connection refused" {
		t.Fatalf("a met condition can become unmet again: %v", got)
	}
}

func TestMissingIsACopy(t *testing.T) {
	r := NewReadiness("a")
	m := r.Missing()
	delete(m, "a")
	if len(r.Missing()) != 1 {
		t.Fatal("mutating the returned map changed the readiness")
	}
}

func TestPolledAndDegradedChecks(t *testing.T) {
	r := NewReadiness("webhooks", "index")
	r.Set("webhooks", nil)
	r.Poll("index", func() error { return nil })
	var state error = errors.New("syncing")
	r.Poll("source/kyverno", func() error { return state })
	if got := r.Missing(); got["source/kyverno"] != "syncing" {
		t.Fatalf("a polled check is read when asked: %v", got)
	}
	state = Degraded(errors.New("forbidden"))
	if got := r.Missing(); len(got) != 0 {
		t.Fatalf("a degraded check does not hold readiness down: %v", got)
	}
	res := r.Results()
	if len(res) != 3 || res[0].Name != "webhooks" || res[1].Name != "index" || res[2].Name != "source/kyverno" {
		t.Fatalf("results in the order added: %+v", res)
	}
	if !res[2].Passed() || !IsDegraded(res[2].Err) || res[2].Err.Error() != "forbidden" {
		t.Errorf("degraded result: %+v", res[2])
	}
	if Degraded(nil) != nil {
		t.Error("Degraded(nil) must stay nil")
	}
}
