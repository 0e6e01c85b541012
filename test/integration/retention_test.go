package integration

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/retention"
)

// gcNow is the retention tests' clock; event times are relative to it.
var gcNow = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func hoursAgo(h int) *metav1.Time {
	m := metav1.NewTime(gcNow.Add(-time.Duration(h) * time.Hour))
	return &m
}

// gcNamespace creates a namespace of its own for one test, because a
// collector deletes everything in its scope.
func gcNamespace(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("gc-%s-%d", prefix, time.Now().UnixNano()%1e9)
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}

// gcEvent is an event detected detectedH hours before gcNow.
func gcEvent(ns, name string, sev zenv1.Severity, detectedH int) *zenv1.ZenAgentEvent {
	return &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
			zenv1.LabelSource: "trivy", zenv1.LabelCategory: "security", zenv1.LabelSeverity: string(sev)}},
		Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Category: zenv1.CategorySecurity, Severity: sev,
			EventType: "vulnerability", DetectedAt: *hoursAgo(detectedH), DedupKey: ns + "/" + name},
	}
}

// putEvent creates gcEvent(ns, name, sev, detectedH) with status, if set,
// in the one create, as the writer does.
func putEvent(t testing.TB, ns, name string, sev zenv1.Severity, detectedH int, status *zenv1.ZenAgentEventStatus) {
	t.Helper()
	ev := gcEvent(ns, name, sev, detectedH)
	if status != nil {
		ev.Status = *status
	}
	if err := k8sClient.Create(context.Background(), ev); err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
}

func seen(first, last int) *zenv1.ZenAgentEventStatus {
	return &zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: hoursAgo(first), LastSeen: hoursAgo(last), State: zenv1.StateOpen}
}

func resolved(last, resolvedH int) *zenv1.ZenAgentEventStatus {
	s := seen(last, last)
	s.State, s.ResolvedAt = zenv1.StateResolved, hoursAgo(resolvedH)
	return s
}

func eventNames(t testing.TB, ns string) []string {
	t.Helper()
	var list zenv1.ZenAgentEventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range list.Items {
		names = append(names, ev.Name)
	}
	slices.Sort(names)
	return names
}

func newGC(c client.Client, reg prometheus.Registerer, opts retention.Options) *retention.Collector {
	return retention.New(c, opts, reg, slog.New(slog.DiscardHandler), func() time.Time { return gcNow })
}

