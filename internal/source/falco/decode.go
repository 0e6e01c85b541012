package falco

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Alerts are read with github.com/go-json-experiment/json, the module
// behind encoding/json/v2: its jsontext.Decoder finds where each value of
// the body ends and checks its syntax, and json.UnmarshalDecode fills the
// alert in the same pass. A whole Parse of the shell fixture takes about
// half as long as encoding/json takes to decode it into the same struct,
// with 27 allocations against 68.
//
// The library's defaults are kept where they suit Falco: member names
// match exactly, other members are ignored, null reads as absent, numbers
// in output_fields are float64 (one beyond float64's range is an error),
// nesting stops at 10000 levels, and a member name given twice makes the
// object invalid JSON (RFC 7493: Falco never repeats one, and which of
// two values counts would be a guess). One default is changed:
// invalid UTF-8 in a string becomes U+FFFD instead of failing the alert,
// as with encoding/json, since process names and command lines are
// arbitrary bytes.
var decodeOptions = jsontext.AllowInvalidUTF8(true)

// scratch is what reading a body reuses from one item to the next. A
// Parser pools them, so it must not keep the body or an alert once the
// body is read (see release).
type scratch struct {
	in  bytes.Buffer // the decoder reads a bytes.Buffer in place
	dec jsontext.Decoder
	a   alert
	// min is the parser's minimum priority, for wanted.
	min Priority
	// For readFields: the value being decoded; interned field names; how
	// many fields the last alert kept, to size the next map; a buffer for
	// unquoting names.
	value      any
	names      map[string]string
	fieldCount int
	unquoted   []byte
}

// reset readies s.a for the next alert, keeping the buffer of its tags,
// which a kept alert copies.
func (s *scratch) reset() {
	s.a = alert{Tags: s.a.Tags[:0], Fields: fieldsMember{s}}
}

// start points the decoder at data, whose offsets it then reports.
func (s *scratch) start(data []byte) {
	s.in = *bytes.NewBuffer(data)
	s.dec.Reset(&s.in, decodeOptions)
}

// readAlert decodes the object that starts data into s.a. It returns the
// length of the object and nil; or a *json.SemanticError, for a member of
// the wrong type in an object that is otherwise JSON, and the length of
// the object; or a *jsontext.SyntacticError, for an object that is not
// JSON, and how far reading got.
func (s *scratch) readAlert(data []byte) (int, error) {
	s.reset()
	s.start(data)
	err := json.UnmarshalDecode(&s.dec, &s.a)
	if err == nil {
		return int(s.dec.InputOffset()), nil
	}
	if syntax, ok := errors.AsType[*jsontext.SyntacticError](err); ok {
		return int(syntax.ByteOffset), syntax
	}
	semantic, ok := errors.AsType[*json.SemanticError](err)
	if !ok {
		// Neither: not expected from a bytes.Buffer. Call it broken.
		return len(data), &jsontext.SyntacticError{ByteOffset: int64(len(data)), Err: err}
	}
	// Decoding stops at the first value of the wrong type. The rest of
	// the object may still be broken, which is reported first, as the
	// sender's first mistake: read the object again, to its end.
	s.reset()
	_, n, err := s.skipValue(data)
	if err != nil {
		return n, err
	}
	return n, semantic
}

// skipValue reads the value that starts data and returns its kind and
// length, or a *jsontext.SyntacticError and how far reading got.
func (s *scratch) skipValue(data []byte) (jsontext.Kind, int, error) {
	s.start(data)
	kind := s.dec.PeekKind()
	err := s.dec.SkipValue()
	if err == nil {
		return kind, int(s.dec.InputOffset()), nil
	}
	syntax, ok := errors.AsType[*jsontext.SyntacticError](err)
	if !ok {
		// io.EOF: data is white space, a value is missing.
		syntax = &jsontext.SyntacticError{ByteOffset: int64(len(data)), Err: io.ErrUnexpectedEOF}
	}
	return kind, int(syntax.ByteOffset), syntax
}

// maxPooledTags bounds the tags buffer a pooled scratch keeps: one huge
// alert must not pin its size for good.
const maxPooledTags = 64

