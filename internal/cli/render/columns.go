package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/util/jsonpath"
)

// Column is one custom column: a header and the JSONPath of its value.
type Column struct {
	Header string
	path   *jsonpath.JSONPath
}

// ParseColumns reads kubectl's custom-columns spec,
// "HEADER:.json.path,HEADER2:.other".
func ParseColumns(spec string) ([]Column, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("custom-columns needs at least one HEADER:.path")
	}
	var cols []Column
	for _, part := range strings.Split(spec, ",") {
		header, expr, ok := strings.Cut(part, ":")
		if !ok || header == "" || expr == "" {
			return nil, fmt.Errorf("custom-columns: %q is not HEADER:.path", part)
		}
		if !strings.HasPrefix(expr, "{") {
			expr = "{" + expr + "}"
		}
		p := jsonpath.New(header).AllowMissingKeys(true)
		if err := p.Parse(expr); err != nil {
			return nil, fmt.Errorf("custom-columns %s: %w", header, err)
		}
		cols = append(cols, Column{Header: header, path: p})
	}
	return cols, nil
}

// Columns writes one row per object, "<none>" where a path finds nothing.
func Columns(w io.Writer, cols []Column, objs []map[string]any, noHeaders bool) error {
	tw := printers.GetNewTabWriter(w)
	if !noHeaders {
		h := make([]string, len(cols))
		for i, c := range cols {
			h[i] = c.Header
		}
		fmt.Fprintln(tw, strings.Join(h, "\t"))
	}
	for _, obj := range objs {
		cells := make([]string, len(cols))
		for i, c := range cols {
			var b bytes.Buffer
			if err := c.path.Execute(&b, obj); err != nil {
				return fmt.Errorf("custom-columns %s: %w", c.Header, err)
			}
			v := strings.ReplaceAll(b.String(), "\t", " ")
			if v == "" {
				v = "<none>"
			}
			cells[i] = printers.EscapeTerminal(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