// gcMetric reads one series from reg; label is the value of its only label,
// or empty for an unlabelled metric.
func gcMetric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() != name || (label != "" && m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

// hookedClient is the real client with hooks before List and Delete, to
// inject what a real cluster does only under load: an expired continue
// token, a write racing the collector, a refused delete.
type hookedClient struct {
	client.Client
	mu       sync.Mutex
	lists    int
	onList   func(n int, o *client.ListOptions) error
	onDelete func(obj client.Object) error
}

func (h *hookedClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	h.mu.Lock()
	h.lists++
	n := h.lists
	h.mu.Unlock()
	if h.onList != nil {
		if err := h.onList(n, (&client.ListOptions{}).ApplyOptions(opts)); err != nil {
			return err
		}
	}
	return h.Client.List(ctx, list, opts...)
}

func (h *hookedClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if h.onDelete != nil {
		if err := h.onDelete(obj); err != nil {
			return err
		}
	}
	return h.Client.Delete(ctx, obj, opts...)
}

func TestRetentionTTLDeletesExactlyTheExpired(t *testing.T) {
	ns := gcNamespace(t, "ttl")
	putEvent(t, ns, "fresh", zenv1.SeverityHigh, 2, seen(2, 1))
	putEvent(t, ns, "stale", zenv1.SeverityHigh, 50, seen(50, 48))
	putEvent(t, ns, "recurring", zenv1.SeverityLow, 720, seen(720, 1)) // old, but seen again lately
	putEvent(t, ns, "at-cutoff", zenv1.SeverityLow, 24, seen(24, 24))  // not older than now-TTL
	putEvent(t, ns, "first-seen-only", zenv1.SeverityInfo, 49, &zenv1.ZenAgentEventStatus{Count: 1, FirstSeen: hoursAgo(48)})
	putEvent(t, ns, "no-status-old", zenv1.SeverityMedium, 72, nil) // falls back to detectedAt
	putEvent(t, ns, "no-status-new", zenv1.SeverityMedium, 1, nil)
	putEvent(t, ns, "resolved-but-active", zenv1.SeverityCritical, 90, resolved(1, 48)) // TTL counts from lastSeen

	reg := prometheus.NewRegistry()
	res, err := newGC(k8sClient, reg, retention.Options{TTL: 24 * time.Hour, Namespace: ns}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (retention.Result{Scanned: 8, DeletedTTL: 3}); withoutBytes(t, res) != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	want := []string{"at-cutoff", "fresh", "no-status-new", "recurring", "resolved-but-active"}
	if got := eventNames(t, ns); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	for _, m := range []struct {
		name, label string
		want        float64
	}{
		{"zen_watcher_gc_deletions_total", "ttl", 3},
		{"zen_watcher_gc_deletions_total", "cap", 0},
		{"zen_watcher_gc_runs_total", "success", 1},
		{"zen_watcher_gc_runs_total", "error", 0},
		{"zen_watcher_gc_last_run_timestamp_seconds", "", float64(gcNow.Unix())},
	} {
		if got := gcMetric(t, reg, m.name, m.label); got != m.want {
			t.Errorf("%s{%s} = %v, want %v", m.name, m.label, got, m.want)
		}
	}
}

// withoutBytes checks that a run that left events reports their size,
// and clears it, so results compare by counts.
func withoutBytes(t *testing.T, res retention.Result) retention.Result {
	t.Helper()
	if res.StoredBytes <= 0 {
		t.Errorf("StoredBytes %d after a run that left events", res.StoredBytes)
	}
	res.StoredBytes = 0
	return res
}

// TestRetentionByteCap caps the stored bytes: the events go in the cap
// order, the count cap first, and the gauge shows what remains.
func TestRetentionByteCap(t *testing.T) {
	ns := gcNamespace(t, "bytes")
	putCapSet(t, ns)
	measure, err := newGC(k8sClient, nil, retention.Options{Namespace: ns}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := measure.StoredBytes
	// Eight small events: each is some hundreds of bytes of JSON.
	if total < 8*300 || total > 8*4096 {
		t.Fatalf("eight events measured at %d bytes", total)
	}
	reg := prometheus.NewRegistry()
	res, err := newGC(k8sClient, reg, retention.Options{MaxStoredBytes: total - 1, Namespace: ns}).RunOnce(context.Background())
	if err != nil || res.DeletedBytes != 1 || res.DeletedCap != 0 || res.StoredBytes >= total {
		t.Fatalf("one byte over: %+v, %v; want the first in cap order deleted", res, err)
	}
	if got := eventNames(t, ns); slices.Contains(got, "r-old") || len(got) != 7 {
		t.Errorf("left %v, want all but r-old", got)
	}
	if got := gcMetric(t, reg, "zen_watcher_stored_bytes", ""); got != float64(res.StoredBytes) {
		t.Errorf("zen_watcher_stored_bytes %v, want %d", got, res.StoredBytes)
	}
	if got := gcMetric(t, reg, "zen_watcher_gc_deletions_total", "bytes"); got != 1 {
		t.Errorf("deletions{bytes} %v, want 1", got)
	}
	// Both caps: the count takes r-new, the bytes then the next in order.
	res, err = newGC(k8sClient, nil, retention.Options{MaxEvents: 6, MaxStoredBytes: res.StoredBytes * 5 / 7, Namespace: ns}).RunOnce(context.Background())
	if err != nil || res.DeletedCap != 1 || res.DeletedBytes < 1 {
		t.Fatalf("both caps: %+v, %v", res, err)
	}
	if got := eventNames(t, ns); slices.Contains(got, "r-new") || slices.Contains(got, "o-info-old") || !slices.Contains(got, "o-critical") {
		t.Errorf("left %v: want r-new, then o-info-old gone first", got)
	}
}

// putCapSet creates eight events whose cap order is r-old, r-new,
// o-info-old, o-info-new, o-low, o-medium, o-high, o-critical.
func putCapSet(t *testing.T, ns string) {
	putEvent(t, ns, "o-critical", zenv1.SeverityCritical, 30, seen(30, 30))
	putEvent(t, ns, "o-high", zenv1.SeverityHigh, 20, seen(20, 20))
	putEvent(t, ns, "r-new", zenv1.SeverityHigh, 9, resolved(9, 1))
	putEvent(t, ns, "o-medium", zenv1.SeverityMedium, 2, seen(2, 2))
	putEvent(t, ns, "o-info-new", zenv1.SeverityInfo, 1, seen(1, 1))
	putEvent(t, ns, "r-old", zenv1.SeverityCritical, 12, resolved(12, 10))
	putEvent(t, ns, "o-low", zenv1.SeverityLow, 9, seen(9, 9))
	putEvent(t, ns, "o-info-old", zenv1.SeverityInfo, 5, seen(5, 5))
}

func TestRetentionCapDeletesLeastUsefulFirst(t *testing.T) {
	cases := []struct {
		name    string
		opts    retention.Options
		want    retention.Result
		deleted []string
	}{
		{"under the cap", retention.Options{MaxEvents: 8}, retention.Result{Scanned: 8}, nil},
		{"one over: oldest resolved", retention.Options{MaxEvents: 7}, retention.Result{Scanned: 8, DeletedCap: 1}, []string{"r-old"}},
		{"resolved, then lowest severity oldest", retention.Options{MaxEvents: 5}, retention.Result{Scanned: 8, DeletedCap: 3},
			[]string{"r-old", "r-new", "o-info-old"}},
		{"down to the most severe", retention.Options{MaxEvents: 2}, retention.Result{Scanned: 8, DeletedCap: 6},
			[]string{"r-old", "r-new", "o-info-old", "o-info-new", "o-low", "o-medium"}},
		{"TTL survivors are what the cap counts", retention.Options{MaxEvents: 5, TTL: 25 * time.Hour},
			retention.Result{Scanned: 8, DeletedTTL: 1, DeletedCap: 2}, []string{"o-critical", "r-old", "r-new"}},
	}
	all := []string{"o-critical", "o-high", "o-info-new", "o-info-old", "o-low", "o-medium", "r-new", "r-old"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := gcNamespace(t, "cap")
			putCapSet(t, ns)
			c.opts.Namespace = ns
			res, err := newGC(k8sClient, nil, c.opts).RunOnce(context.Background())
			if err != nil || withoutBytes(t, res) != c.want {
				t.Errorf("RunOnce = %+v, %v; want %+v", res, err, c.want)
			}
			want := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(c.deleted, n) })
			if got := eventNames(t, ns); !slices.Equal(got, want) {
				t.Errorf("left %v, want %v", got, want)
			}
		})
	}
}

