package watcher

import (
	"sync"
	"time"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Tracker remembers, for each watched object, the version it last handled
// and the findings that version held. A new version becomes one occurrence
// of each finding it holds, which keeps lastSeen fresh while a finding
// persists, plus a resolution for each finding it no longer holds. The same
// version seen again, as on an informer resync, becomes nothing.
type Tracker struct {
	mu      sync.Mutex
	objects map[string]*tracked // by object key, namespace/name
}

type tracked struct {
	version string
	held    map[string]finding.Finding // by dedup key, details dropped
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{objects: map[string]*tracked{}} }

// Seen reports whether this version of the object was handled already.
func (t *Tracker) Seen(key, version string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[key]
	return o != nil && o.version == version
}

// Update records version of the object as holding current and returns what
// to submit: current, plus resolutions of what the previous version held and
// this one does not. When complete is false (part of the object could not be
// read), nothing is resolved: a finding missing from an unreadable part is
// not gone.
func (t *Tracker) Update(key, version string, current []finding.Finding, complete bool, now time.Time) []finding.Finding {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[key]
	if o == nil {
		o = &tracked{held: map[string]finding.Finding{}}
		t.objects[key] = o
	}
	o.version = version
	held := make(map[string]finding.Finding, len(current))
	for _, f := range current {
		held[f.DedupKey] = skeleton(f)
	}
	out := current
	for key, f := range o.held {
		if _, still := held[key]; still {
			continue
		}
		if !complete {
			held[key] = f
			continue
		}
		out = append(out, resolution(f, now))
	}
	o.held = held
	return out
}

// Delete forgets the object and returns resolutions for everything it held.
func (t *Tracker) Delete(key string, now time.Time) []finding.Finding {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[key]
	delete(t.objects, key)
	if o == nil {
		return nil
	}
	out := make([]finding.Finding, 0, len(o.held))
	for _, f := range o.held {
		out = append(out, resolution(f, now))
	}
	return out
}

// skeleton keeps what a resolution needs; details can be large.
func skeleton(f finding.Finding) finding.Finding {
	f.Details = nil
	return f
}

func resolution(f finding.Finding, now time.Time) finding.Finding {
	f.Resolved, f.DetectedAt = true, now
	return f
}
