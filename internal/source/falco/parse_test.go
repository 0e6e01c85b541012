package falco

import (
	"bytes"
	"reflect"
	"sync"
	"testing"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func TestParseFixtures(t *testing.T) {
	cases := []struct {
		file     string
		severity zenv1.Severity
		resource *zenv1.ResourceRef
		key      string
		rule     string // spec.rule and spec.title alike
		at       time.Time
		// dropDebug and dropWarning are the drop reasons with the
		// minimum at Debug and at Warning; "" when the alert is kept.
		dropDebug, dropWarning string
	}{
		{
			file: shell, severity: zenv1.SeverityCritical,
			resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "kubecon", Namespace: "default"},
			key:      "Terminal shell in container/default/kubecon/ee97d9c4186f/sh",
			rule:     "Terminal shell in container",
			at:       time.Date(2023, 5, 25, 13, 44, 5, 478445995, time.UTC),
		},
		{
			file: attachExec, severity: zenv1.SeverityLow,
			resource:    &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "kubecon", Namespace: "default"},
			key:         "Attach/Exec Pod/kubernetes-admin/default/pods/exec/kubecon",
			rule:        "Attach/Exec Pod",
			at:          time.Date(2023, 5, 10, 14, 9, 24, 46826000, time.UTC),
			dropWarning: DropBelowMinPriority,
		},
		{
			file: disallowed, severity: zenv1.SeverityMedium,
			resource: &zenv1.ResourceRef{APIVersion: "v1", Kind: "Event", Name: "my-pool-1.18051c0a88716868"},
			key:      "Disallowed K8s User/yacht/patch/events/my-pool-1.18051c0a88716868",
			rule:     "Disallowed K8s User",
			at:       time.Date(2025, 2, 10, 9, 15, 57, 508657000, time.UTC),
		},
		{file: metrics, dropDebug: DropInternal, dropWarning: DropInternal},
		{
			file: sidekick, severity: zenv1.SeverityInfo,
			key:         "Test rule/falcosidekick/test-host",
			rule:        "Test rule",
			at:          time.Date(2001, 1, 1, 1, 10, 0, 0, time.UTC),
			dropWarning: DropBelowMinPriority,
		},
	}
	for _, c := range cases {
		for _, min := range []Priority{PriorityDebug, PriorityWarning} {
			t.Run(c.file+"/min="+min.String(), func(t *testing.T) {
				b, err := NewParser(min).Parse(fx.Read(t, c.file), sourcetest.Now)
				if err != nil {
					t.Fatal(err)
				}
				sourcetest.Accounted(t, b)
				if b.Items != 1 || len(b.Rejected) != 0 {
					t.Fatalf("items %d, rejected %+v", b.Items, b.Rejected)
				}
				drop := c.dropDebug
				if min == PriorityWarning {
					drop = c.dropWarning
				}
				if drop != "" {
					if b.Dropped[drop] != 1 || len(b.Findings) != 0 {
						t.Fatalf("want dropped as %s: %+v", drop, b)
					}
					return
				}
				if len(b.Findings) != 1 || b.Dropped != nil {
					t.Fatalf("want one finding: %+v", b)
				}
				f := b.Findings[0]
				if f.Source != SourceName || f.EventType != EventType || f.Category != zenv1.CategorySecurity || f.SingleOccurrence || f.Resolved {
					t.Errorf("identity: %+v", f)
				}
				if f.Severity != c.severity {
					t.Errorf("severity %s; want %s", f.Severity, c.severity)
				}
				if !reflect.DeepEqual(f.Resource, c.resource) {
					t.Errorf("resource %+v; want %+v", f.Resource, c.resource)
				}
				if f.DedupKey != c.key {
					t.Errorf("key %q; want %q", f.DedupKey, c.key)
				}
				if f.Rule != c.rule || f.Title != c.rule {
					t.Errorf("rule %q, title %q; want %q for both", f.Rule, f.Title, c.rule)
				}
				if !f.DetectedAt.Equal(c.at) {
					t.Errorf("detectedAt %v; want %v", f.DetectedAt, c.at)
				}
			})
		}
	}
}

