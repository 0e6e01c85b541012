// Command promql-names lists the metric names every PromQL expression of
// Prometheus rule files and Grafana dashboards selects, parsed by
// Prometheus' own parser. The integration test compares them with what the
// running daemon registers; this command lives in the promtool module so
// that Prometheus' dependency graph stays out of zen-watcher's go.mod.
//
// Usage: promql-names [-rules FILE]... [-dashboard FILE]...
// It prints a JSON array of {where, expr, metrics, error}, and exits 1 when
// a file cannot be read.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Query is one expression, where it was found, and what it selects.
type Query struct {
	Where   string   `json:"where"`
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(s string) error { *f = append(*f, s); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "promql-names:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("promql-names", flag.ContinueOnError)
	var rules, dashboards files
	fs.Var(&rules, "rules", "a Prometheus rule file (groups:); repeatable")
	fs.Var(&dashboards, "dashboard", "a Grafana dashboard JSON file; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := parser.NewParser(parser.Options{})
	var queries []Query
	for _, f := range rules {
		qs, err := ruleQueries(f, p)
		if err != nil {
			return err
		}
		queries = append(queries, qs...)
	}
	for _, f := range dashboards {
		qs, err := dashboardQueries(f)
		if err != nil {
			return err
		}
		queries = append(queries, qs...)
	}
	for i := range queries {
		q := &queries[i]
		names, err := metricNames(p, q.Expr)
		if err != nil {
			q.Error = err.Error()
		}
		q.Metrics = names
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(queries)
}

// ruleQueries reads a rule file the way Prometheus loads it, validation
// included, and returns each rule's expression.
func ruleQueries(path string, p parser.Parser) ([]Query, error) {
	rgs, errs := rulefmt.ParseFile(path, false, model.LegacyValidation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []Query
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			out = append(out, Query{Where: filepath.Base(path) + ": " + g.Name + "/" + r.Alert + r.Record, Expr: r.Expr})
		}
	}
	return out, nil
}

// grafanaVars are Grafana's built-in interval variables, replaced by a
// duration so that an expression parses as Prometheus will see it.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

// labelValues is a Grafana variable query; its first argument is a selector.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)

// dashboardQueries returns every panel target's "expr" and every template
// variable's label_values query of a dashboard.
func dashboardQueries(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Query
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				s, isString := child.(string)
				switch {
				case isString && k == "expr":
					out = append(out, Query{Where: where, Expr: grafanaVars.Replace(s)})
				case isString && k == "query" && strings.HasPrefix(s, "label_values("):
					if m := labelValues.FindStringSubmatch(s); m != nil {
						s = m[1]
					}
					out = append(out, Query{Where: where, Expr: s})
				default:
					walk(where+"."+k, child)
				}
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s[%d]", where, i), child)
			}
		}
	}
	walk(filepath.Base(path)+":", doc)
	return out, nil
}

// metricNames returns the metric name of every selector in expr; a
// selector without one (a bare {job="x"}) is an error, since nothing
// could check what it selects.
func metricNames(p parser.Parser, expr string) ([]string, error) {
	node, err := p.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names, unnamed []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if vs.Name == "" {
				unnamed = append(unnamed, vs.String())
			} else {
				names = append(names, vs.Name)
			}
		}
		return nil
	})
	if len(unnamed) > 0 {
		return names, fmt.Errorf("selectors without a metric name: %v", unnamed)
	}
	if len(names) == 0 {
		return nil, errors.New("selects no metric")
	}
	return names, nil
}
