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
