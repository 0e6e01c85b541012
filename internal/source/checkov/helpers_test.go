package checkov

import (
	"errors"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// The shared fixtures, by file name.
const (
	single = "kubernetes_single_framework.json"
	multi  = "multi_framework_list.json"
)

var fixedTime = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return fixtures.MustRead(tb, "checkov/"+name)
}

// knownReasons are the reasons Parse may give; anything else is a bug.
var knownReasons = map[string]bool{
	source.ReasonInvalidJSON:  true,
	source.ReasonUnknownShape: true,
	source.ReasonWrongType:    true,
}

func parseErrorReason(tb testing.TB, err error) string {
	tb.Helper()
	var pe *source.ParseError
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *source.ParseError", err, err)
	}
	return pe.Reason
}
