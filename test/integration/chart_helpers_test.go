package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// applyObjects server-side applies every object as `helm install` would
// create it, or only validates them (dryRun), skipping the kinds in skip.
func applyObjects(t *testing.T, rc *rest.Config, objs []*unstructured.Unstructured, dryRun bool, skipGroups ...string) {
	t.Helper()
	disc := discovery.NewDiscoveryClientForConfigOrDie(rc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	dyn := dynamic.NewForConfigOrDie(rc)
	opts := metav1.ApplyOptions{FieldManager: "helm", Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if slices.Contains(skipGroups, gvk.Group) {
			continue
		}
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		var res dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			res = dyn.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		if _, err := res.Apply(context.Background(), u.GetName(), u, opts); err != nil {
			t.Fatalf("server-side apply %s %s/%s (dry run %v): %v", u.GetKind(), u.GetNamespace(), u.GetName(), dryRun, err)
		}
	}
}

func chartDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == "Deployment" {
			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
				t.Fatal(err)
			}
			return &d
		}
	}
	t.Fatal("the chart rendered no Deployment")
	return nil
}

// podEnvironment turns the Deployment's pod into a process environment:
// the env list as the kubelet would resolve it, with every mounted Secret
// and ConfigMap written under root and the variables that name a mounted
// file pointed there.
func podEnvironment(t *testing.T, cs kubernetes.Interface, d *appsv1.Deployment, root string) []string {
	t.Helper()
	ctx := context.Background()
	pod, c := d.Spec.Template.Spec, d.Spec.Template.Spec.Containers[0]
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	var mounts []string
	for _, m := range c.VolumeMounts {
		v := volumes[m.Name]
		files := map[string][]byte{}
		var items []corev1.KeyToPath
		switch {
		case v.Secret != nil:
			s, err := cs.CoreV1().Secrets(d.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("volume %s: %v", m.Name, err)
			}
			files, items = s.Data, v.Secret.Items
		case v.ConfigMap != nil:
			cm, err := cs.CoreV1().ConfigMaps(d.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("volume %s: %v", m.Name, err)
			}
			for k, s := range cm.Data {
				files[k] = []byte(s)
			}
			items = v.ConfigMap.Items
		default:
			t.Fatalf("volume %s: unexpected source %+v", m.Name, v.VolumeSource)
		}
		dir := filepath.Join(root, m.MountPath)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			for k := range files {
				items = append(items, corev1.KeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			data, ok := files[it.Key]
			if !ok {
				t.Fatalf("volume %s: key %s missing", m.Name, it.Key)
			}
			writeFile(t, filepath.Join(dir, it.Path), data)
		}
		mounts = append(mounts, m.MountPath)
	}
	var env []string
	for _, e := range c.Env {
		value := e.Value
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			value = d.Namespace
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			value = d.Name + "-test"
		case e.ValueFrom != nil:
			t.Fatalf("%s: value source %+v not supported by the test", e.Name, e.ValueFrom)
		}
		for _, mp := range mounts {
			if strings.HasPrefix(value, mp+"/") {
				value = filepath.Join(root, value)
			}
		}
		env = append(env, e.Name+"="+value)
	}
	return env
}

// impersonatingKubeconfig writes a kubeconfig that acts as user, with
// groups, through the test admin's credentials.
func impersonatingKubeconfig(t *testing.T, admin []byte, path, user string, groups ...string) {
	t.Helper()
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate, a.ImpersonateGroups = user, groups
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// chartDaemon is the daemon binary running as the chart's pod would.
type chartDaemon struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan error
}

func startChartDaemon(t *testing.T, env []string, args ...string) *chartDaemon {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &chartDaemon{cmd: exec.Command(bin, args...), logs: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", p.logs)
		}
	})
	return p
}

// stop sends SIGTERM, as the kubelet does, and returns the exit error.
func (p *chartDaemon) stop(t *testing.T) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(60 * time.Second):
		t.Error("daemon did not exit after SIGTERM")
		_ = p.cmd.Process.Kill()
		return <-p.done
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// issueServing returns a serving certificate for dnsNames and 127.0.0.1.
func (ca *testCA) issueServing(t *testing.T, dnsNames ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: dnsNames[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: dnsNames, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// postJSON posts body to url with c, with a bearer token unless token is
// empty, and returns the answer's status.
func postJSON(t *testing.T, c *http.Client, url, token string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func portString(p int) string { return strconv.Itoa(p) }

// apiServerFlag reads a flag from the command line of the kube-apiserver
// process that serves rc, as the operating system shows it: what the
// server really runs with, not what the test asked for.
func apiServerFlag(t *testing.T, rc *rest.Config, flag string) string {
	t.Helper()
	u, err := url.Parse(rc.Host)
	if err != nil {
		t.Fatal(err)
	}
	port := "--secure-port=" + u.Port()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range cmdlines {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if !strings.HasSuffix(args[0], "kube-apiserver") || !slices.Contains(args, port) {
			continue
		}
		for _, a := range args[1:] {
			if v, ok := strings.CutPrefix(a, "--"+flag+"="); ok {
				return v
			}
		}
		return ""
	}
	t.Fatalf("no kube-apiserver process with %s", port)
	return ""
}
