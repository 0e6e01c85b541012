package falco

import (
	"strings"
	"testing"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

func keyOf(t *testing.T, body string) string {
	t.Helper()
	b, err := NewParser(PriorityDebug).Parse([]byte(body), sourcetest.Now)
	if err != nil || len(b.Findings) != 1 {
		t.Fatalf("%s: %+v, %v", body, b, err)
	}
	return b.Findings[0].DedupKey
}

func TestDedupKeyIgnoresWhatChangesEveryTime(t *testing.T) {
	// Occurrences differ in time, the output's time prefix, the pid and
	// evt.time: one key.
	want := keyOf(t, shellAlert(0, "kubecon", "ee97d9c4186f", "sh"))
	if want != "Terminal shell in container/default/kubecon/ee97d9c4186f/sh" {
		t.Fatalf("key %q", want)
	}
	for i := 1; i < 5; i++ {
		if got := keyOf(t, shellAlert(i, "kubecon", "ee97d9c4186f", "sh")); got != want {
			t.Errorf("occurrence %d: key %q; want %q", i, got, want)
		}
	}
}

func TestDedupKeySeparatesWhatDiffers(t *testing.T) {
	cases := []struct {
		name, body string
	}{
		{"base", shellAlert(0, "kubecon", "ee97d9c4186f", "sh")},
		{"other pod", shellAlert(0, "kubecon-2", "ee97d9c4186f", "sh")},
		{"other container", shellAlert(0, "kubecon", "0123456789ab", "sh")},
		{"other process", shellAlert(0, "kubecon", "ee97d9c4186f", "bash")},
		{"other rule", strings.Replace(shellAlert(0, "kubecon", "ee97d9c4186f", "sh"), `"rule":"Terminal shell in container"`, `"rule":"Run shell untrusted"`, 1)},
		{"other namespace", strings.Replace(shellAlert(0, "kubecon", "ee97d9c4186f", "sh"), `"k8s.ns.name":"default"`, `"k8s.ns.name":"shop"`, 1)},
		{"host alert", `{"rule":"Read sensitive file untrusted","priority":"Warning","hostname":"node-a","output_fields":{"container.id":"host","container.name":"host","proc.exepath":"/usr/bin/cat","proc.pid":1}}`},
		{"host alert on another node", `{"rule":"Read sensitive file untrusted","priority":"Warning","hostname":"node-b","output_fields":{"container.id":"host","container.name":"host","proc.exepath":"/usr/bin/cat","proc.pid":1}}`},
		{"host alert, node in evt.hostname", `{"rule":"Read sensitive file untrusted","priority":"Warning","output_fields":{"evt.hostname":"node-c","container.name":"host","proc.exepath":"/usr/bin/cat"}}`},
		{"other executable", `{"rule":"Read sensitive file untrusted","priority":"Warning","hostname":"node-a","output_fields":{"container.id":"host","container.name":"host","proc.exepath":"/usr/bin/less","proc.pid":1}}`},
		{"audit", string(fx.Read(t, disallowed))},
		{"audit, other user", strings.Replace(string(fx.Read(t, disallowed)), `"ka.user.name":"yacht"`, `"ka.user.name":"sailor"`, 1)},
		{"audit, other verb", strings.Replace(string(fx.Read(t, disallowed)), `"ka.verb":"patch"`, `"ka.verb":"delete"`, 1)},
	}
	seen := map[string]string{}
	for _, c := range cases {
		k := keyOf(t, c.body)
		if prev, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %q", c.name, prev, k)
		}
		seen[k] = c.name
	}
}

func TestDedupKeyPrefersNamesAndPaths(t *testing.T) {
	cases := []struct {
		name, fields, key string
	}{
		{"container name over id", `"container.name":"web","container.id":"abc","proc.name":"sh"`, "r/web/sh/h"},
		{"exepath first", `"proc.exepath":"/bin/sh","proc.exe":"sh","proc.name":"sh","proc.cmdline":"sh -c x"`, "r//bin/sh/h"},
		{"exe next", `"proc.exe":"/bin/busybox","proc.name":"sh","proc.cmdline":"sh -c x"`, "r//bin/busybox/h"},
		{"cmdline last", `"proc.cmdline":"sh -c x"`, "r/sh -c x/h"},
		{"<NA> is absent", `"container.name":"<NA>","container.id":"abc","proc.exepath":"<NA>","proc.name":"sh"`, "r/abc/sh/h"},
		{"null is absent", `"container.name":null,"container.id":"abc","proc.exepath":null,"proc.name":"sh"`, "r/abc/sh/h"},
		{"empty is absent", `"container.name":"","container.id":"abc","proc.exepath":"","proc.name":"sh"`, "r/abc/sh/h"},
		{"numbers are absent", `"container.name":5,"proc.name":"sh"`, "r/sh/h"},
		{"pod: no host", `"k8s.ns.name":"ns","k8s.pod.name":"p","proc.name":"sh"`, "r/ns/p/sh"},
		{"<NA> pod: host", `"k8s.ns.name":"<NA>","k8s.pod.name":"<NA>","proc.name":"sh"`, "r/sh/h"},
		{"nothing", ``, "r/h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"rule":"r","priority":"Error","hostname":"h","output_fields":{` + c.fields + `}}`
			if got := keyOf(t, body); got != c.key {
				t.Errorf("key %q; want %q", got, c.key)
			}
		})
	}
}

