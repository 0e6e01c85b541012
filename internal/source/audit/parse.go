package audit

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/jsonerr"
)

// SourceName is the source label and object name prefix of audit findings.
const SourceName = "audit"

// Drop reasons: the label values of events read but deliberately not
// turned into findings.
const (
	// DropStage: the event is at stage RequestReceived, which every
	// request passes and which the ResponseStarted or ResponseComplete
	// event of the same request repeats with the outcome, or at a stage
	// this version does not know.
	DropStage = "stage"
	// DropUnimportant: no rule matched.
	DropUnimportant = "unimportant"
)

// want says what an audit webhook body should hold, for whole-body errors.
const want = "an audit.k8s.io/v1 EventList (or a single Event) object"

// Parser turns audit webhook bodies into batches of findings. Its rules
// are read only and its one counter is atomic, so one Parser serves every
// request concurrently.
type Parser struct {
	rules      *Rules
	evalErrors atomic.Uint64
}

// NewParser returns a Parser that classifies events with rules; nil means
// DefaultRules(DefaultTrustedUsers).
func NewParser(rules *Rules) *Parser {
	if rules == nil {
		rules = DefaultRules(DefaultTrustedUsers)
	}
	return &Parser{rules: rules}
}

// EvalErrors is how many custom-rule evaluations have failed (a member
// missing from the event, the cost limit) since the Parser was made; each
// counted as no match. It only grows, as a Prometheus counter does.
func (p *Parser) EvalErrors() uint64 { return p.evalErrors.Load() }

// parse is the state of one Parse call.
type parse struct {
	p     *Parser
	dec   *jsontext.Decoder
	now   time.Time
	batch source.Batch
	// wire, ev and x are reused for every item.
	wire wireEvent
	ev   event
	x    evalContext
}

// Parse reads one webhook body: an EventList (batch mode, the default of
// the API server's webhook backend), or a single Event, including the
// 2018 shape with no apiVersion. Every item is accounted for in the Batch:
// a finding, a drop by reason (DropStage, DropUnimportant), or a rejection
// that names the bad member, and a bad item never costs the others.
//
// The error, a *source.ParseError, is for a body that is no audit payload
// at all: empty (no-payload), not JSON (invalid-json; a syntax error
// anywhere leaves no item to trust), not an object, or an object that is
// neither an EventList nor an Event (unknown-shape), or whose kind,
// apiVersion or items member has the wrong type (wrong-type).
func (p *Parser) Parse(body []byte, now time.Time) (source.Batch, error) {
	switch jsonerr.FirstByte(body) {
	case 0:
		return source.Batch{}, source.Errorf(source.ReasonNoPayload, "parsing %s events: the body is empty; want %s", SourceName, want)
	case '{':
	case '[':
		return source.Batch{}, source.Errorf(source.ReasonUnknownShape,
			"parsing %s JSON: top level is an array; want %s", SourceName, want)
	default:
		return source.Batch{}, jsonerr.TopLevel(SourceName, body, want)
	}
	// Duplicate names are allowed while walking, so that one inside an
	// item costs that item only: decode, with the defaults, rejects it.
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), itemOptions)
	st := &parse{p: p, dec: dec, now: now}
	st.x = evalContext{rules: p.rules, evalErrors: &p.evalErrors}
	if err := st.document(body); err != nil {
		return source.Batch{}, syntaxErr(err)
	}
	return st.batch, nil
}

