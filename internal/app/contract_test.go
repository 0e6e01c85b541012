package app

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kube-zen/zen-watcher/api"
	"github.com/kube-zen/zen-watcher/internal/source/audit"
	"github.com/kube-zen/zen-watcher/internal/source/falco"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// The payload schemas in api/openapi.yaml are enforced by the parsers,
// not by a schema validator on every request, which would cost about
// 20 µs and 80 allocations per Falco alert, more than the whole intake.
// These tests hold the two to one verdict: an item is rejected by its
// parser exactly when the document's schema refuses it.

func documentSchema(t *testing.T, name string) *openapi3.Schema {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas[name].Value
}

func agree(t *testing.T, s *openapi3.Schema, body string, rejected bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	verr := s.VisitJSON(v)
	if (verr != nil) != rejected {
		t.Errorf("%s: parser rejects: %v; schema: %v", body, rejected, verr)
	}
}

func TestFalcoParserAgreesWithTheSchema(t *testing.T) {
	s := documentSchema(t, "FalcoAlert")
	p := falco.NewParser(falco.PriorityDebug)
	bodies := []string{
		string(fixtures.MustRead(t, "falco/syscall_terminal_shell_in_container.json")),
		string(fixtures.MustRead(t, "falco/k8saudit_attach_exec_pod.json")),
		string(fixtures.MustRead(t, "falco/falcosidekick_test_input.json")),
		`{"rule":"r","priority":"warning"}`,
		`{"rule":"r","priority":" INFO "}`,
		`{"rule":"r","priority":"loud"}`,
		`{"rule":"r","priority":5}`,
		`{"rule":"r"}`,
		`{"priority":"Warning"}`,
		`{"rule":"","priority":"Warning"}`,
		`{"rule":"  ","priority":"Warning"}`,
		`{"rule":7,"priority":"Warning"}`,
		`{"rule":"r","priority":"Warning","tags":"t"}`,
		`{"rule":"r","priority":"Warning","tags":[1]}`,
		`{"rule":"r","priority":"Warning","output_fields":[]}`,
		`{"rule":"r","priority":"Warning","output_fields":null,"time":null}`,
		`{"rule":"r","priority":"Warning","time":12}`,
		`{"rule":"r","priority":"Warning","hostname":true}`,
		`{"rule":"r","priority":"Warning","unknown":{"x":1}}`,
	}
	for _, body := range bodies {
		batch, err := p.Parse([]byte(body), time.Now()) // a lone item's error may refuse the whole body
		agree(t, s, body, err != nil || len(batch.Rejected) > 0)
	}
}

func TestAuditParserAgreesWithTheSchema(t *testing.T) {
	s := documentSchema(t, "AuditEvent")
	p := audit.NewParser(nil)
	bodies := []string{
		string(fixtures.MustRead(t, "k8s-audit/falco_trace_create_secret.json")),
		string(fixtures.MustRead(t, "k8s-audit/falco_trace_exec_pod.json")),
		string(fixtures.MustRead(t, "k8s-audit/falco_trace_clusterrolebinding_cluster_admin.json")),
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get"}`,
		`{"kind":"Event","auditID":"","stage":"ResponseComplete","verb":"get"}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete"}`,
		`{"kind":"Event","auditID":"a","verb":"get"}`,
		`{"kind":"Event","auditID":1,"stage":"ResponseComplete","verb":"get"}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"groups":"g"}}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","sourceIPs":[1]}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","responseStatus":{"code":"403"}}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","objectRef":{"name":5}}`,
		`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","annotations":{"k":1}}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get"}`,
		`{"kind":"Event","apiVersion":"v1","auditID":"a","stage":"ResponseComplete","verb":"get"}`,
	}
	for _, body := range bodies {
		batch, err := p.Parse([]byte(body), time.Now()) // a lone item's error may refuse the whole body
		agree(t, s, body, err != nil || len(batch.Rejected) > 0)
	}
}
