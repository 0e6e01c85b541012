package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Origin is the watched object a pull source read a finding from. Events
// carry it as labels, set when they are created, so that a source starting
// afresh (a restart, a new leader) can tell from the stored events alone
// which of them an object held, and resolve those whose object is gone.
type Origin struct {
	// Scope names the watcher: one resource of one tool in the namespace
	// it watches (empty: all), e.g.
	// "trivy/vulnerabilityreports.aquasecurity.github.io/".
	Scope string
	// Object is the watched object's namespace/name.
	Object string
}

// IsZero reports whether o is unset, as for push sources.
func (o Origin) IsZero() bool { return o.Scope == "" && o.Object == "" }

// Hash identifies the object across its scope, for the origin label.
func (o Origin) Hash() string { return shortHash(o.Scope + "\x00" + o.Object) }

// ScopeHash identifies a watcher, for the origin scope label.
func ScopeHash(scope string) string { return shortHash(scope) }

// String is the readable form kept in the origin annotation.
func (o Origin) String() string { return o.Scope + " " + o.Object }

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// Stored is what a pull source needs to know of one stored event to rebuild
// its state: which finding it is, where it came from, and whether it is
// resolved. It is read without the event's details.
type Stored struct {
	Namespace, Name string
	Source          string
	Category        zenv1.Category
	Severity        zenv1.Severity
	EventType       string
	// DedupKey is the stored key (see StoredKey); empty for events created
	// before the key was kept in an annotation.
	DedupKey   string
	KeyHash    string
	Generation int
	// OriginHash and ScopeHash are the origin labels; empty for push
	// sources and for events created before origins were recorded.
	OriginHash, ScopeHash string
	Resolved              bool
}

// Resolution is the finding that resolves s now.
func (s Stored) Resolution(at time.Time) Finding {
	return Finding{Source: s.Source, Category: s.Category, Severity: s.Severity, EventType: s.EventType, DedupKey: s.DedupKey,
		DetectedAt: at, Resolved: true}
}
