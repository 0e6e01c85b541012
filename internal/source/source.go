package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/kube-zen/zen-watcher/internal/finding"
)

// Submitter accepts findings; the pipeline is one.
type Submitter interface {
	Submit(ctx context.Context, findings ...finding.Finding) error
}

// Reasons a payload is refused, as the reason label of
// zen_watcher_source_errors_total.
const (
	ReasonInvalidJSON  = "invalid-json"
	ReasonUnknownShape = "unknown-shape"
	ReasonWrongType    = "wrong-type"
	ReasonNoPayload    = "no-payload"
	// ReasonMissingField: a member the format requires is absent or empty.
	ReasonMissingField = "missing-field"
	// ReasonUnknownValue: a member holds a word the format does not define,
	// such as an unknown Falco priority.
	ReasonUnknownValue = "unknown-value"
)

// ParseError is a payload a parser refused, with a reason fit for a metric
// label and the underlying error for people.
type ParseError struct {
	Reason string
	Err    error
}

func (e *ParseError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// Errorf builds a ParseError.
func Errorf(reason, format string, args ...any) error {
	return &ParseError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// ReasonOf returns the reason of a ParseError in err's chain, or "internal".
func ReasonOf(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "internal"
}
