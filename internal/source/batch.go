package source

import "github.com/kube-zen/zen-watcher/internal/finding"

// Batch is what a push source's parser makes of one request body: the
// findings to submit, and an account of every item the body held, so the
// sender learns what was kept, skipped and refused.
type Batch struct {
	// Findings are in the order of the items they came from.
	Findings []finding.Finding
	// Items is how many items the body held: alerts, audit events.
	Items int
	// Dropped counts items deliberately not turned into findings, by
	// reason (a metric label value, such as "below-min-priority"); nil
	// when none were.
	Dropped map[string]int
	// Rejected lists the items that could not be read, in body order. The
	// other items are still kept.
	Rejected []ItemError
}

// Drop counts one item skipped for reason.
func (b *Batch) Drop(reason string) {
	if b.Dropped == nil {
		b.Dropped = map[string]int{}
	}
	b.Dropped[reason]++
}

// ItemError is one unreadable item of a batch.
type ItemError struct {
	// Index is the item's position in the body, from 0: the element of an
	// EventList's items, or the line of an NDJSON body.
	Index int `json:"index"`
	// Pointer is the JSON pointer (RFC 6901) of the bad value within the
	// document that holds it: "/items/3/verb" in an EventList, "/priority"
	// in one NDJSON line.
	Pointer string `json:"pointer"`
	// Reason is fit for a metric label: one of the Reason constants.
	Reason string `json:"reason"`
	// Detail says what was wrong, for people.
	Detail string `json:"detail"`
}
