package dynsource

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/mapping"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// evalTimeout bounds the mapping of one body; the cost limit bounds each
// expression, this the sum over a body's items.
const evalTimeout = 5 * time.Second

// parser turns one webhook body of a source into findings: schema, items,
// mapping. It implements webhook.Parser.
type parser struct {
	src    mapping.Source
	schema *jsonschema.Schema // nil: no schema
	items  *mapping.Items
	prog   *mapping.Program
}

// Parse validates, splits and maps body. A body that fails the schema is
// refused whole, with the pointer of each failing value; an item whose
// mapping fails is rejected alone.
func (p *parser) Parse(body []byte, _ time.Time) (source.Batch, error) {
	doc, err := mapping.Decode(body)
	if err != nil {
		return source.Batch{}, err
	}
	if p.schema != nil {
		if err := p.schema.Validate(doc); err != nil {
			return source.Batch{}, schemaError(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), evalTimeout)
	defer cancel()
	items, err := p.items.Extract(ctx, doc, p.src)
	if err != nil {
		return source.Batch{}, err
	}
	b := source.Batch{Items: len(items), Findings: make([]finding.Finding, 0, len(items))}
	for i, item := range items {
		f, keep, err := p.prog.Map(ctx, item, p.src)
		switch {
		case err != nil:
			reason := mapping.ReasonEval
			if me, ok := err.(*mapping.Error); ok {
				reason = me.Reason
			}
			b.Rejected = append(b.Rejected, source.ItemError{Index: i, Reason: reason, Detail: err.Error()})
		case !keep:
			b.Drop(mapping.ReasonFiltered)
		default:
			b.Findings = append(b.Findings, f)
		}
	}
	return b, nil
}

// maxSchemaErrors bounds the failing values a 400 lists.
const maxSchemaErrors = 20

// schemaError lists the values that fail the schema, each with its JSON
// pointer.
func schemaError(err error) error {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return source.Errorf(source.ReasonUnknownShape, "validating the body: %v", err)
	}
	pe := &webhook.PayloadError{Detail: "the body does not match the source's JSON Schema; see errors"}
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if len(u.Errors) == 0 && u.Error != nil && len(pe.Errors) < maxSchemaErrors {
			pe.Errors = append(pe.Errors, source.ItemError{Pointer: u.InstanceLocation, Reason: "schema",
				Detail: u.Error.String() + " (schema " + u.KeywordLocation + ")"})
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.BasicOutput())
	if len(pe.Errors) == 0 {
		pe.Errors = []source.ItemError{{Pointer: "", Reason: "schema", Detail: ve.Error()}}
	}
	return pe
}

// compileSchema compiles a source's JSON Schema (draft 2020-12 unless it
// names another). It loads nothing: a $ref to anything outside the
// document fails, so a tenant cannot make the daemon read a file or a URL.
func compileSchema(raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const loc = "zensource:schema.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("adding the schema: %w", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compiling the schema: %w", err)
	}
	return s, nil
}
