package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/health"
	"github.com/kube-zen/zen-watcher/internal/server"
)

// submitAll sends keys×repeats findings, interleaved as real tools send
// them, in batches of 50.
func submitAll(t *testing.T, r *running, ns string, keys, repeats int, at time.Time) {
	t.Helper()
	var batch []finding.Finding
	for rep := range repeats {
		for i := range keys {
			batch = append(batch, synthetic(ns, i, at.Add(time.Duration(rep)*time.Second)))
			if len(batch) == 50 {
				if err := r.Pipeline.Submit(context.Background(), batch...); err != nil {
					t.Fatal(err)
				}
				batch = nil
			}
		}
	}
	if err := r.Pipeline.Submit(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
}

func TestPipelineThousandFindingsHundredKeys(t *testing.T) {
	ns := newNamespace(t)
	r := startPipeline(t, defaultConfig(t))
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	submitAll(t, r, ns, 100, 10, at)
	eventually(t, "100 events with count 10", countsAre(t, ns, 100, 10))

	for _, e := range listEvents(t, ns) {
		if e.Labels[zenv1.LabelSource] != "synthetic" || e.Labels[zenv1.LabelSeverity] != string(e.Spec.Severity) {
			t.Errorf("%s labels wrong: %v", e.Name, e.Labels)
		}
		if e.Name != finding.ObjectName("synthetic", e.Spec.DedupKey, 0) {
			t.Errorf("%s is not the deterministic name of %q", e.Name, e.Spec.DedupKey)
		}
		if e.Status.State != zenv1.StateOpen || !e.Status.FirstSeen.Time.Equal(at) || !e.Status.LastSeen.Time.Equal(at.Add(9*time.Second)) {
			t.Errorf("%s status wrong: %+v", e.Name, e.Status)
		}
	}
}

func TestPipelineRestartReplayCreatesNothingNew(t *testing.T) {
	ns := newNamespace(t)
	at := time.Now().Truncate(time.Second)
	first := startPipeline(t, defaultConfig(t))
	submitAll(t, first, ns, 20, 3, at)
	first.stop() // drains
	if err := countsAre(t, ns, 20, 3)(); err != nil {
		t.Fatalf("after drain: %v", err)
	}

	second := startPipeline(t, defaultConfig(t))
	submitAll(t, second, ns, 20, 3, at)
	eventually(t, "same 20 events, counts carried on", countsAre(t, ns, 20, 6))
	if n := counterValue(t, second.Registry, "zen_watcher_events_total"); n != 0 {
		t.Errorf("restarted pipeline created %v events, want 0", n)
	}
}

func TestTwoPipelinesConcurrentlyMakeNoDuplicates(t *testing.T) {
	ns := newNamespace(t)
	at := time.Now().Truncate(time.Second)
	a, b := startPipeline(t, defaultConfig(t)), startPipeline(t, defaultConfig(t))
	var wg sync.WaitGroup
	for _, r := range []*running{a, b} {
		wg.Go(func() { submitAll(t, r, ns, 50, 4, at) })
	}
	wg.Wait()
	eventually(t, "50 events counted by both replicas", countsAre(t, ns, 50, 8))
}

func TestPipelineResolvesAndReopens(t *testing.T) {
	ns := newNamespace(t)
	r := startPipeline(t, defaultConfig(t))
	at := time.Now().Truncate(time.Second)
	f := synthetic(ns, 1, at)
	name := finding.ObjectName(f.Source, f.DedupKey, 0)
	if err := r.Pipeline.Submit(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	gone := f
	gone.Resolved, gone.DetectedAt = true, at.Add(time.Minute)
	if err := r.Pipeline.Submit(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	eventually(t, "resolved", func() error {
		e := listEvents(t, ns)[name]
		if e.Status.State != zenv1.StateResolved || e.Status.ResolvedAt == nil || !e.Status.ResolvedAt.Time.Equal(at.Add(time.Minute)) {
			return fmt.Errorf("status %+v", e.Status)
		}
		return nil
	})
	back := f
	back.DetectedAt = at.Add(2 * time.Minute)
	if err := r.Pipeline.Submit(context.Background(), back); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reopened", func() error {
		e := listEvents(t, ns)[name]
		if e.Status.State != zenv1.StateOpen || e.Status.ResolvedAt != nil || e.Status.Count != 2 {
			return fmt.Errorf("status %+v", e.Status)
		}
		return nil
	})
	// Resolving a finding that was never stored writes nothing.
	never := synthetic(ns, 99, at)
	never.Resolved = true
	if err := r.Pipeline.Submit(context.Background(), never); err != nil {
		t.Fatal(err)
	}
	r.stop()
	if evs := listEvents(t, ns); len(evs) != 1 {
		t.Errorf("want 1 event, got %d", len(evs))
	}
}

func TestDedupWindowStartsNewEventAfterWindow(t *testing.T) {
	ns := newNamespace(t)
	cfg := defaultConfig(t)
	cfg.DedupWindow = time.Hour
	at := time.Now().Add(-5 * time.Hour).Truncate(time.Second)
	f := synthetic(ns, 7, at)
	r := startPipeline(t, cfg)
	for _, d := range []time.Duration{0, 10 * time.Minute, 50 * time.Minute} { // within the window of lastSeen
		g := f
		g.DetectedAt = at.Add(d)
		if err := r.Pipeline.Submit(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	late := f
	late.DetectedAt = at.Add(3 * time.Hour)
	if err := r.Pipeline.Submit(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	r.stop()
	evs := listEvents(t, ns)
	gen0, gen1 := evs[finding.ObjectName(f.Source, f.DedupKey, 0)], evs[finding.ObjectName(f.Source, f.DedupKey, 1)]
	if len(evs) != 2 || gen0.Status.Count != 3 || gen1.Status.Count != 1 || gen1.Labels[zenv1.LabelGeneration] != "1" {
		t.Fatalf("want generations 0 (count 3) and 1 (count 1), got %d events: %+v / %+v", len(evs), gen0.Status, gen1.Status)
	}

	// After a restart only the index knows generation 1; a recurrence long
	// after its lastSeen still starts generation 2.
	again := startPipeline(t, cfg)
	later := f
	later.DetectedAt = at.Add(4*time.Hour + 30*time.Minute)
	if err := again.Pipeline.Submit(context.Background(), later); err != nil {
		t.Fatal(err)
	}
	again.stop()
	if e, ok := listEvents(t, ns)[finding.ObjectName(f.Source, f.DedupKey, 2)]; !ok || e.Status.Count != 1 {
		t.Fatalf("want generation 2 with count 1 after restart, got %v %+v", ok, e.Status)
	}
}

func TestShutdownDrainsEveryAcceptedFinding(t *testing.T) {
	ns := newNamespace(t)
	r := startPipeline(t, defaultConfig(t))
	submitAll(t, r, ns, 200, 5, time.Now().Truncate(time.Second))
	r.stop() // as on SIGTERM: no wait for a flush tick
	if err := countsAre(t, ns, 200, 5)(); err != nil {
		t.Fatalf("findings accepted before shutdown were lost: %v", err)
	}
}

func TestEventsOfMissingNamespacesGoToEventNamespace(t *testing.T) {
	home := newNamespace(t)
	cfg := defaultConfig(t)
	cfg.EventNamespace = home
	r := startPipeline(t, cfg)
	f := synthetic("namespace-that-does-not-exist", 1, time.Now())
	host := synthetic("", 2, time.Now())
	host.Resource = nil
	if err := r.Pipeline.Submit(context.Background(), f, host); err != nil {
		t.Fatal(err)
	}
	r.stop()
	evs := listEvents(t, home)
	if len(evs) != 2 {
		t.Fatalf("want both events in %s, got %d", home, len(evs))
	}
	if e := evs[finding.ObjectName(f.Source, f.DedupKey, 0)]; e.Spec.Resource.Namespace != "namespace-that-does-not-exist" {
		t.Errorf("the resource reference must keep its namespace: %+v", e.Spec.Resource)
	}
}

func TestDeadLetterQueueFillsAndReplayStores(t *testing.T) {
	cfg := defaultConfig(t)
	missing := fmt.Sprintf("dlq-%d", time.Now().UnixNano())
	cfg.EventNamespace = missing
	cfg.DLQSize = 3
	r := startPipeline(t, cfg)
	srv := httptest.NewServer(server.NewHandler(server.Options{Readiness: noneMissing{}, Gatherer: r.Registry, Logger: slog.New(slog.DiscardHandler), DLQ: r.Writer}))
	defer srv.Close()
	for i := range 5 {
		f := synthetic(missing, i, time.Now())
		if err := r.Pipeline.Submit(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	var list struct {
		Count int `json:"count"`
		Items []struct {
			Namespace, Name, Error string
		} `json:"items"`
	}
	eventually(t, "dead letters listed", func() error {
		body := httpDo(t, http.MethodGet, srv.URL+"/api/v1/dlq")
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			return err
		}
		if list.Count != 3 || !strings.Contains(list.Items[0].Error, "not found") {
			return fmt.Errorf("dlq: %s", body)
		}
		return nil
	})
	if v := counterValue(t, r.Registry, "zen_watcher_dlq_dropped_total"); v != 2 {
		t.Errorf("dropped = %v, want 2 (5 failures, room for 3)", v)
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: missing}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	if body := httpDo(t, http.MethodPost, srv.URL+"/api/v1/dlq/replay"); !strings.Contains(body, `"replayed":3`) {
		t.Fatalf("replay: %s", body)
	}
	eventually(t, "replayed events stored", countsAre(t, missing, 3, 1))
	if body := httpDo(t, http.MethodGet, srv.URL+"/api/v1/dlq"); !strings.Contains(body, `"count":0`) {
		t.Errorf("dlq not empty after replay: %s", body)
	}
}

type noneMissing struct{}

func (noneMissing) Results() []health.Result { return nil }

func httpDo(t *testing.T, method, url string) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestHostileFindingsNeverPoisonTheQueue(t *testing.T) {
	ns := newNamespace(t)
	r := startPipeline(t, defaultConfig(t))
	now := time.Now()
	huge := map[string]any{}
	for i := range 10_000 {
		huge[fmt.Sprintf("k%05d", i)] = strings.Repeat("v", 100)
	}
	hostile := []finding.Finding{
		{Source: "hostile", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh, EventType: "vulnerability", DetectedAt: now}, // no key
		{Source: "Trivy Operator!!", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityHigh, EventType: "Policy Violation",
			DedupKey: strings.Repeat("key/", 100_000), DetectedAt: now,
			Resource: &zenv1.ResourceRef{Kind: "Pod", Name: strings.Repeat("n", 10_000), Namespace: ns},
			Details:  huge},
		{Source: "hostile", Category: "performance", Severity: zenv1.SeverityHigh, EventType: "x", DedupKey: "k", DetectedAt: now},
		{Source: "hostile", Category: zenv1.CategorySecurity, Severity: "SEVERE", EventType: "x", DedupKey: "k", DetectedAt: now},
		{Source: "hostile", Category: zenv1.CategorySecurity, Severity: zenv1.SeverityLow, EventType: "x", DedupKey: "\x00\xff\xfe", DetectedAt: now,
			Resource: &zenv1.ResourceRef{Namespace: ns}},
	}
	good := synthetic(ns, 1, now)
	if err := r.Pipeline.Submit(context.Background(), append(hostile, good)...); err != nil {
		t.Fatal(err)
	}
	r.stop()
	evs := listEvents(t, ns)
	if _, ok := evs[finding.ObjectName(good.Source, good.DedupKey, 0)]; !ok {
		t.Fatalf("the good finding was lost among hostile ones: %d events", len(evs))
	}
	for _, e := range evs {
		if e.Spec.Source == "trivy-operator" && (len(e.Spec.DedupKey) > zenv1.MaxStringLength || len(e.Spec.Details.Raw) > zenv1.MaxDetailsBytes) {
			t.Errorf("oversized finding stored beyond limits: key %d bytes, details %d bytes", len(e.Spec.DedupKey), len(e.Spec.Details.Raw))
		}
	}
	if n := counterValue(t, r.Registry, "zen_watcher_dlq_entries_total"); n != 0 {
		t.Errorf("%v writes dead-lettered: normalize should have made every kept finding valid", n)
	}
	if n := counterValue(t, r.Registry, "zen_watcher_findings_dropped_total"); n != 3 {
		t.Errorf("dropped %v findings, want 3 (no key, bad category, bad severity)", n)
	}
}
