package audit

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// itemError explains why an item that is a JSON object could not be
// decoded, in a sentence that names the member: err is what decode
// returned. The pointer is relative to the item.
func itemError(err error) *source.ItemError {
	var se *json.SemanticError
	if errors.As(err, &se) {
		ptr := string(se.JSONPointer)
		name := clip(dotted(se.JSONPointer))
		want := wantOf(se.GoType)
		if se.JSONKind == '0' && len(se.JSONValue) > 0 && want != "a string" {
			// A number that does not fit: say which.
			return &source.ItemError{Pointer: ptr, Reason: source.ReasonWrongType,
				Detail: fmt.Sprintf("%q is %s; want %s.", name, clip(string(se.JSONValue)), want)}
		}
		return &source.ItemError{Pointer: ptr, Reason: source.ReasonWrongType,
			Detail: fmt.Sprintf("%q is a JSON %s; want %s.", name, kindName(se.JSONKind), want)}
	}
	var sy *jsontext.SyntacticError
	if errors.As(err, &sy) && errors.Is(sy.Err, jsontext.ErrDuplicateName) {
		return &source.ItemError{Pointer: string(sy.JSONPointer), Reason: source.ReasonInvalidJSON,
			Detail: fmt.Sprintf("The member %q appears twice; the API server never repeats one, and two readers could take different values.",
				clip(dotted(sy.JSONPointer)))}
	}
	// Not expected: the item was checked as JSON already.
	return &source.ItemError{Reason: source.ReasonInvalidJSON, Detail: "The item could not be read as an audit Event."}
}

// dotted writes a JSON pointer as a path a person reads: user.groups[1].
func dotted(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// wantOf says what JSON a member decoded into t should be.
func wantOf(t reflect.Type) string {
	if t == nil {
		return "another JSON type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array of strings"
	case reflect.Int32:
		return "a whole number (an HTTP status code)"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "another JSON type"
}

// kindName names a JSON kind, as jsontext.Decoder.PeekKind reports it.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// check returns why a well-typed event cannot be used, or nil.
func check(e *event) *source.ItemError {
	switch {
	case len(e.kind) > 0 && e.kind != "Event":
		return &source.ItemError{Pointer: "/kind", Reason: source.ReasonUnknownValue,
			Detail: fmt.Sprintf(`"kind" is %q; want "Event".`, clip(e.kind))}
	case len(e.apiVersion) > 0 && !isAuditAPIVersion(e.apiVersion):
		return &source.ItemError{Pointer: "/apiVersion", Reason: source.ReasonUnknownValue,
			Detail: fmt.Sprintf(`"apiVersion" is %q; want "audit.k8s.io/v1".`, clip(e.apiVersion))}
	case blank(e.auditID):
		return &source.ItemError{Pointer: "/auditID", Reason: source.ReasonMissingField,
			Detail: `The event has no "auditID"; the API server gives every event one, and it is the event's dedup key.`}
	case blank(e.stage):
		return &source.ItemError{Pointer: "/stage", Reason: source.ReasonMissingField,
			Detail: `The event has no "stage"; the API server always sends one, such as "ResponseComplete".`}
	case blank(e.verb):
		return &source.ItemError{Pointer: "/verb", Reason: source.ReasonMissingField,
			Detail: `The event has no "verb"; the API server always sends one, such as "create".`}
	}
	return nil
}

// isAuditAPIVersion accepts every version of the audit.k8s.io group: v1
// and the older v1beta1 have the members read here.
func isAuditAPIVersion(v string) bool {
	return strings.HasPrefix(v, "audit.k8s.io/")
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// clip shortens a value quoted in a message: a hostile sender must not
// make the response as large as its request.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
