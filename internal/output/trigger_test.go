package output

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

func ev(sev zenv1.Severity, count int64, state zenv1.State) *zenv1.ZenAgentEvent {
	return &zenv1.ZenAgentEvent{Spec: zenv1.ZenAgentEventSpec{Severity: sev}, Status: zenv1.ZenAgentEventStatus{Count: count, State: state}}
}

func TestChangeTriggers(t *testing.T) {
	open, res := zenv1.StateOpen, zenv1.StateResolved
	cases := []struct {
		name     string
		old, cur *zenv1.ZenAgentEvent
		want     []Trigger
	}{
		{"new", nil, ev("HIGH", 1, open), []Trigger{TriggerCreated}},
		{"new resolved", nil, ev("HIGH", 1, res), []Trigger{TriggerCreated, TriggerResolved}},
		{"repeat", ev("HIGH", 1, open), ev("HIGH", 2, open), nil},
		{"count crosses 10", ev("HIGH", 9, open), ev("HIGH", 10, open), []Trigger{TriggerEscalated}},
		{"count within a decade", ev("HIGH", 10, open), ev("HIGH", 99, open), nil},
		{"count jumps two decades", ev("HIGH", 5, open), ev("HIGH", 500, open), []Trigger{TriggerEscalated}},
		{"severity rises", ev("LOW", 3, open), ev("CRITICAL", 3, open), []Trigger{TriggerEscalated}},
		{"severity falls", ev("CRITICAL", 3, open), ev("LOW", 3, open), nil},
		{"resolved", ev("HIGH", 3, open), ev("HIGH", 3, res), []Trigger{TriggerResolved}},
		{"resolved again", ev("HIGH", 3, res), ev("HIGH", 30, res), nil},
		{"reopened", ev("HIGH", 3, res), ev("HIGH", 4, open), []Trigger{TriggerCreated}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := changeTriggers(tc.old, tc.cur); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRecoveryTriggers(t *testing.T) {
	mark := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(e *zenv1.ZenAgentEvent, d time.Duration) *zenv1.ZenAgentEvent {
		e.CreationTimestamp = metav1.Time{Time: mark.Add(d)}
		return e
	}
	cases := []struct {
		name string
		cur  *zenv1.ZenAgentEvent
		want []Trigger
	}{
		{"created after", at(ev("HIGH", 1, "Open"), time.Second), []Trigger{TriggerCreated}},
		{"created in the mark's second", at(ev("HIGH", 1, "Open"), 0), []Trigger{TriggerCreated}},
		{"older, repeated a little", at(ev("HIGH", 4, "Open"), -time.Hour), nil},
		{"older, counted 10 or more", at(ev("HIGH", 12, "Open"), -time.Hour), []Trigger{TriggerEscalated}},
		{"older, resolved", at(ev("HIGH", 4, "Resolved"), -time.Hour), []Trigger{TriggerResolved}},
		{"created after and resolved", at(ev("HIGH", 1, "Resolved"), time.Minute), []Trigger{TriggerCreated, TriggerResolved}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := recoveryTriggers(tc.cur, mark); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCountLevel(t *testing.T) {
	for n, want := range map[int64]int{0: 0, 1: 0, 9: 0, 10: 1, 99: 1, 100: 2, 12345: 4} {
		if got := countLevel(n); got != want {
			t.Errorf("countLevel(%d) = %d, want %d", n, got, want)
		}
	}
}