func TestParseDetails(t *testing.T) {
	b, err := NewParser(PriorityDebug).Parse(fx.Read(t, shell), sourcetest.Now)
	if err != nil || len(b.Findings) != 1 {
		t.Fatalf("%+v, %v", b, err)
	}
	want := map[string]any{
		"rule":     "Terminal shell in container",
		"priority": "Critical",
		"output":   "Critical A shell was spawned in a container with an attached terminal (user=root user_loginuid=-1 k8s.ns=default k8s.pod=kubecon container=ee97d9c4186f shell=sh parent=runc cmdline=sh -c clear; (bash || ash || sh) terminal=34816 container_id=ee97d9c4186f image=docker.io/library/alpine)",
		"tags":     []string{"container", "mitre_execution", "shell"},
		"hostname": "falco-xczjd",
		"source":   "syscall",
		"fields": map[string]any{
			"container.id":               "ee97d9c4186f",
			"container.image.repository": "docker.io/library/alpine",
			"k8s.ns.name":                "default",
			"k8s.pod.name":               "kubecon",
			"proc.cmdline":               "sh -c clear; (bash || ash || sh)",
			"proc.name":                  "sh",
			"proc.pname":                 "runc",
			"proc.tty":                   float64(34816),
			"user.loginuid":              float64(-1),
			"user.name":                  "root",
		},
	}
	if got := b.Findings[0].Details; !reflect.DeepEqual(got, want) {
		t.Errorf("details\n%#v\nwant\n%#v", got, want)
	}

	sk := []byte(`{"output":"x","priority":"Warning","rule":"r","uuid":"5b7fe1e0-aaaa","output_fields":{"evt.time":1,"a":null,"b":"<NA>","c":"","d":{"e":[1,"<NA>"]}}}`)
	b, err = NewParser(PriorityDebug).Parse(sk, sourcetest.Now)
	if err != nil || len(b.Findings) != 1 {
		t.Fatalf("%+v, %v", b, err)
	}
	want = map[string]any{
		"rule": "r", "priority": "Warning", "output": "x", "uuid": "5b7fe1e0-aaaa",
		// "" is a value Falco filled; only null and "<NA>" mean "none",
		// and only at the top of output_fields.
		"fields": map[string]any{"c": "", "d": map[string]any{"e": []any{float64(1), "<NA>"}}},
	}
	if got := b.Findings[0].Details; !reflect.DeepEqual(got, want) {
		t.Errorf("details\n%#v\nwant\n%#v", got, want)
	}
	if f := b.Findings[0]; f.Resource != nil || f.DedupKey != "r" || !f.DetectedAt.Equal(sourcetest.Now) {
		t.Errorf("an alert without identity fields: %+v", f)
	}
}

