package leader

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

// The records come through the same logr bridge the manager logs with.
func TestReleaseLogHandlerRewritesOnlyTheShutdownRelease(t *testing.T) {
	var buf bytes.Buffer
	log := logr.FromSlogHandler(ReleaseLogHandler(slog.NewJSONHandler(&buf, nil))).WithValues("component", "manager")

	log.Error(errors.New("leader election lost"), "error received after stop sequence was engaged")
	log.Error(errors.New("etcdserver: request timed out"), "error received after stop sequence was engaged")
	log.Error(errors.New("leader election lost"), "problem running manager")
	log.Info("Stopping and waiting for leader election runnables")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 records, got %d:\n%s", len(lines), buf.String())
	}
	want := []string{
		`"level":"INFO","msg":"released the Lease at shutdown","component":"manager"`,
		`"level":"ERROR","msg":"error received after stop sequence was engaged","component":"manager","err":"etcdserver: request timed out"`,
		`"level":"ERROR","msg":"problem running manager"`,
		`"level":"INFO","msg":"Stopping and waiting for leader election runnables"`,
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("record %d: %s\nwant it to contain %s", i, lines[i], w)
		}
	}
}
