package store

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestApplyDelta(t *testing.T) {
	open := zenv1.ZenAgentEventStatus{Count: 3, FirstSeen: timePtr(at(0)), LastSeen: timePtr(at(time.Minute)), State: zenv1.StateOpen}
	resolved := *open.DeepCopy()
	resolved.State, resolved.ResolvedAt = zenv1.StateResolved, timePtr(at(2*time.Minute))
	cases := []struct {
		name string
		in   zenv1.ZenAgentEventStatus
		d    Delta
		want zenv1.ZenAgentEventStatus
	}{
		{"first write", zenv1.ZenAgentEventStatus{}, Delta{Count: 1, FirstSeen: at(0), LastSeen: at(0)},
			zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: timePtr(at(0)), LastSeen: timePtr(at(0)), State: zenv1.StateOpen}},
		{"repeats", open, Delta{Count: 5, FirstSeen: at(2 * time.Minute), LastSeen: at(3 * time.Minute)},
			zenv1.ZenAgentEventStatus{Count: 8, FirstSeen: timePtr(at(0)), LastSeen: timePtr(at(3 * time.Minute)), State: zenv1.StateOpen}},
		{"late occurrence keeps lastSeen", open, Delta{Count: 1, FirstSeen: at(-time.Hour), LastSeen: at(-time.Hour)},
			zenv1.ZenAgentEventStatus{Count: 4, FirstSeen: timePtr(at(-time.Hour)), LastSeen: timePtr(at(time.Minute)), State: zenv1.StateOpen}},
		{"resolve", open, Delta{ResolvedAt: at(2 * time.Minute)}, resolved},
		{"resolve twice keeps the first time", resolved, Delta{ResolvedAt: at(time.Hour)}, resolved},
		{"reopen", resolved, Delta{Count: 1, FirstSeen: at(time.Hour), LastSeen: at(time.Hour)},
			zenv1.ZenAgentEventStatus{Count: 4, FirstSeen: timePtr(at(0)), LastSeen: timePtr(at(time.Hour)), State: zenv1.StateOpen}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := applyDelta(c.in, c.d)
			if !equalStatus(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func equalStatus(a, b zenv1.ZenAgentEventStatus) bool {
	eq := func(x, y *metav1.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(y)) }
	return a.Count == b.Count && a.State == b.State && eq(a.FirstSeen, b.FirstSeen) && eq(a.LastSeen, b.LastSeen) && eq(a.ResolvedAt, b.ResolvedAt)
}

func TestDeltaMerge(t *testing.T) {
	var d Delta
	d.Merge(Delta{Count: 1, FirstSeen: at(time.Minute), LastSeen: at(time.Minute)})
	d.Merge(Delta{Count: 1, FirstSeen: at(0), LastSeen: at(0)})
	d.Merge(Delta{ResolvedAt: at(2 * time.Minute)})
	if d.Count != 2 || !d.FirstSeen.Equal(at(0)) || !d.LastSeen.Equal(at(time.Minute)) || !d.ResolvedAt.Equal(at(2*time.Minute)) {
		t.Fatalf("merged %+v", d)
	}
	d.Merge(Delta{Count: 1, FirstSeen: at(3 * time.Minute), LastSeen: at(3 * time.Minute)})
	if !d.ResolvedAt.IsZero() || d.Count != 3 {
		t.Fatalf("an occurrence after a resolution must reopen: %+v", d)
	}
}

func TestRetryable(t *testing.T) {
	gr := schema.GroupResource{Group: "zen.kube-zen.io", Resource: "zenagentevents"}
	cases := []struct {
		err  error
		want bool
	}{
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewInternalError(errors.New("boom")), true},
		{apierrors.NewServiceUnavailable("down"), true},
		{apierrors.NewTimeoutError("slow", 1), true},
		{apierrors.NewConflict(gr, "x", errors.New("changed")), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{&opError{operation: "create", err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, true},
		{apierrors.NewBadRequest("bad"), false},
		{apierrors.NewInvalid(schema.GroupKind{Group: "zen.kube-zen.io", Kind: "ZenAgentEvent"}, "x", nil), false},
		{apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "gone"), false},
	}
	for _, c := range cases {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestIsNamespaceMissing(t *testing.T) {
	if !isNamespaceMissing(apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "gone")) {
		t.Error("namespace NotFound not recognized")
	}
	if isNamespaceMissing(apierrors.NewNotFound(schema.GroupResource{Group: "zen.kube-zen.io", Resource: "zenagentevents"}, "x")) {
		t.Error("object NotFound taken for a missing namespace")
	}
}

func TestDeadLettersAreBoundedOldestFirst(t *testing.T) {
	dropped := 0
	d := &deadLetters{max: 2, dropped: func() { dropped++ }}
	for _, name := range []string{"a", "b", "c"} {
		d.add(&Op{Event: &zenv1.ZenAgentEvent{ObjectMeta: metav1.ObjectMeta{Name: name}}}, errors.New("refused"), t0)
	}
	items := d.list()
	if len(items) != 2 || items[0].Name != "b" || items[1].Name != "c" || dropped != 1 {
		t.Fatalf("items %+v dropped %d", items, dropped)
	}
	taken := d.take()
	if d.size() != 0 || len(taken) != 2 {
		t.Fatal("take should empty the queue")
	}
	d.add(&Op{Event: &zenv1.ZenAgentEvent{ObjectMeta: metav1.ObjectMeta{Name: "d"}}}, errors.New("refused"), t0)
	d.putBack(taken)
	if items := d.list(); len(items) != 2 || items[0].Name != "c" || items[1].Name != "d" || dropped != 2 {
		t.Fatalf("putBack should keep the newest within the bound: %+v dropped %d", items, dropped)
	}
}
