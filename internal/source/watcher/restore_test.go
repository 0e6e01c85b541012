package watcher

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// recordSubmit keeps what a watcher submits.
type recordSubmit struct {
	mu  sync.Mutex
	got []finding.Finding
}

func (r *recordSubmit) Submit(_ context.Context, fs ...finding.Finding) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fs...)
	return nil
}

func (r *recordSubmit) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.got {
		k := f.DedupKey
		if f.Resolved {
			k = "-" + k
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// storedList answers StoredFindings from a fixed list, failing first
// `fail` times.
type storedList struct {
	items []finding.Stored
	fail  int
	calls int
}

func (s *storedList) StoredFindings(context.Context, string) ([]finding.Stored, error) {
	s.calls++
	if s.calls <= s.fail {
		return nil, errors.New("API server away")
	}
	return s.items, nil
}

const testScope = "kube-bench/configmaps"

// stored describes a stored event of key read from object obj.
func stored(key, obj string, resolved bool) finding.Stored {
	o := finding.Origin{Scope: testScope, Object: obj}
	return finding.Stored{Source: "kube-bench", Category: "compliance", Severity: "HIGH", EventType: "cis-benchmark-fail",
		DedupKey: key, KeyHash: finding.KeyHash("kube-bench", key), OriginHash: o.Hash(), ScopeHash: finding.ScopeHash(testScope),
		Resolved: resolved}
}

func TestRestoreSubmitsOnlyTheDifference(t *testing.T) {
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "n", ResourceVersion: "7"}}
	}
	cs := fake.NewClientset(cm("a"), cm("b"), cm("partial"))
	inf := informers.NewSharedInformerFactory(cs, 0).Core().V1().ConfigMaps().Informer()
	long := strings.Repeat("L", 2000) // stored under its shortened key
	longStored, _ := finding.StoredKey(long)
	held := map[string][]string{
		"a":       {"open", "resolved-back", "new", long},
		"b":       {"moved-here"},
		"partial": {},
	}
	read := func(obj any, _ time.Time) ([]finding.Finding, bool) {
		name := obj.(*corev1.ConfigMap).Name
		var out []finding.Finding
		for _, k := range held[name] {
			out = append(out, f(k))
		}
		return out, name != "partial"
	}
	list := &storedList{fail: 1, items: []finding.Stored{
		stored("open", "n/a", false),
		stored("resolved-back", "n/a", true),
		stored(longStored, "n/a", false),
		stored("moved-here", "n/a", false),     // stored from a, now in b: held, not resolved
		stored("gone-from-a", "n/a", false),    // a no longer lists it
		stored("object-deleted", "n/c", false), // c is gone
		stored("already-resolved", "n/c", true),
		stored("unreadable-part", "n/partial", false), // kept: its object was read in part
		{Source: "kube-bench", KeyHash: finding.KeyHash("kube-bench", "legacy"), ScopeHash: finding.ScopeHash(testScope)}, // no key annotation
		func() finding.Stored {
			s := stored("other-scope", "n/x", false)
			s.ScopeHash = finding.ScopeHash("other")
			return s
		}(),
	}}
	sub := &recordSubmit{}
	w := New("kube-bench", testScope, inf, read, sub, list, NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	restoreBackoff.Duration = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !w.HasSynced() {
		if time.Now().After(deadline) {
			t.Fatal("watcher never synced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := []string{"-gone-from-a", "-object-deleted", "new", "resolved-back"}
	if got := sub.keys(); !slices.Equal(got, want) {
		t.Fatalf("submitted %v, want %v", got, want)
	}
	for _, g := range sub.got {
		if !g.Resolved && g.Origin != (finding.Origin{Scope: testScope, Object: "n/a"}) {
			t.Errorf("%s submitted with origin %+v", g.DedupKey, g.Origin)
		}
	}
	if list.calls != 2 {
		t.Errorf("stored events listed %d times, want 2 (one failure, one retry)", list.calls)
	}

	// The informer's initial events find every object handled: nothing more.
	time.Sleep(100 * time.Millisecond)
	if got := sub.keys(); len(got) != len(want) {
		t.Fatalf("after the initial events: %v", got)
	}
	// A new version counts as before.
	c := cm("b")
	c.ResourceVersion = "8"
	if _, err := cs.CoreV1().ConfigMaps("n").Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(sub.keys()) == len(want); {
		if time.Now().After(deadline) {
			t.Fatal("a new version was not handled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := sub.keys(); !slices.Contains(got, "moved-here") {
		t.Errorf("new version of b submitted %v", got)
	}
}
