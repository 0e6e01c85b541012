package retention

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(h int) *metav1.Time { m := metav1.NewTime(t0.Add(time.Duration(h) * time.Hour)); return &m }

func TestRetentionLastActivity(t *testing.T) {
	cases := []struct {
		name   string
		status zenv1.ZenAgentEventStatus
		detect *metav1.Time
		want   time.Time
	}{
		{"lastSeen wins", zenv1.ZenAgentEventStatus{FirstSeen: at(1), LastSeen: at(5)}, at(0), at(5).Time},
		{"firstSeen without lastSeen", zenv1.ZenAgentEventStatus{FirstSeen: at(2)}, at(0), at(2).Time},
		{"zero lastSeen is ignored", zenv1.ZenAgentEventStatus{FirstSeen: at(2), LastSeen: &metav1.Time{}}, at(0), at(2).Time},
		{"detectedAt without status", zenv1.ZenAgentEventStatus{}, at(3), at(3).Time},
		{"creation as last resort", zenv1.ZenAgentEventStatus{}, nil, at(-1).Time},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := &zenv1.ZenAgentEvent{Status: c.status}
			ev.CreationTimestamp = *at(-1)
			if c.detect != nil {
				ev.Spec.DetectedAt = *c.detect
			}
			if got := lastActivity(ev); !got.Equal(c.want) {
				t.Errorf("lastActivity = %v, want %v", got, c.want)
			}
		})
	}
}

func TestRetentionNewRecord(t *testing.T) {
	cases := []struct {
		name         string
		state        zenv1.State
		resolvedAt   *metav1.Time
		severity     zenv1.Severity
		wantAt       time.Time
		wantRank     int8
		wantResolved bool
	}{
		{"open uses last activity", zenv1.StateOpen, nil, zenv1.SeverityHigh, at(5).Time, 3, false},
		{"empty state is open", "", nil, zenv1.SeverityInfo, at(5).Time, 0, false},
		{"resolved uses resolvedAt", zenv1.StateResolved, at(7), zenv1.SeverityCritical, at(7).Time, 4, true},
		{"resolved without resolvedAt falls back", zenv1.StateResolved, nil, zenv1.SeverityLow, at(5).Time, 1, true},
		{"unknown severity ranks below INFO", zenv1.StateOpen, nil, "SEVERE", at(5).Time, -1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := &zenv1.ZenAgentEvent{
				Spec:   zenv1.ZenAgentEventSpec{Severity: c.severity},
				Status: zenv1.ZenAgentEventStatus{State: c.state, ResolvedAt: c.resolvedAt, LastSeen: at(5)},
			}
			ev.Name, ev.UID, ev.ResourceVersion = "e", "uid-1", "42"
			r := newRecord(ev, "ns", lastActivity(ev), 100)
			if r.at != c.wantAt.UnixNano() || r.rank != c.wantRank || r.resolved != c.wantResolved {
				t.Errorf("record = %+v, want at=%v rank=%d resolved=%t", r, c.wantAt, c.wantRank, c.wantResolved)
			}
			if r.namespace != "ns" || r.name != "e" || r.uid != "uid-1" || r.resourceVersion != "42" {
				t.Errorf("identity lost: %+v", r)
			}
		})
	}
}

// rec is a record named name with the given state, rank and hour.
func rec(name string, resolved bool, rank int8, hour int) record {
	return record{namespace: "ns", name: name, resolved: resolved, rank: rank, at: t0.Add(time.Duration(hour) * time.Hour).UnixNano()}
}

