package tools

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// Tool is one security tool zen-watcher knows how to find.
type Tool struct {
	Name      string
	Namespace string
	// CRDs are the report resources the tool publishes; none for tools
	// that push (Falco) or leave ConfigMaps (kube-bench, Checkov).
	CRDs []schema.GroupVersionResource
}

// States a tool can be in.
const (
	StateActive      = "active"       // its pods run, and its report CRDs (if any) are served
	StateReportsOnly = "reports-only" // its CRDs are served but no pod runs: old reports are still read
	StateNoCRDs      = "crds-missing" // its pods run but its CRDs are not served
	StateAbsent      = "absent"
)

// Status is what is known of one tool.
type Status struct {
	Tool        string   `json:"tool"`
	State       string   `json:"state"`
	Active      bool     `json:"active"`
	Namespace   string   `json:"namespace"`
	PodsRunning int      `json:"podsRunning"`
	CRDsServed  []string `json:"crdsServed"`
	CRDsMissing []string `json:"crdsMissing"`
	Reason      string   `json:"reason"`
	CheckedAt   string   `json:"checkedAt,omitempty"`
	// Source is the state of zen-watcher's pull source for the tool
	// (watching, syncing, failing, not-installed, or standby on a replica
	// that is not the leader); SourceError says why it is not watching.
	// Both are empty for tools that push.
	Source      string `json:"source,omitempty"`
	SourceError string `json:"sourceError,omitempty"`
}

// SourceStatusFunc reports the state of the pull source reading a tool, and
// why it is not watching; empty for a tool no pull source reads.
type SourceStatusFunc func(tool string) (state, reason string)

// ServedFunc reports whether a report resource is served.
type ServedFunc func(schema.GroupVersionResource) bool

// Detector checks every tool each interval and remembers the result.
type Detector struct {
	tools  []Tool
	client kubernetes.Interface
	served ServedFunc
	log    *slog.Logger
	active *prometheus.GaugeVec

	mu     sync.RWMutex
	status map[string]Status
	source SourceStatusFunc
}

// New builds a detector and registers zen_watcher_tools_active.
func New(tools []Tool, client kubernetes.Interface, served ServedFunc, reg prometheus.Registerer, log *slog.Logger) *Detector {
	d := &Detector{tools: tools, client: client, served: served, log: log, status: map[string]Status{},
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "zen_watcher_tools_active", Help: "1 when the tool's pods run and its report CRDs (if any) are served, else 0.",
		}, []string{"tool"})}
	for _, t := range tools {
		d.status[t.Name] = Status{Tool: t.Name, State: StateAbsent, Namespace: t.Namespace, Reason: "not checked yet"}
		d.active.WithLabelValues(t.Name).Set(0)
	}
	reg.MustRegister(d.active)
	return d
}

// Run checks every interval until ctx ends.
func (d *Detector) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, tool := range d.tools {
			d.record(d.check(ctx, tool))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Detector) check(ctx context.Context, t Tool) Status {
	s := Status{Tool: t.Name, Namespace: t.Namespace, CRDsServed: []string{}, CRDsMissing: []string{}, CheckedAt: time.Now().UTC().Format(time.RFC3339)}
	for _, gvr := range t.CRDs {
		if d.served(gvr) {
			s.CRDsServed = append(s.CRDsServed, gvr.GroupResource().String())
		} else {
			s.CRDsMissing = append(s.CRDsMissing, gvr.GroupResource().String())
		}
	}
	pods, err := d.client.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "status.phase=" + string(corev1.PodRunning), Limit: 500})
	podsKnown := err == nil
	if podsKnown {
		s.PodsRunning = len(pods.Items)
	}
	crdsOK := len(t.CRDs) == 0 || len(s.CRDsServed) > 0
	switch {
	case s.PodsRunning > 0 && crdsOK:
		s.State, s.Active = StateActive, true
		s.Reason = fmt.Sprintf("%d running pod(s) in %s", s.PodsRunning, t.Namespace)
	case s.PodsRunning > 0:
		s.State = StateNoCRDs
		s.Reason = fmt.Sprintf("%d running pod(s) in %s, but none of its CRDs is served: %s", s.PodsRunning, t.Namespace, strings.Join(s.CRDsMissing, ", "))
	case len(s.CRDsServed) > 0:
		s.State = StateReportsOnly
		s.Reason = fmt.Sprintf("CRDs served (%s) but no running pod in %s; existing reports are read", strings.Join(s.CRDsServed, ", "), t.Namespace)
	default:
		s.State = StateAbsent
		s.Reason = fmt.Sprintf("no running pod in %s", t.Namespace)
	}
	if !podsKnown {
		s.Reason += fmt.Sprintf(" (pods could not be listed: %v)", err)
	}
	return s
}

// record stores s, sets the gauge, and logs a change of state.
func (d *Detector) record(s Status) {
	d.mu.Lock()
	prev := d.status[s.Tool]
	d.status[s.Tool] = s
	d.mu.Unlock()
	v := 0.0
	if s.Active {
		v = 1
	}
	d.active.WithLabelValues(s.Tool).Set(v)
	if prev.State != s.State || prev.Reason == "not checked yet" {
		d.log.Info("tool state", "tool", s.Tool, "state", s.State, "previous", prev.State, "reason", s.Reason)
	}
}

// SetSourceStatus makes Statuses include the state of each tool's pull
// source, read from fn when asked.
func (d *Detector) SetSourceStatus(fn SourceStatusFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.source = fn
}

// Statuses returns every tool's latest status, by name.
func (d *Detector) Statuses() []Status {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Status, 0, len(d.status))
	for _, s := range d.status {
		if d.source != nil {
			s.Source, s.SourceError = d.source(s.Tool)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Tool, b.Tool) })
	return out
}