// document reads the top-level object. The items of an EventList are
// classified as they come, because kind may follow them; once the object
// has ended, kind decides whether the body is an EventList or an Event,
// which is then decoded whole.
func (st *parse) document(body []byte) error {
	dec := st.dec
	if _, err := dec.ReadToken(); err != nil { // the '{' that Parse saw
		return err
	}
	var kind, apiVersion string
	var sawItems, sawAuditID bool
	seen := map[string]bool{}
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if tok.Kind() == '}' {
			break
		}
		name := tok.String()
		if seen[name] {
			return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: the %s member appears twice", SourceName, clip(name))
		}
		seen[name] = true
		switch name {
		case "kind":
			kind, err = st.topString(name)
		case "apiVersion":
			apiVersion, err = st.topString(name)
		case "items":
			sawItems = true
			err = st.items()
		default:
			sawAuditID = sawAuditID || name == "auditID"
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	switch _, err := dec.ReadToken(); {
	case err == nil:
		return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON at byte %d: a second JSON value follows the object; want one", SourceName, dec.InputOffset())
	case err != io.EOF:
		return err
	}
	if apiVersion != "" && !isAuditAPIVersion(apiVersion) {
		return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: apiVersion is %q; want %s", SourceName, clip(apiVersion), want)
	}
	switch {
	case kind == "EventList":
		return nil
	case sawItems:
		return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: an items member, but kind is %q; want %s", SourceName, clip(kind), want)
	case kind == "Event" || kind == "" && sawAuditID:
		st.batch = source.Batch{Items: 1}
		st.take(-1, body)
		return nil
	case kind == "":
		return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: the object has neither a kind nor an auditID; want %s", SourceName, want)
	}
	return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: kind is %q; want %s", SourceName, clip(kind), want)
}

// topString reads kind or apiVersion of the top-level object; null reads
// as absent.
func (st *parse) topString(name string) (string, error) {
	switch k := st.dec.PeekKind(); k {
	case '"', 'n':
		var v string
		err := json.UnmarshalDecode(st.dec, &v)
		return v, err
	default:
		if err := st.dec.SkipValue(); err != nil {
			return "", err // not JSON after all
		}
		return "", source.Errorf(source.ReasonWrongType, "parsing %s JSON: %s is a JSON %s; want a string", SourceName, name, kindName(k))
	}
}

// items reads the items of an EventList, classifying each as it comes.
// Each is checked as JSON by the decoder, and decoded from the bytes it
// returns, valid until the next read.
func (st *parse) items() error {
	dec := st.dec
	switch k := dec.PeekKind(); k {
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
	case 'n', 0: // 0: SkipValue reports the syntax error
		return dec.SkipValue()
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return source.Errorf(source.ReasonWrongType, "parsing %s JSON: items is a JSON %s; want an array of audit events", SourceName, kindName(k))
	}
	for i := 0; ; i++ {
		if dec.PeekKind() == ']' {
			_, err := dec.ReadToken()
			return err
		}
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		st.batch.Items++
		st.take(i, raw)
	}
}

// take accounts for one item, raw: index is its place in items, or -1
// for a lone Event.
func (st *parse) take(index int, raw jsontext.Value) {
	e := &st.ev
	var bad *source.ItemError
	if k := raw.Kind(); k != '{' {
		bad = &source.ItemError{Reason: source.ReasonWrongType,
			Detail: "The item is a JSON " + kindName(k) + "; want an audit Event object."}
	} else if err := decode(raw, &st.wire, e); err != nil {
		bad = itemError(err)
	} else {
		bad = check(e)
	}
	if bad != nil {
		if index >= 0 {
			bad.Index = index
			bad.Pointer = "/items/" + strconv.Itoa(index) + bad.Pointer
		}
		st.batch.Rejected = append(st.batch.Rejected, *bad)
		return
	}
	switch e.stage {
	case "ResponseStarted", "ResponseComplete", "Panic":
	default:
		st.batch.Drop(DropStage)
		return
	}
	st.x.reset(e)
	best, matched := st.p.rules.classify(e, &st.x)
	if best < 0 {
		st.batch.Drop(DropUnimportant)
		return
	}
	st.batch.Findings = append(st.batch.Findings, st.finding(e, &st.p.rules.list[best].Rule, matched))
}

// syntaxErr explains an error that ends the whole body: one of ours, as
// it is, or the decoder's syntax error, by the byte it names (counted
// from 1, as in encoding/json's messages) and in jsontext's words without
// its prefix.
func syntaxErr(err error) error {
	var pe *source.ParseError
	if errors.As(err, &pe) {
		return err
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) && se.Err != nil {
		if errors.Is(se.Err, io.ErrUnexpectedEOF) {
			return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON: the body ends after %d bytes, inside a JSON value", SourceName, se.ByteOffset)
		}
		return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON at byte %d: %w", SourceName, se.ByteOffset+1, se.Err)
	}
	return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON: %w", SourceName, err)
}