func TestParseNDJSONOfEveryFixture(t *testing.T) {
	// The pretty-printed metrics snapshot sits between one-line alerts;
	// CRLF line ends and blank lines are tolerated.
	var body bytes.Buffer
	for _, name := range allFiles {
		body.Write(bytes.TrimSpace(fx.Read(t, name)))
		body.WriteString("\r\n\r\n")
	}
	crlf := bytes.ReplaceAll(body.Bytes(), []byte("\n  "), []byte("\r\n  "))
	for name, data := range map[string][]byte{"LF": body.Bytes(), "CRLF inside too": crlf} {
		t.Run(name, func(t *testing.T) {
			b, err := NewParser(PriorityDebug).Parse(data, sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Accounted(t, b)
			if b.Items != 5 || len(b.Findings) != 4 || b.Dropped[DropInternal] != 1 || len(b.Rejected) != 0 {
				t.Fatalf("items %d, findings %d, dropped %v, rejected %+v", b.Items, len(b.Findings), b.Dropped, b.Rejected)
			}
			for i, want := range []string{"Terminal shell in container", "Attach/Exec Pod", "Disallowed K8s User", "Test rule"} {
				if got := b.Findings[i].Details["rule"]; got != want {
					t.Errorf("finding %d is %v; want %s", i, got, want)
				}
			}
		})
	}
}

func TestSeverityOfEveryPriority(t *testing.T) {
	p := NewParser(PriorityDebug)
	for i, w := range priorityWords {
		s, ok := finding.FalcoPriority.Map(w)
		if !ok {
			t.Errorf("finding.FalcoPriority does not map %s", w)
		}
		if p.severity[i] != s {
			t.Errorf("%s: %s; want %s", w, p.severity[i], s)
		}
	}
	want := map[Priority]zenv1.Severity{
		PriorityEmergency: zenv1.SeverityCritical, PriorityAlert: zenv1.SeverityCritical, PriorityCritical: zenv1.SeverityCritical,
		PriorityError: zenv1.SeverityHigh, PriorityWarning: zenv1.SeverityMedium, PriorityNotice: zenv1.SeverityLow,
		PriorityInformational: zenv1.SeverityInfo, PriorityDebug: zenv1.SeverityInfo,
	}
	for prio, sev := range want {
		body := []byte(`{"rule":"r","priority":"` + prio.String() + `"}`)
		b, err := p.Parse(body, sourcetest.Now)
		if err != nil || len(b.Findings) != 1 || b.Findings[0].Severity != sev {
			t.Errorf("%s: %+v, %v; want %s", prio, b, err, sev)
		}
	}
}

func TestMinPriority(t *testing.T) {
	for _, min := range []Priority{PriorityDebug, PriorityNotice, PriorityWarning, PriorityCritical, PriorityEmergency} {
		t.Run(min.String(), func(t *testing.T) {
			var alerts []string
			for p := PriorityDebug; p <= PriorityEmergency; p++ {
				alerts = append(alerts, `{"rule":"r`+p.String()+`","priority":"`+p.String()+`"}`)
			}
			b, err := NewParser(min).Parse(ndjson(alerts...), sourcetest.Now)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.Accounted(t, b)
			kept := int(PriorityEmergency-min) + 1
			if len(b.Findings) != kept || b.Dropped[DropBelowMinPriority] != 8-kept {
				t.Fatalf("kept %d, dropped %v; want %d kept", len(b.Findings), b.Dropped, kept)
			}
			if got := b.Findings[0].Details["priority"]; got != min.String() {
				t.Errorf("least urgent kept is %v; want %s", got, min)
			}
		})
	}
}

func TestPriorityWords(t *testing.T) {
	cases := []struct {
		word string
		want Priority
		ok   bool
	}{
		{"Emergency", PriorityEmergency, true},
		{"ALERT", PriorityAlert, true},
		{"critical", PriorityCritical, true},
		{"Error", PriorityError, true},
		{"warning", PriorityWarning, true},
		{" Notice ", PriorityNotice, true},
		{"Informational", PriorityInformational, true},
		{"Info", PriorityInformational, true},
		{"INFO", PriorityInformational, true},
		{"debug", PriorityDebug, true},
		{"", 0, false},
		{"Warn", 0, false},
		{"Loud", 0, false},
		{"informationa", 0, false},
	}
	for _, c := range cases {
		t.Run(c.word, func(t *testing.T) {
			got, ok := ParsePriority(c.word)
			if got != c.want || ok != c.ok {
				t.Errorf("ParsePriority(%q) = %v, %v; want %v, %v", c.word, got, ok, c.want, c.ok)
			}
		})
	}
	for p := PriorityDebug; p <= PriorityEmergency; p++ {
		if back, ok := ParsePriority(p.String()); !ok || back != p {
			t.Errorf("%d: %q reads back as %v, %v", p, p.String(), back, ok)
		}
	}
	if got := Priority(8).String(); got != "Priority(8)" {
		t.Errorf("out of range: %q", got)
	}
	if PriorityDebug >= PriorityInformational || PriorityAlert >= PriorityEmergency {
		t.Error("priorities must grow with urgency")
	}
}

func TestParserIsSafeForConcurrentUse(t *testing.T) {
	p := NewParser(PriorityDebug)
	var bodies [][]byte
	for _, name := range allFiles {
		bodies = append(bodies, fx.Read(t, name))
	}
	bodies = append(bodies, ndjson(shellAlert(1, "a", "c", "sh"), `{"rule":`, shellAlert(2, "b", "c", "sh")))
	want := make([]source.Batch, len(bodies))
	for i, body := range bodies {
		want[i], _ = p.Parse(body, sourcetest.Now)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (w + n) % len(bodies)
				got, err := p.Parse(bodies[i], sourcetest.Now)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					t.Errorf("body %d: %+v, %v; want %+v", i, got, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