// TestRetentionKeepsEventsChangedAfterTheScan races a new occurrence with
// the delete: the precondition on resourceVersion must make the API server
// refuse it, and the cap must then take the next candidate instead.
func TestRetentionKeepsEventsChangedAfterTheScan(t *testing.T) {
	ctx := context.Background()
	ns := gcNamespace(t, "race")
	putCapSet(t, ns)
	putEvent(t, ns, "expired", zenv1.SeverityHigh, 100, seen(100, 100))
	touched := map[string]bool{}
	hc := &hookedClient{Client: k8sClient, onDelete: func(obj client.Object) error {
		if name := obj.GetName(); (name == "expired" || name == "r-old") && !touched[name] {
			touched[name] = true
			var ev zenv1.ZenAgentEvent
			if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), &ev); err != nil {
				return err
			}
			ev.Status.Count++
			ev.Status.LastSeen = &metav1.Time{Time: gcNow}
			return k8sClient.Update(ctx, &ev)
		}
		return nil
	}}
	res, err := newGC(hc, nil, retention.Options{TTL: 48 * time.Hour, MaxEvents: 8, Namespace: ns}).RunOnce(ctx)
	if want := (retention.Result{Scanned: 9, DeletedCap: 1, Skipped: 2}); err != nil || withoutBytes(t, res) != want {
		t.Errorf("RunOnce = %+v, %v; want %+v", res, err, want)
	}
	names := eventNames(t, ns)
	if !slices.Contains(names, "expired") || !slices.Contains(names, "r-old") || slices.Contains(names, "r-new") || len(names) != 8 {
		t.Errorf("want expired and r-old kept, r-new deleted instead; left %v", names)
	}
}

func TestRetentionPaginates(t *testing.T) {
	ns := gcNamespace(t, "page")
	for i := range 7 {
		last := 1
		if i%3 == 0 {
			last = 100 // 0, 3, 6 expire, one on each of three pages
		}
		putEvent(t, ns, fmt.Sprintf("e%d", i), zenv1.SeverityLow, last, seen(last, last))
	}
	var limits []int64
	hc := &hookedClient{Client: k8sClient, onList: func(_ int, o *client.ListOptions) error {
		limits = append(limits, o.Limit)
		return nil
	}}
	res, err := newGC(hc, nil, retention.Options{TTL: time.Hour * 24, PageSize: 2, Namespace: ns}).RunOnce(context.Background())
	if want := (retention.Result{Scanned: 7, DeletedTTL: 3}); err != nil || withoutBytes(t, res) != want {
		t.Errorf("RunOnce = %+v, %v; want %+v", res, err, want)
	}
	if !slices.Equal(limits, []int64{2, 2, 2, 2}) {
		t.Errorf("list limits = %v, want four pages of 2", limits)
	}
	if got, want := eventNames(t, ns), []string{"e1", "e2", "e4", "e5"}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}

