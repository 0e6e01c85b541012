package output

import (
	"context"
	"errors"
	"fmt"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Trigger says why a finding is delivered.
type Trigger string

// Triggers, as named in ZenOutput's spec.on.
const (
	// TriggerCreated: the finding was stored for the first time.
	TriggerCreated Trigger = "Created"
	// TriggerEscalated: its severity rose, or its count crossed a power of 10.
	TriggerEscalated Trigger = "Escalated"
	// TriggerResolved: its source reported it gone.
	TriggerResolved Trigger = "Resolved"
)

// Delivery is one finding to deliver, as stored, and why.
type Delivery struct {
	Event   *zenv1.ZenAgentEvent
	Trigger Trigger
}

// Notifier sends a batch of deliveries to one destination. The engine
// batches; a notifier that cannot take several at once sends them in turn.
// When err is nil the whole batch was accepted. Otherwise retry says
// whether sending the same batch again may succeed (a 5xx, 408, 429, a
// network error), as opposed to a refusal that will not change (another
// 4xx, a payload the receiver rejects).
type Notifier interface {
	Notify(ctx context.Context, batch []Delivery) (retry bool, err error)
}

// RetryAfterError is returned by a notifier whose receiver named when to
// try again (a Retry-After header); the engine waits at least After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the delay a receiver asked for in err, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	return 0, false
}

// Resender is a notifier whose receiver forgets what is not sent again,
// as Alertmanager forgets an alert after its resolve_timeout. The engine
// sends the open findings it delivered (or, after a restart, that match)
// again every ResendInterval, as Created, from what it keeps in memory:
// without details.
type Resender interface {
	Notifier
	ResendInterval() time.Duration
}
