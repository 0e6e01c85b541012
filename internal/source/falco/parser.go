package falco

import (
	"sync"
	"time"

	"github.com/go-json-experiment/json"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/jsonerr"
)

// Identity of Falco findings.
const (
	// SourceName is the source label and object name prefix.
	SourceName = "falco"
	// EventType is the event type of every Falco finding.
	EventType = "runtime-security"
)

// Drop reasons: the label values of alerts read but deliberately not
// turned into findings.
const (
	// DropBelowMinPriority: the alert's priority is below the parser's
	// minimum (FALCO_MIN_PRIORITY).
	DropBelowMinPriority = "below-min-priority"
	// DropInternal: the alert has source "internal", Falco's own events
	// such as the metrics snapshot, which say nothing about the cluster.
	DropInternal = "internal"
)

// want says what a Falco body should hold, for whole-body errors.
const want = "one Falco alert object, or one per line (NDJSON)"

// Parser turns Falco webhook bodies into batches of findings. Its only
// state is a pool of scratch decoders, so one Parser serves every request
// concurrently. It must not be copied.
type Parser struct {
	min Priority
	// severity is finding.FalcoPriority looked up once per priority, so
	// that no alert pays for the table's case folding.
	severity [len(priorityWords)]zenv1.Severity
	scratch  sync.Pool
}

// NewParser returns a Parser that drops alerts below minPriority
// (FALCO_MIN_PRIORITY, Warning by default).
func NewParser(minPriority Priority) *Parser {
	p := &Parser{min: minPriority}
	for i, w := range priorityWords {
		s, ok := finding.FalcoPriority.Map(w)
		if !ok {
			// The table maps every Falco priority (a test checks);
			// should a word go missing, MEDIUM is the scale's default.
			s = zenv1.SeverityMedium
		}
		p.severity[i] = s
	}
	p.scratch.New = func() any { return new(scratch) }
	return p
}

// Parse reads a request body: one alert object (on one line or
// pretty-printed), or several, one per line (NDJSON, CRLF tolerated, blank
// lines ignored). Every item is accounted for in the Batch: a finding, a
// drop by reason, or a rejection that names what is wrong with it, and a
// bad item never costs the good ones around it. Rejection indexes count
// items from 0, which for NDJSON without blank lines is the line number.
//
// The error, a *source.ParseError, is for a body that holds no alert at
// all: empty (no-payload), a JSON array (unknown-shape), or values none of
// which is a JSON object (invalid-json or unknown-shape). A single object
// that is JSON but not a usable alert is not an error: it is a Batch of
// one rejected item, and the caller decides the status.
func (p *Parser) Parse(body []byte, now time.Time) (source.Batch, error) {
	var b source.Batch
	first := jsonerr.FirstByte(body)
	if first == 0 {
		return b, source.Errorf(source.ReasonNoPayload, "parsing %s alerts: the body is empty; want %s", SourceName, want)
	}
	s := p.scratch.Get().(*scratch)
	s.min = p.min
	defer p.scratch.Put(s)
	defer s.release()
	if first == '[' {
		// An array is refused as a whole, pretty-printed or not, unless
		// it is only the first line of an NDJSON body.
		if _, n, err := s.skipValue(body); err != nil || skipSpace(body, n) == len(body) {
			return b, source.Errorf(source.ReasonUnknownShape,
				"parsing %s JSON: a JSON array where an object belongs: send one alert object per request, or one per line (NDJSON)", SourceName)
		}
	}
	p.stream(&b, s, body, now)
	if err := noAlert(&b, s, body); err != nil {
		return source.Batch{}, err
	}
	return b, nil
}

// noAlert refuses, as a whole, a body none of whose items is even a JSON
// object: one value that is not JSON or not an object, or text or random
// bytes, which would otherwise count as an item per line.
func noAlert(b *source.Batch, s *scratch, body []byte) error {
	if len(b.Rejected) != b.Items {
		return nil
	}
	for _, r := range b.Rejected {
		if r.Reason != source.ReasonInvalidJSON && r.Reason != source.ReasonUnknownShape {
			return nil
		}
	}
	if b.Items == 1 {
		if b.Rejected[0].Reason == source.ReasonUnknownShape {
			kind, _, _ := s.skipValue(body)
			return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: the body is %s; want %s", SourceName, kindName(kind), want)
		}
		return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON: the body is not valid JSON: %s; want %s",
			SourceName, s.syntaxError(body), want)
	}
	first := b.Rejected[0]
	return source.Errorf(first.Reason, "parsing %s JSON: none of the %d values in the body is an object; want %s. The first: %s",
		SourceName, b.Items, want, first.Detail)
}

// stream reads the values of body one by one. A value that is not JSON is
// rejected up to the next line that starts an object (see resync).
//
// Reading stays linear in the body, whatever it holds: an object still
// open at a line end runs on into the next lines, so after one that fails
// (reached is how far it got), the lines it ran over are read one line at
// a time, and a value that is not an object never runs past its line. A
// body of "{"a":[" lines would otherwise cost the square of its length.
func (p *Parser) stream(b *source.Batch, s *scratch, body []byte, now time.Time) {
	reached := 0
	for pos := skipSpace(body, 0); pos < len(body); pos = skipSpace(body, pos) {
		index := b.Items
		b.Items++
		data := body[pos:]
		if body[pos] != '{' || pos < reached {
			data = body[pos:lineEnd(body, pos)]
		}
		if body[pos] == '{' {
			n, err := s.readAlert(data)
			switch err := err.(type) {
			case nil:
				p.add(b, index, &s.a, now)
				pos += n
				continue
			case *json.SemanticError:
				e := wrongType(err)
				e.Index = index
				b.Rejected = append(b.Rejected, e)
				pos += n
				continue
			}
			reached = max(reached, pos+n)
		} else if kind, n, err := s.skipValue(data); err == nil {
			b.Rejected = append(b.Rejected, source.ItemError{Index: index, Reason: source.ReasonUnknownShape,
				Detail: "The item is " + kindName(kind) + "; want a Falco alert object."})
			pos += n
			continue
		}
		next := resync(body, pos)
		detail := unexplained
		if len(b.Rejected) < maxExplained {
			detail = "The item is not valid JSON: " + s.syntaxError(body[pos:next]) + "."
		}
		b.Rejected = append(b.Rejected, source.ItemError{Index: index, Reason: source.ReasonInvalidJSON, Detail: detail})
		pos = next
	}
}

// maxExplained bounds how many broken values of one body get their own
// explanation, which costs a second read: a body of broken lines must not
// cost much more than a body of good ones. The rest share one sentence.
const maxExplained = 100

const unexplained = "The item is not valid JSON (the first rejected items say where)."

// add accounts for the alert just read. An internal event is dropped
// before anything else is checked: it is Falco's own and needs no rule or
// priority to be ignored.
func (p *Parser) add(b *source.Batch, index int, a *alert, now time.Time) {
	if a.internal() {
		b.Drop(DropInternal)
		return
	}
	prio, bad := a.check()
	if bad != nil {
		bad.Index = index
		b.Rejected = append(b.Rejected, *bad)
		return
	}
	if prio < p.min {
		b.Drop(DropBelowMinPriority)
		return
	}
	b.Findings = append(b.Findings, p.finding(a, prio, now))
}