func TestResource(t *testing.T) {
	cases := []struct {
		name, source, fields string
		want                 *zenv1.ResourceRef
	}{
		{"pod", "syscall", `"k8s.ns.name":"ns","k8s.pod.name":"p"`, &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "p", Namespace: "ns"}},
		{"pod without namespace", "syscall", `"k8s.pod.name":"p"`, &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "p"}},
		{"no pod", "syscall", `"k8s.ns.name":"ns"`, nil},
		{"null pod", "syscall", `"k8s.ns.name":"ns","k8s.pod.name":null`, nil},
		{"<NA> pod", "syscall", `"k8s.ns.name":"<NA>","k8s.pod.name":"<NA>"`, nil},
		{"pod as a number", "syscall", `"k8s.pod.name":7`, nil},
		{"no source", "", `"k8s.ns.name":"ns","k8s.pod.name":"p"`, &zenv1.ResourceRef{APIVersion: "v1", Kind: "Pod", Name: "p", Namespace: "ns"}},
		{"audit secret", k8sAuditSource, `"ka.target.namespace":"ns","ka.target.name":"s","ka.target.resource":"secrets"`, &zenv1.ResourceRef{APIVersion: "v1", Kind: "Secret", Name: "s", Namespace: "ns"}},
		{"audit deployment scale", k8sAuditSource, `"ka.target.namespace":"ns","ka.target.name":"d","ka.target.resource":"deployments","ka.target.subresource":"scale"`, &zenv1.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "d", Namespace: "ns"}},
		{"audit cluster role binding", k8sAuditSource, `"ka.target.name":"admin","ka.target.resource":"clusterrolebindings"`, &zenv1.ResourceRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "admin"}},
		{"audit custom resource", k8sAuditSource, `"ka.target.namespace":"ns","ka.target.name":"w","ka.target.resource":"widgets"`, &zenv1.ResourceRef{Kind: "widgets", Name: "w", Namespace: "ns"}},
		{"audit without a name", k8sAuditSource, `"ka.target.namespace":"ns","ka.target.resource":"pods"`, nil},
		{"audit <NA> name", k8sAuditSource, `"ka.target.name":"<NA>","ka.target.resource":"pods"`, nil},
		{"audit without a resource", k8sAuditSource, `"ka.target.name":"x"`, nil},
		{"audit ignores k8s.*", k8sAuditSource, `"k8s.ns.name":"ns","k8s.pod.name":"p"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"rule":"r","priority":"Error","source":"` + c.source + `","output_fields":{` + c.fields + `}}`
			b, err := NewParser(PriorityDebug).Parse([]byte(body), sourcetest.Now)
			if err != nil || len(b.Findings) != 1 {
				t.Fatalf("%+v, %v", b, err)
			}
			got := b.Findings[0].Resource
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("resource %+v; want %+v", got, c.want)
			}
		})
	}
}

func TestStripTime(t *testing.T) {
	cases := []struct{ in, want string }{
		{"13:44:05.478445995: Critical A shell", "Critical A shell"},
		{"09:15:57.508657000: Warning K8s", "Warning K8s"},
		{"13:44:05: Notice x", "Notice x"},
		{"2023-05-25T13:44:05.478445995+0000: Critical A shell", "Critical A shell"},
		{"2023-05-25T13:44:05.478445995+00:00: Critical A shell", "Critical A shell"},
		{"2023-05-25T13:44:05Z: Critical A shell", "Critical A shell"},
		{"13:44:05.478445995: ", ""},
		{"This is a test from falcosidekick", "This is a test from falcosidekick"},
		{"13:44:05.478445995 Critical no colon", "13:44:05.478445995 Critical no colon"},
		{"13:44:05.: x", "13:44:05.: x"},
		{"1:44:05.478445995: x", "1:44:05.478445995: x"},
		{"13:44:05.478445995:", "13:44:05.478445995:"},
		{"Critical 13:44:05.478445995: late", "Critical 13:44:05.478445995: late"},
		{"2023-05-25 13:44:05: x", "2023-05-25 13:44:05: x"},
		{"", ""},
	}
	for _, c := range cases {
		if got := stripTime(c.in); got != c.want {
			t.Errorf("stripTime(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestDetectedAt(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"2023-05-25T13:44:05.478445995Z", "2023-05-25T13:44:05.478445995Z"},
		{"2001-01-01T01:10:00Z", "2001-01-01T01:10:00Z"},
		{"2001-01-01T03:10:00+02:00", "2001-01-01T01:10:00Z"},
		{"", "2026-05-04T03:02:01Z"},
		{"yesterday", "2026-05-04T03:02:01Z"},
		{"1685022245478445995", "2026-05-04T03:02:01Z"},
		{"0000-01-01T00:00:00Z", "2026-05-04T03:02:01Z"},
		{"9999-12-31T23:59:59-10:00", "2026-05-04T03:02:01Z"},
	}
	for _, c := range cases {
		got := detectedAt(c.in, sourcetest.Now).Format("2006-01-02T15:04:05.999999999Z07:00")
		if got != c.want {
			t.Errorf("detectedAt(%q) = %s; want %s", c.in, got, c.want)
		}
	}
}
