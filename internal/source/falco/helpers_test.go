package falco

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/test/fixtures"
)

// The shared fixtures, by file name.
const (
	shell      = "syscall_terminal_shell_in_container.json"
	attachExec = "k8saudit_attach_exec_pod.json"
	disallowed = "k8saudit_disallowed_user_403.json"
	metrics    = "internal_metrics_snapshot.json"
	sidekick   = "falcosidekick_test_input.json"
)

var (
	fixedTime = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	allFiles  = []string{shell, attachExec, disallowed, metrics, sidekick}
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return fixtures.MustRead(tb, "falco/"+name)
}

func parseErrorReason(tb testing.TB, err error) string {
	tb.Helper()
	var pe *source.ParseError
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *source.ParseError", err, err)
	}
	return pe.Reason
}

// accounted fails unless every item of b is a finding, a drop or a
// rejection, and rejections are in body order.
func accounted(tb testing.TB, b source.Batch) {
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

// shellAlert is the shell fixture's alert with the members that change
// from one occurrence to the next set from i, and pod, container and
// process as given.
func shellAlert(i int, pod, container, proc string) string {
	return fmt.Sprintf(`{"hostname":"falco-xczjd","output":"13:44:%02d.%09d: Critical A shell was spawned in a container with an attached terminal (user=root k8s.pod=%s container=%s shell=%s pid=%d)",`+
		`"priority":"Critical","rule":"Terminal shell in container","source":"syscall","tags":["container","mitre_execution","shell"],`+
		`"time":"2023-05-25T13:44:%02d.%09dZ","output_fields":{"container.id":%q,"container.image.repository":"docker.io/library/alpine",`+
		`"evt.time":%d,"k8s.ns.name":"default","k8s.pod.name":%q,"proc.cmdline":"sh -c clear; (bash || ash || sh)","proc.name":%q,`+
		`"proc.pid":%d,"proc.pname":"runc","proc.tty":34816,"user.loginuid":-1,"user.name":"root"}}`,
		i%60, i*7919, pod, container, proc, 1000+i, i%60, i*7919, container, 1685022245478445995+int64(i), pod, proc, 1000+i)
}

// ndjson joins alerts one per line.
func ndjson(alerts ...string) []byte {
	var b bytes.Buffer
	for _, a := range alerts {
		b.WriteString(a)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
