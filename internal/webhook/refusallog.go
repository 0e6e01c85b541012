package webhook

import (
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Refusal log budget per endpoint and reason: a few lines a second, so a
// flood of refused requests, from an attacker or a misconfigured sender,
// cannot flood the logs. The metrics count every refusal.
const (
	refusalLogRate  = 2 // lines a second
	refusalLogBurst = 5
)

// refusalLog writes the log line of a refused request unless its reason
// has used up its budget; the next line written for that reason says how
// many were suppressed since the last one.
type refusalLog struct {
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	reasons map[refusalKey]*reasonBudget // bounded: endpoints and reasons are the code's own
}

type refusalKey struct{ endpoint, reason string }

type reasonBudget struct {
	lim        *rate.Limiter
	suppressed int
}

func newRefusalLog(log *slog.Logger, now func() time.Time) *refusalLog {
	return &refusalLog{log: log, now: now, reasons: map[refusalKey]*reasonBudget{}}
}

// write logs one refusal, or counts it as suppressed.
func (l *refusalLog) write(endpoint, reason string, attrs ...any) {
	k := refusalKey{endpoint, reason}
	l.mu.Lock()
	b := l.reasons[k]
	if b == nil {
		b = &reasonBudget{lim: rate.NewLimiter(refusalLogRate, refusalLogBurst)}
		l.reasons[k] = b
	}
	if !b.lim.AllowN(l.now(), 1) {
		b.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := b.suppressed
	b.suppressed = 0
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	l.log.Info("webhook request refused", append([]any{"endpoint", endpoint, "reason", reason}, attrs...)...)
}
