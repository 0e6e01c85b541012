package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// CloudEvents types, one per trigger.
const (
	TypeCreated   = "io.kube-zen.finding.created"
	TypeEscalated = "io.kube-zen.finding.escalated"
	TypeResolved  = "io.kube-zen.finding.resolved"
)

// Media types of a request body.
const (
	MediaTypeEvent = "application/cloudevents+json"
	MediaTypeBatch = "application/cloudevents-batch+json"
)

// Type returns the CloudEvents type of a trigger.
func Type(t output.Trigger) (string, error) {
	switch t {
	case output.TriggerCreated:
		return TypeCreated, nil
	case output.TriggerEscalated:
		return TypeEscalated, nil
	case output.TriggerResolved:
		return TypeResolved, nil
	}
	return "", fmt.Errorf("unknown trigger %q", t)
}

// ID returns the event id of one occurrence of a finding, stable across
// redeliveries: the finding's UID (its namespace/name when it has none),
// the trigger, and what makes this occurrence distinct from the finding's
// other occurrences of the same trigger.
func ID(ev *zenv1.ZenAgentEvent, t output.Trigger) string {
	who := string(ev.UID)
	if who == "" {
		who = ev.Namespace + "/" + ev.Name
	}
	var occurrence string
	switch t {
	case output.TriggerEscalated:
		// The engine escalates when the severity rises or the count crosses
		// a power of ten; both name the occurrence. A count that grew
		// within its decade before a redelivery keeps the id.
		occurrence = string(ev.Spec.Severity) + "/" + strconv.Itoa(decade(ev.Status.Count))
	case output.TriggerResolved:
		occurrence = timeString(ev.Status.ResolvedAt)
	}
	sum := sha256.Sum256([]byte(who + "\x00" + string(t) + "\x00" + occurrence))
	return hex.EncodeToString(sum[:16])
}

// decade is the power of ten a count has reached: 0 for 1–9, 1 for 10–99.
func decade(n int64) int {
	if n < 10 {
		return 0
	}
	return int(math.Log10(float64(n)))
}

func timeString(t *metav1.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// occurredAt is the CloudEvents time of an occurrence: when it happened,
// not when it is sent, so a redelivery carries the same time.
func occurredAt(ev *zenv1.ZenAgentEvent, t output.Trigger) time.Time {
	var at *metav1.Time
	switch t {
	case output.TriggerResolved:
		at = ev.Status.ResolvedAt
	case output.TriggerEscalated:
		at = ev.Status.LastSeen
	default:
		at = ev.Status.FirstSeen
	}
	switch {
	case at != nil:
		return at.UTC()
	case !ev.Spec.DetectedAt.IsZero():
		return ev.Spec.DetectedAt.UTC()
	}
	return ev.CreationTimestamp.UTC()
}

// Data is the finding as an event carries it: the ZenAgentEvent, without
// what only its API server needs.
func Data(ev *zenv1.ZenAgentEvent) *zenv1.ZenAgentEvent {
	return &zenv1.ZenAgentEvent{
		TypeMeta: metav1.TypeMeta{APIVersion: zenv1.GroupVersion.String(), Kind: "ZenAgentEvent"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              ev.Name,
			Namespace:         ev.Namespace,
			UID:               ev.UID,
			Labels:            ev.Labels,
			CreationTimestamp: ev.CreationTimestamp,
		},
		Spec:   ev.Spec,
		Status: ev.Status,
	}
}

// Event builds the CloudEvent of one delivery from a cluster.
func Event(cluster string, d output.Delivery) (cloudevents.Event, error) {
	ev := d.Event
	if ev == nil {
		return cloudevents.Event{}, fmt.Errorf("delivery without a finding")
	}
	typ, err := Type(d.Trigger)
	if err != nil {
		return cloudevents.Event{}, err
	}
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	e.SetID(ID(ev, d.Trigger))
	e.SetSource(cluster)
	e.SetType(typ)
	e.SetSubject(ev.Namespace + "/" + ev.Name)
	e.SetTime(occurredAt(ev, d.Trigger))
	if err := e.SetData(cloudevents.ApplicationJSON, Data(ev)); err != nil {
		return cloudevents.Event{}, fmt.Errorf("encoding finding %s/%s: %w", ev.Namespace, ev.Name, err)
	}
	if err := e.Validate(); err != nil {
		return cloudevents.Event{}, fmt.Errorf("event of finding %s/%s: %w", ev.Namespace, ev.Name, err)
	}
	return e, nil
}
