package sourcetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// Reason returns the reason of err, which must be a *source.ParseError.
func Reason(tb testing.TB, err error) string {
	tb.Helper()
	var pe *source.ParseError
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *source.ParseError", err, err)
	}
	return pe.Reason
}

// CheckReason fails unless err is a *source.ParseError with one of the
// allowed reasons: a parser giving any other is a bug.
func CheckReason(tb testing.TB, err error, allowed ...string) {
	tb.Helper()
	if reason := Reason(tb, err); !slices.Contains(allowed, reason) {
		tb.Fatalf("unexpected reason %q: %v", reason, err)
	}
}

// Accounted fails unless every item of b is a finding, a drop or a
// rejection, and rejections are in body order.
func Accounted(tb testing.TB, b source.Batch) {
	tb.Helper()
	n := len(b.Findings) + len(b.Rejected)
	for _, c := range b.Dropped {
		n += c
	}
	if n != b.Items {
		tb.Fatalf("%d items but %d findings, %v dropped, %d rejected", b.Items, len(b.Findings), b.Dropped, len(b.Rejected))
	}
	last := -1
	for _, r := range b.Rejected {
		if r.Index <= last || r.Index >= b.Items {
			tb.Fatalf("rejection index %d out of order or range (items %d): %+v", r.Index, b.Items, b.Rejected)
		}
		last = r.Index
	}
}

// EmptyBatch fails unless b is the zero Batch, as a refused body's must be.
func EmptyBatch(tb testing.TB, b source.Batch) {
	tb.Helper()
	if b.Items != 0 || b.Findings != nil || b.Dropped != nil || b.Rejected != nil {
		tb.Fatalf("a batch with an error: %+v", b)
	}
}

// CheckFinding says what is wrong with a finding a parser made of any
// input, or nil: it has a key, a severity on the scale, a resource with a
// kind and a name when it has one, and a time the API server can store.
func CheckFinding(f finding.Finding) error {
	switch {
	case f.DedupKey == "":
		return fmt.Errorf("finding without a key: %+v", f)
	case finding.Rank(f.Severity) < 0:
		return fmt.Errorf("severity %q off the scale", f.Severity)
	case f.Resource != nil && (f.Resource.Kind == "" || f.Resource.Name == ""):
		return fmt.Errorf("resource with an empty kind or name: %+v", f.Resource)
	}
	if y := f.DetectedAt.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("DetectedAt %v cannot be written", f.DetectedAt)
	}
	return nil
}

// SameAfterStrip fails unless read makes of strip(u) what it made of u:
// r and err. strip is a package's informer transform, which must drop only
// what read never looks at.
func SameAfterStrip[R any](tb testing.TB, u *unstructured.Unstructured, strip func(any) (any, error),
	read func(*unstructured.Unstructured) (R, error), r R, err error) {
	tb.Helper()
	s, _ := strip(u)
	r2, err2 := read(s.(*unstructured.Unstructured))
	if (err == nil) != (err2 == nil) || !reflect.DeepEqual(r, r2) {
		tb.Fatalf("Strip changed the outcome:\n%+v, %v\n%+v, %v", r, err, r2, err2)
	}
}