// release drops what a pooled scratch must not keep: the body, which the
// decoder reads in place, the last alert, which belongs to a finding, and
// buffers grown by an unusually large one.
func (s *scratch) release() {
	s.reset()
	clear(s.a.Tags[:cap(s.a.Tags)])
	if cap(s.a.Tags) > maxPooledTags {
		s.a.Tags = nil
	}
	s.value = nil
	if cap(s.unquoted) > maxNameLen {
		s.unquoted = nil
	}
	s.start(nil)
}

// tagList is the tags member: an array of strings, whose null elements
// are left out, as null is absent everywhere else.
type tagList []string

// UnmarshalJSONFrom decodes tags with the library, element by element.
func (t *tagList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '[' {
		// null, or a value of the wrong type, which the library reports
		// as such.
		var tags []string
		return json.UnmarshalDecode(dec, &tags)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for {
		switch dec.PeekKind() {
		case ']':
			_, err := dec.ReadToken()
			return err
		case 'n':
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		// Decoded in place, so that no string escapes to the heap on its
		// own; an error says which element is wrong, or that the array is
		// broken.
		*t = append(*t, "")
		if err := json.UnmarshalDecode(dec, &(*t)[len(*t)-1]); err != nil {
			return err
		}
	}
}

// fieldsMember is the output_fields member, which the scratch reading the
// alert decodes into the alert's OutputFields (see readFields).
type fieldsMember struct{ s *scratch }

// UnmarshalJSONFrom decodes output_fields.
func (f fieldsMember) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return f.s.readFields(dec)
}

// readFields decodes output_fields into s.a.OutputFields, leaving out
// what is not worth keeping: evt.time, which is the alert's time, kept as
// DetectedAt, and null and "<NA>", fields Falco could not fill.
//
// The object is walked member by member so that the map is made at its
// size once and each name is interned (Falco's field names are a small
// set); each value is decoded by the library as an any. The object is
// skipped, its syntax still checked, when the members read so far say the
// alert will not be kept (see wanted).
func (s *scratch) readFields(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		// null, or a value of the wrong type, which the library reports
		// as such.
		var fields map[string]any
		return json.UnmarshalDecode(dec, &fields)
	}
	if !s.wanted() {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	fields := make(map[string]any, s.fieldCount)
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue() // or the error that ends the object
		if err != nil {
			return err
		}
		key := s.intern(name)
		if key == "evt.time" {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		s.value = nil
		if err := json.UnmarshalDecode(dec, &s.value); err != nil {
			return err
		}
		if text, _ := s.value.(string); s.value != nil && text != notAvailable {
			fields[key] = s.value
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	s.fieldCount = min(len(fields), maxFieldHint)
	if len(fields) > 0 {
		s.a.OutputFields = fields
	}
	return nil
}

// wanted reports whether the alert being read may still become a finding,
// as far as the members read so far tell. Falco's alerts give source and
// priority before output_fields, so an alert that will be dropped is
// known to be by then, and its fields, most of the work, are not decoded.
func (s *scratch) wanted() bool {
	if s.a.internal() {
		return false
	}
	if s.a.Priority == "" {
		return true // not read yet
	}
	p, ok := ParsePriority(s.a.Priority)
	return ok && p >= s.min
}

// maxFieldHint bounds the size a fields map is made at.
const maxFieldHint = 64

// maxNames and maxNameLen bound the field names a scratch interns (at
// most 128 KiB), so that a sender of ever new or huge names cannot grow
// it without end; other names are copied.
const (
	maxNames   = 1024
	maxNameLen = 128
)

// intern returns the text of a member name (a JSON string) as a string
// shared by every alert that uses it.
func (s *scratch) intern(name jsontext.Value) string {
	text := []byte(name[1 : len(name)-1])
	if bytes.IndexByte(text, '\\') >= 0 || !utf8.Valid(text) {
		s.unquoted, _ = jsontext.AppendUnquote(s.unquoted[:0], name)
		text = s.unquoted
	}
	if k, ok := s.names[string(text)]; ok {
		return k
	}
	k := string(text)
	if len(s.names) < maxNames && len(k) <= maxNameLen {
		if s.names == nil {
			s.names = make(map[string]string)
		}
		s.names[k] = k
	}
	return k
}
