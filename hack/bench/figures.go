package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// figure is one measured number, with its baseline from the same run when
// it has one.
type figure struct {
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Unit     string   `json:"unit"`
	Baseline *float64 `json:"baseline"`
	Ratio    *float64 `json:"ratio"`
	// Goal is the target, read as "value <op> number" (or ratio
	// when there is a baseline); empty for figures that only inform.
	Goal string `json:"goal,omitempty"`
	Met  *bool  `json:"met,omitempty"`
}

// measured is a figure without a baseline.
func measured(name string, value float64, unit, goal string, met func(v float64) bool) figure {
	f := figure{Name: name, Value: round(value), Unit: unit, Goal: goal}
	if met != nil {
		ok := met(value)
		f.Met = &ok
	}
	return f
}

// compared is a figure beside its baseline; the goal is on the ratio.
func compared(name string, value, baseline float64, unit string, minRatio float64) figure {
	f := figure{Name: name, Value: round(value), Unit: unit}
	b := round(baseline)
	f.Baseline = &b
	if baseline > 0 {
		r := math.Round(value/baseline*1000) / 1000
		f.Ratio = &r
		if minRatio > 0 {
			f.Goal = fmt.Sprintf("ratio ≥ %.2f", minRatio)
			ok := r >= minRatio
			f.Met = &ok
		}
	}
	return f
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// printTable writes the figures as an aligned table.
func printTable(w io.Writer, figs []figure) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tunit\tbaseline\tratio\tgoal\tmet")
	for _, f := range figs {
		base, ratio, met := "—", "—", ""
		if f.Baseline != nil {
			base = fmt.Sprintf("%.2f", *f.Baseline)
		}
		if f.Ratio != nil {
			ratio = fmt.Sprintf("%.3f", *f.Ratio)
		}
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*f.Met]
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Value, f.Unit, base, ratio, f.Goal, met)
	}
	_ = tw.Flush()
}

// writeJSON writes figs to dir/name, creating dir.
func writeJSON(dir, name string, figs []figure) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(figs, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}
