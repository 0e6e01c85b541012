package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Result is the outcome of one check.
type Result struct {
	// OK is true when the check passed.
	OK bool
	// Message says what was found, e.g. "3/3 pods ready".
	Message string
	// Fix says what to do when the check failed.
	Fix string
}

// Check is one named check.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// Pass and Fail build results.
func Pass(format string, a ...any) Result {
	return Result{OK: true, Message: fmt.Sprintf(format, a...)}
}

// Fail is a failed result with its fix.
func Fail(fix, format string, a ...any) Result {
	return Result{Message: fmt.Sprintf(format, a...), Fix: fix}
}

// Run runs the checks in order, writes one line each (and the fix under a
// failed one) and reports whether all passed.
func Run(ctx context.Context, w io.Writer, checks []Check) bool {
	all := true
	for _, c := range checks {
		r := c.Run(ctx)
		mark := "✔"
		if !r.OK {
			mark, all = "✘", false
		}
		fmt.Fprintf(w, "%s %s: %s\n", mark, c.Name, oneLine(r.Message))
		if !r.OK && r.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", oneLine(r.Fix))
		}
	}
	return all
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
