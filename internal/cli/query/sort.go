package query

import (
	"fmt"
	"slices"
	"strings"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Sort orders.
const (
	SortSeverity = "severity"
	SortCount    = "count"
	SortLastSeen = "lastSeen"
)

// SortOrders are the values --sort-by accepts.
var SortOrders = []string{SortSeverity, SortCount, SortLastSeen}

// Sort orders events in place: by severity rank (CRITICAL first), by count
// (most first) or by lastSeen (newest first); ties keep namespace/name
// order so the output is stable. An empty order sorts by namespace/name.
func Sort(evs []zenv1.ZenAgentEvent, by string) error {
	var cmp func(a, b *zenv1.ZenAgentEvent) int
	switch by {
	case "":
		cmp = func(a, b *zenv1.ZenAgentEvent) int { return 0 }
	case SortSeverity:
		cmp = func(a, b *zenv1.ZenAgentEvent) int {
			return finding.Rank(b.Spec.Severity) - finding.Rank(a.Spec.Severity)
		}
	case SortCount:
		cmp = func(a, b *zenv1.ZenAgentEvent) int { return compareInt(b.Status.Count, a.Status.Count) }
	case SortLastSeen:
		cmp = func(a, b *zenv1.ZenAgentEvent) int { return LastSeen(b).Compare(LastSeen(a)) }
	default:
		return fmt.Errorf("unknown sort order %q: want one of %s", by, strings.Join(SortOrders, ", "))
	}
	slices.SortStableFunc(evs, func(a, b zenv1.ZenAgentEvent) int {
		if c := cmp(&a, &b); c != 0 {
			return c
		}
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
