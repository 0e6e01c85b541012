package store

import (
	"sync"
	"time"
)

// DeadLetter is a write that failed every retry, kept so it can be seen and
// replayed.
type DeadLetter struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Source    string    `json:"source"`
	DedupKey  string    `json:"dedupKey"`
	Count     int64     `json:"count"`
	Error     string    `json:"error"`
	Attempts  int       `json:"attempts"`
	At        time.Time `json:"at"`
	op        *Op
}

// deadLetters is a bounded FIFO; when full, the oldest entry is dropped and
// counted, because the newest failure says the most about the present.
type deadLetters struct {
	mu      sync.Mutex
	items   []DeadLetter
	max     int
	dropped func()
}

func (d *deadLetters) add(op *Op, err error, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.items) >= d.max {
		d.items = d.items[1:]
		d.dropped()
	}
	d.items = append(d.items, DeadLetter{
		Namespace: op.Event.Namespace, Name: op.Event.Name, Source: op.Event.Spec.Source, DedupKey: op.Event.Spec.DedupKey,
		Count: op.Delta.Count, Error: err.Error(), Attempts: op.attempts, At: at, op: op,
	})
}

func (d *deadLetters) list() []DeadLetter {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DeadLetter(nil), d.items...)
}

func (d *deadLetters) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.items)
}

// take empties the queue and returns what it held.
func (d *deadLetters) take() []DeadLetter {
	d.mu.Lock()
	defer d.mu.Unlock()
	items := d.items
	d.items = nil
	return items
}

// putBack returns entries that could not be replayed, ahead of newer ones.
func (d *deadLetters) putBack(items []DeadLetter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.items = append(items, d.items...)
	for len(d.items) > d.max {
		d.items = d.items[1:]
		d.dropped()
	}
}
