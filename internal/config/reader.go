package config

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// reader parses variables and collects every problem instead of stopping at
// the first, so Load can report them all at once.
type reader struct {
	getenv Getenv
	errs   []error
}

// lookup returns the trimmed value; unset and blank both mean "use the default".
func (r *reader) lookup(name string) (string, bool) {
	v, ok := r.getenv(name)
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

func (r *reader) fail(name, value, allowed string) {
	r.errs = append(r.errs, &VarError{Name: name, Value: value, Allowed: allowed})
}

func (r *reader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.fail(name, v, fmt.Sprintf("want a Go duration between %s and %s, e.g. %s", lo, hi, def))
		return def
	}
	return d
}

// optionalDuration is zero when unset, which callers read as "off".
func (r *reader) optionalDuration(name string, lo, hi time.Duration) time.Duration {
	v, ok := r.lookup(name)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.fail(name, v, fmt.Sprintf("want empty (off) or a Go duration between %s and %s, e.g. 24h", lo, hi))
		return 0
	}
	return d
}

func (r *reader) integer(name string, def, lo, hi int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, v, fmt.Sprintf("want a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, v) {
		r.fail(name, v, "want one of "+strings.Join(allowed, ", "))
		return def
	}
	return v
}

func (r *reader) dnsLabel(name, def string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if errs := validation.IsDNS1123Label(v); len(errs) > 0 {
		r.fail(name, v, "want a namespace name (RFC 1123 label): "+strings.Join(errs, "; "))
		return def
	}
	return v
}

func (r *reader) logLevel(name string, def slog.Level) slog.Level {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError}
	l, found := levels[strings.ToLower(v)]
	if !found {
		r.fail(name, v, "want one of debug, info, warn, error")
		return def
	}
	return l
}

func (r *reader) float(name string, def, lo, hi float64) float64 {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		r.fail(name, v, fmt.Sprintf("want a number from %g to %g", lo, hi))
		return def
	}
	return f
}

// text accepts any value up to max bytes.
func (r *reader) text(name, def string, max int) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if len(v) > max {
		r.fail(name, v[:32]+"…", fmt.Sprintf("want at most %d bytes, got %d", max, len(v)))
		return def
	}
	return v
}

// selector accepts a non-empty Kubernetes label selector.
func (r *reader) selector(name, def string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if _, err := labels.Parse(v); err != nil || v == "" {
		r.fail(name, v, fmt.Sprintf("want a label selector such as %s: %v", def, err))
		return def
	}
	return v
}

// subset accepts a comma-separated list drawn from allowed, in any case.
func (r *reader) subset(name string, def []string, allowed ...string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.ToUpper(strings.TrimSpace(item))
		if !slices.Contains(allowed, item) {
			r.fail(name, v, "want a comma-separated list of "+strings.Join(allowed, ", "))
			return def
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// secret is like text, but its value never appears in a message.
func (r *reader) secret(name string, max int) string {
	v, ok := r.lookup(name)
	if !ok {
		return ""
	}
	if len(v) > max {
		r.fail(name, "[redacted]", fmt.Sprintf("want at most %d bytes, got %d", max, len(v)))
		return ""
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, v, "want true or false")
		return def
	}
	return b
}

// word accepts one of allowed in any case and returns it as allowed spells it.
func (r *reader) word(name, def string, allowed ...string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	r.fail(name, v, "want one of "+strings.Join(allowed, ", "))
	return def
}

// bytes accepts a size as a Kubernetes quantity: 1048576, 1Mi or 512Ki.
func (r *reader) bytes(name string, def, lo, hi int64) int64 {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	q, err := resource.ParseQuantity(v)
	n := q.Value()
	if err != nil || q.MilliValue() != n*1000 || n < lo || n > hi { // whole bytes only
		r.fail(name, v, fmt.Sprintf("want a size in bytes from %d to %d, e.g. 1048576 or 1Mi", lo, hi))
		return def
	}
	return n
}
