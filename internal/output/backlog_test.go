package output

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func it(name string, rank int, seq uint64) *item {
	return &item{key: types.NamespacedName{Namespace: "ns", Name: name}, trigger: TriggerCreated, rank: rank, seq: seq, prev: Mark{ResourceVersion: "1"}}
}

func TestBacklogDropsOldestOfLowestSeverity(t *testing.T) {
	b := newBacklog(3)
	for _, x := range []*item{it("high-1", 3, 1), it("low-1", 1, 2), it("low-2", 1, 3)} {
		if d := b.push(x); d != nil {
			t.Fatalf("push %s dropped %s with room left", x.key.Name, d.key.Name)
		}
	}
	if d := b.push(it("crit", 4, 4)); d == nil || d.key.Name != "low-1" {
		t.Fatalf("full: dropped %v, want low-1 (the oldest of the lowest severity)", d)
	}
	if d := b.push(it("info", 0, 5)); d == nil || d.key.Name != "info" {
		t.Fatalf("full with a lower newcomer: dropped %v, want the newcomer itself", d)
	}
	if d := b.push(it("low-3", 1, 6)); d == nil || d.key.Name != "low-2" {
		t.Fatalf("dropped %v, want low-2", d)
	}
	if o := b.oldest(); o.key.Name != "high-1" {
		t.Fatalf("oldest = %s, want high-1", o.key.Name)
	}
	var got []string
	for _, x := range b.pop(10) {
		got = append(got, x.key.Name)
	}
	want := []string{"high-1", "crit", "low-3"}
	if len(got) != len(want) {
		t.Fatalf("pop = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pop = %v, want %v (arrival order)", got, want)
		}
	}
	if b.len() != 0 || b.oldest() != nil {
		t.Fatalf("backlog not empty after pop: %d", b.len())
	}
}

func TestBacklogCoalescesTheSameDelivery(t *testing.T) {
	b := newBacklog(10)
	b.push(it("a", 2, 1))
	b.push(it("a", 2, 2))
	if b.len() != 1 {
		t.Fatalf("len = %d, want 1: a waiting delivery stands for its repeat", b.len())
	}
	b.pop(1)
	b.push(it("a", 2, 3))
	if b.len() != 1 {
		t.Fatalf("len = %d, want 1 after the first left", b.len())
	}
}
