package watcher

import (
	"context"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// StoredFindings lists the stored events of a source with their state;
// *eventindex.StoredLister is one.
type StoredFindings interface {
	StoredFindings(ctx context.Context, source string) ([]finding.Stored, error)
}

// restoreBackoff paces the retries of a rebuild that could not list the
// stored events: the watcher handles nothing until it knows what is stored,
// since otherwise every object would count once more.
var restoreBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.2, Cap: 30 * time.Second, Steps: math.MaxInt32}

// restoreUntilDone rebuilds the tracker, retrying until it succeeds or ctx
// ends; it reports whether it succeeded.
func (w *Watcher) restoreUntilDone(ctx context.Context) bool {
	if w.stored == nil {
		w.restored.Store(true)
		return true
	}
	b := restoreBackoff
	for {
		err := w.restore(ctx)
		if err == nil {
			w.restored.Store(true)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d := b.Step()
		w.log.Warn("rebuilding state from stored events failed; will retry", "error", err.Error(), "retryIn", d.String())
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
		}
	}
}

// restore rebuilds the tracker from the objects the informer listed and
// the events stored for them, and submits only the difference:
//   - a finding an object holds whose event is stored and open is known
//     already: nothing is submitted, so an unchanged cluster costs no write
//     and no count goes up;
//   - a finding with no stored event, or a resolved one, is submitted: a
//     create, or an occurrence that reopens the event;
//   - an open event from this watcher that no object holds now (its object
//     was deleted, or no longer lists it, while no watcher ran) is resolved,
//     unless the object it came from could be read only in part.
//
// What restore cannot know is whether an object changed while no watcher
// ran yet still holds the same findings: such a rescan adds no occurrence.
func (w *Watcher) restore(ctx context.Context) error {
	stored, err := w.stored.StoredFindings(ctx, w.name)
	if err != nil {
		return err
	}
	latest := newestGenerations(stored)
	now := w.now()
	heldHere := map[string]bool{}   // key hashes some object of this watcher holds
	incomplete := map[string]bool{} // origin hashes of objects read in part
	var out []finding.Finding
	objs := w.informer.GetStore().List()
	for _, obj := range objs {
		key, err := cache.MetaNamespaceKeyFunc(obj)
		if err != nil {
			continue
		}
		found, complete := w.readFrom(key, obj, now)
		if !complete {
			incomplete[finding.Origin{Scope: w.scope, Object: key}.Hash()] = true
		}
		for _, f := range found {
			stored, _ := finding.StoredKey(f.DedupKey)
			h := finding.KeyHash(f.Source, stored)
			heldHere[h] = true
			if s, ok := latest[h]; !ok || s.Resolved {
				out = append(out, f)
			}
		}
		// The tracker is empty for key: this only records version and
		// findings, so the informer's initial events find them handled.
		_ = w.tracker.Update(key, resourceVersion(obj), found, complete, now)
	}
	scope := finding.ScopeHash(w.scope)
	resolved, unresolvable := 0, 0
	for h, s := range latest {
		if s.ScopeHash != scope || s.Resolved || heldHere[h] || incomplete[s.OriginHash] {
			continue
		}
		if s.DedupKey == "" || s.EventType == "" {
			unresolvable++ // stored before the key annotation existed
			continue
		}
		out = append(out, s.Resolution(now))
		resolved++
	}
	w.log.Info("state rebuilt from stored events", "scope", w.scope, "objects", len(objs), "storedEvents", len(stored),
		"submitted", len(out)-resolved, "resolved", resolved, "unresolvable", unresolvable)
	return w.send(ctx, out)
}

// newestGenerations keeps, per key hash, the stored event of the newest
// generation: the one occurrences and resolutions go to.
func newestGenerations(stored []finding.Stored) map[string]finding.Stored {
	latest := make(map[string]finding.Stored, len(stored))
	for _, s := range stored {
		if cur, ok := latest[s.KeyHash]; !ok || s.Generation > cur.Generation {
			latest[s.KeyHash] = s
		}
	}
	return latest
}
