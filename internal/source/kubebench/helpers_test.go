package kubebench

import (
	"errors"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// The shared fixtures, by file name.
const (
	withTotals = "result_with_totals.json"
	noTotals   = "result_no_totals.json"
	fullRun    = "full_run_cis-1.6_wg-policy-sample.json"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return fixtures.MustRead(tb, "kube-bench/"+name)
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
