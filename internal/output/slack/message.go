package slack

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/output"
)

// Bounds of one message; see the package comment for Slack's.
const (
	// MaxListed is how many findings a message shows one by one.
	MaxListed = 20
	// MaxBlocks is Slack's limit of blocks in one message.
	MaxBlocks = 50
	// maxHeader is Slack's limit of a header's text, in characters.
	maxHeader = 150
	// Clipping of finding text, in characters before escaping (which at
	// most quintuples them: "&" is "&amp;"); a section stays far below
	// Slack's 3000.
	maxTitle = 200
	maxIdent = 120
	// topRules is how many frequent rules a group's summary names.
	topRules = 5
)

// Colours of the attachments, by severity, and of resolved findings.
var colours = map[zenv1.Severity]string{
	zenv1.SeverityCritical: "#8b0000",
	zenv1.SeverityHigh:     "#e0452b",
	zenv1.SeverityMedium:   "#f2a516",
	zenv1.SeverityLow:      "#3d7dd8",
	zenv1.SeverityInfo:     "#9e9e9e",
}

const colourResolved = "#2e9e44"

// severities, most severe first.
var severities = []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo}

// group is the findings of one attachment.
type group struct {
	name     string // "HIGH", or "resolved"
	colour   string
	findings []output.Delivery
}

// Message builds the one message of a batch from cluster.
func Message(cluster string, batch []output.Delivery) *slack.WebhookMessage {
	var created, escalated, resolved int
	bySeverity := map[zenv1.Severity][]output.Delivery{}
	var done []output.Delivery
	for _, d := range batch {
		if d.Event == nil {
			continue
		}
		switch d.Trigger {
		case output.TriggerResolved:
			resolved++
			done = append(done, d)
			continue
		case output.TriggerEscalated:
			escalated++
		default:
			created++
		}
		sev := d.Event.Spec.Severity
		if _, ok := colours[sev]; !ok {
			sev = zenv1.SeverityInfo
		}
		bySeverity[sev] = append(bySeverity[sev], d)
	}
	var groups []group
	var counts []string
	for _, sev := range severities {
		if fs := bySeverity[sev]; len(fs) > 0 {
			groups = append(groups, group{name: string(sev), colour: colours[sev], findings: fs})
			counts = append(counts, fmt.Sprintf("%s %d", sev, len(fs)))
		}
	}
	if len(done) > 0 {
		groups = append(groups, group{name: "resolved", colour: colourResolved, findings: done})
		counts = append(counts, fmt.Sprintf("resolved %d", len(done)))
	}
	total := created + escalated + resolved
	head := headline(total, created, escalated, resolved)
	where := " on " + line(cluster, 63)
	summary := head + where + ": " + strings.Join(counts, ", ")

	msg := &slack.WebhookMessage{
		// Shown in notifications and by clients without blocks; counts only.
		Text:  entities.Replace(summary),
		Parse: "none",
		Blocks: &slack.Blocks{BlockSet: []slack.Block{
			slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, line(head+where, maxHeader), false, false)),
			slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, entities.Replace(strings.Join(counts, " · ")), false, true)),
		}},
	}
	listed := 0
	for _, g := range groups {
		sortGroup(g.findings)
		n := min(len(g.findings), MaxListed-listed)
		listed += n
		var blocks []slack.Block
		for _, d := range g.findings[:n] {
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, section(d), false, true), nil, nil))
		}
		if rest := g.findings[n:]; len(rest) > 0 {
			blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, more(g.name, n > 0, rest), false, true)))
		}
		msg.Attachments = append(msg.Attachments, slack.Attachment{
			Color:    g.colour,
			Fallback: fmt.Sprintf("%d %s", len(g.findings), g.name),
			Blocks:   slack.Blocks{BlockSet: blocks},
		})
	}
	return msg
}

// headline says how many findings and why they are sent, in plain words.
func headline(total, created, escalated, resolved int) string {
	noun := "findings"
	if total == 1 {
		noun = "finding"
	}
	switch total {
	case created:
		return fmt.Sprintf("%d new %s", total, noun)
	case escalated:
		return fmt.Sprintf("%d escalated %s", total, noun)
	case resolved:
		return fmt.Sprintf("%d resolved %s", total, noun)
	}
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{created, "new"}, {escalated, "escalated"}, {resolved, "resolved"}} {
		if p.n > 0 {
			parts = append(parts, strconv.Itoa(p.n)+" "+p.word)
		}
	}
	return fmt.Sprintf("%d %s (%s)", total, noun, strings.Join(parts, ", "))
}

// sortGroup puts the most severe first, then the most frequent, then the
// newest, so the listed findings are the ones to read first.
func sortGroup(ds []output.Delivery) {
	slices.SortStableFunc(ds, func(a, b output.Delivery) int {
		if c := cmp.Compare(finding.Rank(b.Event.Spec.Severity), finding.Rank(a.Event.Spec.Severity)); c != 0 {
			return c
		}
		return cmp.Compare(b.Event.Status.Count, a.Event.Status.Count)
	})
}

// section is one finding's text: its title in bold, then what it concerns.
func section(d output.Delivery) string {
	s := d.Event.Spec
	title := s.Title
	if strings.TrimSpace(title) == "" {
		title = s.Rule
	}
	if strings.TrimSpace(title) == "" {
		title = s.EventType
	}
	var b strings.Builder
	b.WriteString("*" + Text(title, maxTitle) + "*\n")
	parts := []string{Text(string(s.Severity), 16) + " " + Code(s.Source, 63)}
	if s.Rule != "" {
		parts = append(parts, "rule "+Code(s.Rule, maxIdent))
	}
	if r := s.Resource; r != nil {
		parts = append(parts, Code(r.Kind+"/"+r.Name, maxIdent))
		if r.Namespace != "" {
			parts = append(parts, "namespace "+Code(r.Namespace, 63))
		}
	} else if d.Event.Namespace != "" {
		parts = append(parts, "namespace "+Code(d.Event.Namespace, 63))
	}
	switch d.Trigger {
	case output.TriggerEscalated:
		parts = append(parts, fmt.Sprintf("escalated, seen %d times", d.Event.Status.Count))
	case output.TriggerResolved:
		parts = append(parts, "resolved")
	default:
		if d.Event.Status.Count > 1 {
			parts = append(parts, fmt.Sprintf("seen %d times", d.Event.Status.Count))
		}
	}
	b.WriteString(strings.Join(parts, " · "))
	return b.String()
}

// more summarises the findings of a group not listed one by one: how
// many, and their most frequent rules.
func more(name string, someListed bool, rest []output.Delivery) string {
	counts := map[string]int{}
	for _, d := range rest {
		rule := d.Event.Spec.Rule
		if rule == "" {
			rule = d.Event.Spec.EventType
		}
		counts[rule]++
	}
	rules := make([]string, 0, len(counts))
	for r := range counts {
		rules = append(rules, r)
	}
	slices.SortFunc(rules, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	var top []string
	for _, r := range rules[:min(len(rules), topRules)] {
		top = append(top, fmt.Sprintf("%s (%d)", Code(r, maxIdent), counts[r]))
	}
	lead := fmt.Sprintf("%d %s", len(rest), name)
	if someListed {
		lead = "…and " + lead + " more"
	}
	return lead + ": " + strings.Join(top, ", ")
}
