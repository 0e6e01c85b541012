package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// Explain turns an encoding/json error from parsing a tool's output into
// a *source.ParseError. A type error means the keys were right and a value had the
// wrong JSON type; anything else means the bytes were not JSON at all
// (encoding/json checks syntax, depth included, before it decodes anything).
func Explain(tool string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "top-level array element"
		}
		return source.Errorf(source.ReasonWrongType,
			"parsing %s JSON: %s at byte %d is a JSON %s, want %s: %w",
			tool, field, te.Offset, te.Value, jsonKind(te.Type), err)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON at byte %d: %w", tool, se.Offset, err)
	}
	return source.Errorf(source.ReasonInvalidJSON, "parsing %s JSON: %w", tool, err)
}

// jsonKind names a Go type by the JSON type that decodes into it, so that
// messages speak the format's language, not this package's.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// FirstByte is the first byte of data that is not JSON white space, 0 when
// there is none: enough to tell an object from an array before decoding.
func FirstByte(data []byte) byte {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return 0
	}
	return data[0]
}

// DescribeTop names the JSON type of a valid top-level value that is
// neither an object nor an array, for messages.
func DescribeTop(data []byte) string {
	switch FirstByte(data) {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// TopLevel explains data whose top level is neither an object nor an
// array: broken JSON (invalid-json) or well-formed JSON of the wrong kind,
// a string, a number or null (unknown-shape). The fix for each differs, so
// the two are told apart. want says what tool's output should be.
func TopLevel(tool string, data []byte, want string) error {
	if !json.Valid(data) {
		var v any
		return Explain(tool, json.Unmarshal(data, &v))
	}
	return source.Errorf(source.ReasonUnknownShape, "parsing %s JSON: top level is %s, want %s", tool, DescribeTop(data), want)
}
