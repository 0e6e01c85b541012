package falco

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// Messages for items the library could not read, in the words of the
// format rather than of Go: the library's errors name Go types.

// kindNames name JSON kinds.
var kindNames = map[jsontext.Kind]string{
	'n': "null", 'f': "a boolean", 't': "a boolean", '"': "a string", '0': "a number", '{': "an object", '[': "an array",
}

func kindName(k jsontext.Kind) string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "a value"
}

// wants names the JSON type each member must have.
var wants = map[jsontext.Pointer]string{
	"/output":        "a string",
	"/priority":      `a string such as "Warning"`,
	"/rule":          "a string",
	"/time":          "a string (RFC 3339)",
	"/source":        "a string",
	"/hostname":      "a string",
	"/uuid":          "a string",
	"/tags":          "an array of strings",
	"/output_fields": "an object",
}

// wrongType explains a value of the wrong type, which the library found
// at se.JSONPointer.
func wrongType(se *json.SemanticError) source.ItemError {
	ptr := se.JSONPointer
	e := source.ItemError{Pointer: string(ptr), Reason: source.ReasonWrongType}
	kind := kindName(se.JSONKind)
	switch {
	case wants[ptr] != "":
		e.Detail = fmt.Sprintf("%q is %s; want %s.", ptr.LastToken(), kind, wants[ptr])
	case ptr.Parent() == "/tags":
		e.Detail = fmt.Sprintf("Tag %s is %s; want a string.", ptr.LastToken(), kind)
	case errors.Is(se.Err, strconv.ErrRange):
		// Only a number in output_fields can be out of range: the
		// members of other numbers are ignored.
		field := ptr
		for field.Parent() != "/output_fields" && field.Parent() != "" {
			field = field.Parent()
		}
		e.Detail = fmt.Sprintf("Output field %q holds the number %s, beyond the range of a 64-bit float.",
			clip(field.LastToken()), clip(string(se.JSONValue)))
	default:
		// Not expected from the alert type; say what the library says.
		e.Detail = fmt.Sprintf("The value at %s cannot be read: %v.", clip(string(ptr)), se.Err)
	}
	return e
}

// syntaxError says, in one clause, why data is not JSON: the library's
// reason, where it stopped, and in which member. It reads data again from
// its start, so that the words fit data and nothing beyond it.
func (s *scratch) syntaxError(data []byte) string {
	_, _, err := s.skipValue(data)
	se, ok := errors.AsType[*jsontext.SyntacticError](err)
	if !ok {
		return "it is not valid JSON"
	}
	var why string
	switch {
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		why = "it ends before its JSON value does"
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		why = fmt.Sprintf("member %q is given twice", clip(se.JSONPointer.LastToken()))
	default:
		why = se.Err.Error()
	}
	// Bytes are counted from 1, as encoding/json does: the byte that is
	// wrong, or the one after the end when the value is cut short.
	why += fmt.Sprintf(", at byte %d", se.ByteOffset+1)
	if se.JSONPointer != "" {
		why += " (in " + clip(string(se.JSONPointer)) + ")"
	}
	return why
}
