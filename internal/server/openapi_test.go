package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-zen/zen-watcher/api"
	"github.com/kube-zen/zen-watcher/internal/dynsource"
	"github.com/kube-zen/zen-watcher/internal/health"
	"github.com/kube-zen/zen-watcher/internal/store"
	"github.com/kube-zen/zen-watcher/internal/tools"
)

type fakeDLQ struct{}

func (fakeDLQ) DeadLetters() []store.DeadLetter     { return nil }
func (fakeDLQ) Replay(context.Context) (int, error) { return 0, nil }
func (fakeDLQ) Statuses() []tools.Status            { return nil }
func (fakeDLQ) Register(*http.ServeMux)             {}
func (fakeDLQ) Paths() []string                     { return []string{"/falco/webhook", "/audit/webhook"} }

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("loading api/openapi.yaml: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	if err := loadDocument(t).Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
}

// TestRoutesMatchTheDocument holds the router and the document to the same
// set of methods and paths, both ways.
func TestRoutesMatchTheDocument(t *testing.T) {
	r := NewHandler(Options{Readiness: noneMissing{}, Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		DLQ: fakeDLQ{}, Tools: fakeDLQ{}, Webhooks: fakeDLQ{}, Sources: dynsource.NewEndpoints(dynsource.NewMetrics(nil))})
	served := r.Routes()
	var documented []string
	for path, item := range loadDocument(t).Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("router and document differ:\n served:     %s\n documented: %s", strings.Join(served, ", "), strings.Join(documented, ", "))
	}
}

type noneMissing struct{}

func (noneMissing) Results() []health.Result { return nil }
