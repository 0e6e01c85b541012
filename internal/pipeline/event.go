package pipeline

import (
	"encoding/json"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// The object an aggregator entry stores: its spec, name, labels and
// annotations, built the same way for a create and for a requeue.

// event renders finding f as the object entry e would store.
func (a *Aggregator) event(f *finding.Finding, e *entry) *zenv1.ZenAgentEvent {
	ev := &zenv1.ZenAgentEvent{
		TypeMeta: metav1.TypeMeta{APIVersion: zenv1.GroupVersion.String(), Kind: "ZenAgentEvent"},
		Spec: zenv1.ZenAgentEventSpec{
			Source: f.Source, Category: f.Category, Severity: f.Severity, EventType: f.EventType,
			Rule: f.Rule, Title: f.Title, DetectedAt: metav1.NewTime(f.DetectedAt), Resource: f.Resource, DedupKey: f.DedupKey,
		},
	}
	if details, err := json.Marshal(f.Details); err == nil && len(f.Details) > 0 {
		ev.Spec.Details = &apiextensionsv1.JSON{Raw: details}
	}
	if f.Sender != "" {
		ev.Annotations = map[string]string{zenv1.AnnotationSender: f.Sender}
	}
	a.name(ev, f.Source, f.DedupKey, e)
	if !f.Origin.IsZero() {
		// Set only at create, which costs nothing extra: a restarted pull
		// source finds the events of each object from these.
		ev.Labels[zenv1.LabelOrigin] = f.Origin.Hash()
		ev.Labels[zenv1.LabelOriginScope] = finding.ScopeHash(f.Origin.Scope)
		if ev.Annotations == nil {
			ev.Annotations = make(map[string]string, 2)
		}
		ev.Annotations[zenv1.AnnotationOrigin] = f.Origin.String()
		ev.Annotations[zenv1.AnnotationDedupKey] = f.DedupKey
	}
	return ev
}

// name sets the name, namespace and identity labels of generation e.gen,
// keeping any other label (the origin's).
func (a *Aggregator) name(ev *zenv1.ZenAgentEvent, source, key string, e *entry) {
	ev.Name = finding.ObjectName(source, key, e.gen)
	ev.Namespace = e.namespace
	if ev.Labels == nil {
		ev.Labels = make(map[string]string, 7)
	}
	ev.Labels[zenv1.LabelSource] = source
	ev.Labels[zenv1.LabelCategory] = string(ev.Spec.Category)
	ev.Labels[zenv1.LabelSeverity] = string(ev.Spec.Severity)
	ev.Labels[zenv1.LabelKeyHash] = finding.KeyHash(source, key)
	ev.Labels[zenv1.LabelGeneration] = strconv.Itoa(e.gen)
	if rule, ok := finding.RuleLabel(ev.Spec.Rule); ok {
		ev.Labels[zenv1.LabelRule] = rule
	}
}

func generationOf(ev *zenv1.ZenAgentEvent) int {
	n, _ := strconv.Atoi(ev.Labels[zenv1.LabelGeneration])
	return n
}
