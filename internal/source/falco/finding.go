package falco

import (
	"slices"
	"time"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// notAvailable is what Falco prints for a field it could not fill.
const notAvailable = "<NA>"

// finding maps one kept alert.
func (p *Parser) finding(a *alert, prio Priority, now time.Time) finding.Finding {
	id := identify(a)
	return finding.Finding{
		Source:     SourceName,
		Category:   zenv1.CategorySecurity,
		Severity:   p.severity[prio],
		EventType:  EventType,
		Rule:       a.Rule,
		Title:      a.Rule, // Falco names its rules for people to read
		Resource:   id.resource,
		Details:    details(a),
		DetectedAt: detectedAt(a.Time, now),
		DedupKey:   id.key,
	}
}

// details are the alert's members worth keeping, under the keys the
// package doc lists. Absent members are left out.
func details(a *alert) map[string]any {
	d := make(map[string]any, 8)
	d["rule"] = a.Rule
	d["priority"] = a.Priority
	if a.Output != "" {
		d["output"] = stripTime(a.Output)
	}
	if len(a.Tags) > 0 {
		d["tags"] = slices.Clone([]string(a.Tags)) // a.Tags is scratch
	}
	if a.Hostname != "" {
		d["hostname"] = a.Hostname
	}
	if a.Source != "" {
		d["source"] = a.Source
	}
	if a.UUID != "" {
		d["uuid"] = a.UUID
	}
	if a.OutputFields != nil {
		d["fields"] = a.OutputFields
	}
	return d
}

// detectedAt is the alert's time, or now when the alert has none, or one
// that is not RFC 3339 or lies outside the years an event can hold
// (metav1.Time is written with four-digit years).
func detectedAt(s string, now time.Time) time.Time {
	if s == "" {
		return now
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return now
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return now
	}
	return t
}

// stripTime removes the time Falco puts before the output text, so that
// the stored text is the same for every occurrence: "13:44:05.478445995: "
// by default, "2023-05-25T13:44:05.478445995+0000: " with
// time_format_iso_8601. Anything else is left as it is.
func stripTime(out string) string {
	i := isoDate(out)
	iso := i > 0
	n := clock(out[i:])
	if n == 0 {
		return out
	}
	i += n
	if i < len(out) && out[i] == '.' {
		i++
		start := i
		i = digits(out, i)
		if i == start {
			return out
		}
	}
	if iso {
		i = zone(out, i)
	}
	if len(out) < i+2 || out[i] != ':' || out[i+1] != ' ' {
		return out
	}
	return out[i+2:]
}

// isoDate returns the length of a leading "YYYY-MM-DDT", or 0.
func isoDate(s string) int {
	return matchLayout(s, "dddd-dd-ddT")
}

// clock returns the length of a leading "HH:MM:SS", or 0.
func clock(s string) int {
	return matchLayout(s, "dd:dd:dd")
}

// matchLayout matches s's prefix against layout, where 'd' is any digit
// and every other byte stands for itself; it returns the layout's length,
// or 0 when s does not match.
func matchLayout(s, layout string) int {
	if len(s) < len(layout) {
		return 0
	}
	for i := range len(layout) {
		c := s[i]
		if l := layout[i]; l == 'd' && (c < '0' || c > '9') || l != 'd' && c != l {
			return 0
		}
	}
	return len(layout)
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// zone skips "Z", "+hhmm" or "+hh:mm" at s[i].
func zone(s string, i int) int {
	if i < len(s) && s[i] == 'Z' {
		return i + 1
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if n := matchLayout(s[i+1:], "dd:dd"); n > 0 {
			return i + 1 + n
		}
		if n := matchLayout(s[i+1:], "dddd"); n > 0 {
			return i + 1 + n
		}
	}
	return i
}
