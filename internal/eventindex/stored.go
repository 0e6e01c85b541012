package eventindex

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// StoredLister lists the stored events of a source with their state, for a
// pull source rebuilding what it knows. It asks for the server-side table
// that `kubectl get` shows, with object metadata: the State and Type
// columns and the labels and annotations, never the events' bodies, so
// their details (up to 32 KiB each) never cross the wire.
type StoredLister struct {
	client   rest.Interface
	pageSize int64
}

// tableAccept asks the API server for a meta.k8s.io/v1 Table.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io"

// Printer columns of the ZenAgentEvent CRD that the lister reads.
const (
	columnState = "State"
	columnType  = "Type"
)

// NewStoredLister builds a lister on rc; pageSize bounds each list request.
func NewStoredLister(rc *rest.Config, pageSize int64) (*StoredLister, error) {
	rc = rest.CopyConfig(rc)
	gv := zenv1.GroupVersion
	rc.GroupVersion, rc.APIPath = &gv, "/apis"
	rc.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c, err := rest.RESTClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("building ZenAgentEvent table client: %w", err)
	}
	return &StoredLister{client: c, pageSize: pageSize}, nil
}

// StoredFindings returns every stored event of source in every namespace,
// page by page.
func (l *StoredLister) StoredFindings(ctx context.Context, source string) ([]finding.Stored, error) {
	sel := labels.SelectorFromSet(labels.Set{zenv1.LabelSource: source}).String()
	var out []finding.Stored
	cont := ""
	for {
		raw, err := l.client.Get().Resource(zenv1.ZenAgentEventResource).
			Param("labelSelector", sel).Param("limit", strconv.FormatInt(l.pageSize, 10)).Param("continue", cont).
			Param("includeObject", string(metav1.IncludeMetadata)).SetHeader("Accept", tableAccept).
			Do(ctx).Raw()
		if err != nil {
			return nil, fmt.Errorf("listing stored %s events: %w", source, err)
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			return nil, fmt.Errorf("decoding the table of stored %s events: %w", source, err)
		}
		page, err := fromTable(&table)
		if err != nil {
			return nil, fmt.Errorf("reading the table of stored %s events: %w", source, err)
		}
		out = append(out, page...)
		if cont = table.Continue; cont == "" {
			return out, nil
		}
	}
}

// fromTable reads one page of rows.
func fromTable(t *metav1.Table) ([]finding.Stored, error) {
	column := func(name string) int {
		return slices.IndexFunc(t.ColumnDefinitions, func(c metav1.TableColumnDefinition) bool { return c.Name == name })
	}
	state, typ := column(columnState), column(columnType)
	if state < 0 || typ < 0 {
		return nil, fmt.Errorf("the table has no %q or %q column: is the ZenAgentEvent CRD current?", columnState, columnType)
	}
	out := make([]finding.Stored, 0, len(t.Rows))
	for i, row := range t.Rows {
		var m metav1.PartialObjectMetadata
		if err := json.Unmarshal(row.Object.Raw, &m); err != nil {
			return nil, fmt.Errorf("row %d: decoding its metadata: %w", i, err)
		}
		if len(row.Cells) <= max(state, typ) {
			return nil, fmt.Errorf("row %d (%s/%s): %d cells for %d columns", i, m.Namespace, m.Name, len(row.Cells), len(t.ColumnDefinitions))
		}
		s := finding.Stored{
			Namespace: m.Namespace, Name: m.Name,
			Source: m.Labels[zenv1.LabelSource], Category: zenv1.Category(m.Labels[zenv1.LabelCategory]),
			Severity: zenv1.Severity(m.Labels[zenv1.LabelSeverity]), EventType: cell(row.Cells[typ]),
			DedupKey: m.Annotations[zenv1.AnnotationDedupKey], KeyHash: m.Labels[zenv1.LabelKeyHash],
			OriginHash: m.Labels[zenv1.LabelOrigin], ScopeHash: m.Labels[zenv1.LabelOriginScope],
			Resolved: cell(row.Cells[state]) == string(zenv1.StateResolved),
		}
		s.Generation, _ = strconv.Atoi(m.Labels[zenv1.LabelGeneration])
		out = append(out, s)
	}
	return out, nil
}

// cell reads a string cell; an unset field is rendered as null or "<none>".
func cell(v any) string {
	s, _ := v.(string)
	if s == "<none>" {
		return ""
	}
	return s
}