func TestRetentionSortForCap(t *testing.T) {
	const info, low, medium, high, critical = 0, 1, 2, 3, 4
	cases := []struct {
		name string
		in   []record
		want []string // names, first to delete first
	}{
		{"resolved before open, whatever the severity", []record{
			rec("open-info", false, info, 0), rec("resolved-critical", true, critical, 9),
		}, []string{"resolved-critical", "open-info"}},
		{"resolved oldest first, regardless of severity", []record{
			rec("r-new-low", true, low, 5), rec("r-old-critical", true, critical, 1), rec("r-mid", true, medium, 3),
		}, []string{"r-old-critical", "r-mid", "r-new-low"}},
		{"open by severity, lowest first", []record{
			rec("crit", false, critical, 0), rec("low", false, low, 9), rec("info", false, info, 9),
			rec("high", false, high, 0), rec("medium", false, medium, 0),
		}, []string{"info", "low", "medium", "high", "crit"}},
		{"open oldest first within a severity", []record{
			rec("m-new", false, medium, 8), rec("m-old", false, medium, 1), rec("m-mid", false, medium, 4),
		}, []string{"m-old", "m-mid", "m-new"}},
		{"old high outlives new low", []record{
			rec("high-ancient", false, high, -100), rec("low-fresh", false, low, 100),
		}, []string{"low-fresh", "high-ancient"}},
		{"unknown severity goes before INFO", []record{
			rec("info", false, info, 0), rec("unknown", false, -1, 5),
		}, []string{"unknown", "info"}},
		{"ties broken by name", []record{
			rec("b", false, low, 0), rec("a", false, low, 0), rec("c", false, low, 0),
		}, []string{"a", "b", "c"}},
		{"full mix", []record{
			rec("open-high-old", false, high, 0), rec("resolved-new", true, high, 6), rec("open-info-new", false, info, 7),
			rec("open-info-old", false, info, 1), rec("resolved-old", true, info, 2), rec("open-critical", false, critical, -5),
		}, []string{"resolved-old", "resolved-new", "open-info-old", "open-info-new", "open-high-old", "open-critical"}},
		{"empty", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := slices.Clone(c.in)
			sortForCap(recs)
			var got []string
			for _, r := range recs {
				got = append(got, r.name)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("order = %v, want %v", got, c.want)
			}
		})
	}
}

func TestRetentionCapOrderIsConsistent(t *testing.T) {
	recs := []record{rec("a", true, 1, 1), rec("b", false, 1, 1), rec("c", false, 2, 0), rec("d", true, 4, 0)}
	for _, a := range recs {
		if capOrder(a, a) != 0 {
			t.Errorf("capOrder(%s, %s) != 0", a.name, a.name)
		}
		for _, b := range recs {
			if capOrder(a, b) != -capOrder(b, a) {
				t.Errorf("capOrder not antisymmetric for %s, %s", a.name, b.name)
			}
		}
	}
}

// BenchmarkRetentionSortForCap50k orders the records of a 50,000-event
// cluster, the work the cap adds to a run besides the deletes.
func BenchmarkRetentionSortForCap50k(b *testing.B) {
	recs := make([]record, 50_000)
	for i := range recs {
		recs[i] = rec(fmt.Sprintf("zae-%08x", i*2654435761), i%7 == 0, int8(i%5), (i*7919)%10_000)
	}
	work := make([]record, len(recs))
	for b.Loop() {
		copy(work, recs)
		sortForCap(work)
	}
	b.ReportMetric(float64(unsafe.Sizeof(record{})), "record-bytes")
}

// BenchmarkEventSize measures eventSize on a typical event, to compare
// with the decode the scan already pays for each event.
func BenchmarkEventSize(b *testing.B) {
	ev := sizedEvent()
	for b.Loop() {
		_ = eventSize(ev)
	}
}

// BenchmarkEventDecode is the decode of the same event, which every scan
// does anyway.
func BenchmarkEventDecode(b *testing.B) {
	data, err := json.Marshal(sizedEvent())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var ev zenv1.ZenAgentEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEventSizeIsTheJSONLength(t *testing.T) {
	ev := sizedEvent()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventSize(ev); got != len(data) {
		t.Errorf("eventSize %d, want the JSON length %d", got, len(data))
	}
}

func sizedEvent() *zenv1.ZenAgentEvent {
	ev := &zenv1.ZenAgentEvent{
		Spec: zenv1.ZenAgentEventSpec{Source: "falco", Severity: zenv1.SeverityHigh, Category: zenv1.CategorySecurity,
			EventType: "terminal-shell-in-container", DedupKey: "Terminal shell in container/web-7d9f/" + strings.Repeat("o", 50)},
		Status: zenv1.ZenAgentEventStatus{State: zenv1.StateOpen, Count: 3},
	}
	ev.Name, ev.Namespace, ev.UID, ev.ResourceVersion = "falco-0123456789abcdef", "default", "4f9c0e1e-7d4a-4b7e-9a43-3f1c2b9e8d10", "12345"
	ev.Labels = map[string]string{zenv1.LabelSource: "falco", zenv1.LabelSeverity: "HIGH"}
	return ev
}