func TestRetentionRestartsScanOnceWhenContinueExpires(t *testing.T) {
	ns := gcNamespace(t, "gone")
	for i := range 7 {
		putEvent(t, ns, fmt.Sprintf("e%d", i), zenv1.SeverityLow, 1, nil)
	}
	expired := apierrors.NewResourceExpired("continue token too old")
	cases := []struct {
		name      string
		expireOn  []int // list calls answered 410
		wantErr   bool
		wantLists int
	}{
		{"restarted once", []int{2}, false, 1 + 1 + 4},
		{"second expiry fails the run", []int{2, 4}, true, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc := &hookedClient{Client: k8sClient, onList: func(n int, o *client.ListOptions) error {
				if slices.Contains(c.expireOn, n) && o.Continue != "" {
					return expired
				}
				return nil
			}}
			reg := prometheus.NewRegistry()
			res, err := newGC(hc, reg, retention.Options{MaxEvents: 100, PageSize: 2, Namespace: ns}).RunOnce(context.Background())
			if (err != nil) != c.wantErr || !c.wantErr && res.Scanned != 7 || hc.lists != c.wantLists {
				t.Errorf("RunOnce = %+v, %v after %d lists; want error %t after %d", res, err, hc.lists, c.wantErr, c.wantLists)
			}
			if c.wantErr && (!apierrors.IsResourceExpired(err) || gcMetric(t, reg, "zen_watcher_gc_runs_total", "error") != 1) {
				t.Errorf("want a counted, wrapped 410: %v", err)
			}
		})
	}
}

func TestRetentionGivesUpWhenDeletesKeepFailing(t *testing.T) {
	ns := gcNamespace(t, "deny")
	for i := range 8 {
		putEvent(t, ns, fmt.Sprintf("e%d", i), zenv1.SeverityLow, 100, nil)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "zen.kube-zen.io", Resource: "zenagentevents"}, "", fmt.Errorf("no RBAC"))
	hc := &hookedClient{Client: k8sClient, onDelete: func(client.Object) error { return forbidden }}
	reg := prometheus.NewRegistry()
	res, err := newGC(hc, reg, retention.Options{TTL: time.Hour, Namespace: ns}).RunOnce(context.Background())
	if !apierrors.IsForbidden(err) || res.Failed != 5 || res.DeletedTTL != 0 {
		t.Errorf("RunOnce = %+v, %v; want to stop after 5 forbidden deletes", res, err)
	}
	if gcMetric(t, reg, "zen_watcher_gc_runs_total", "error") != 1 || len(eventNames(t, ns)) != 8 {
		t.Errorf("failed run not counted, or events lost")
	}
}

func TestRetentionRunCollectsUntilCancelled(t *testing.T) {
	ns := gcNamespace(t, "run")
	putEvent(t, ns, "old", zenv1.SeverityLow, 100, nil)
	putEvent(t, ns, "new", zenv1.SeverityLow, 1, nil)
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	gc := newGC(k8sClient, reg, retention.Options{TTL: 24 * time.Hour, Interval: 50 * time.Millisecond, Namespace: ns})
	done := make(chan struct{})
	go func() {
		defer close(done)
		gc.Run(ctx)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for gcMetric(t, reg, "zen_watcher_gc_runs_total", "success") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if got := eventNames(t, ns); !slices.Equal(got, []string{"new"}) || gcMetric(t, reg, "zen_watcher_gc_runs_total", "success") < 2 {
		t.Errorf("after Run: left %v, want [new] and at least two runs", got)
	}
}

// BenchmarkRetentionRunOnce measures one run over 2,000 events: a scan that
// deletes nothing, and a run that deletes them all (each iteration recreates
// them, untimed). The API server is local, so this is the collector's and
// the server's cost without network latency.
func BenchmarkRetentionRunOnce(b *testing.B) {
	const n = 2000
	create := func(ns string) {
		var g errgroup.Group
		g.SetLimit(16)
		for i := range n {
			g.Go(func() error {
				return k8sClient.Create(context.Background(), gcEvent(ns, fmt.Sprintf("e%05d", i), zenv1.SeverityLow, 100))
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("scan-2000", func(b *testing.B) {
		ns := gcNamespace(b, "bench")
		create(ns)
		gc := newGC(k8sClient, nil, retention.Options{MaxEvents: 1_000_000, Namespace: ns})
		b.ReportAllocs()
		for b.Loop() {
			if res, err := gc.RunOnce(context.Background()); err != nil || res.Scanned != n {
				b.Fatalf("RunOnce = %+v, %v", res, err)
			}
		}
	})
	b.Run("delete-2000", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			ns := gcNamespace(b, "bench")
			create(ns)
			gc := newGC(k8sClient, nil, retention.Options{TTL: time.Hour, Namespace: ns})
			b.StartTimer()
			if res, err := gc.RunOnce(context.Background()); err != nil || res.DeletedTTL != n {
				b.Fatalf("RunOnce = %+v, %v", res, err)
			}
		}
	})
}
