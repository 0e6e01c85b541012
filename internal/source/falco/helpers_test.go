package falco

import (
	"bytes"
	"fmt"

	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
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
	fx       = sourcetest.Fixtures("falco")
	allFiles = []string{shell, attachExec, disallowed, metrics, sidekick}
)

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
