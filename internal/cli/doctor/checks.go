package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/cli/daemon"
)

// Env is what the checks need.
type Env struct {
	Kube    kubernetes.Interface
	APIExt  apiextclient.Interface
	Service daemon.Service
	// Daemon reaches zen-watcher; nil when it could not be reached, with
	// DaemonErr saying why.
	Daemon    *daemon.Client
	DaemonErr error
	// Namespace is where the user reads findings; "" for all namespaces.
	Namespace string
	// Webhook is the path the webhook check posts to.
	Webhook string
	// Fixes name the install commands in fix lines.
	CRDFix string
}

// Checks returns the checks in the order they run.
func Checks(e *Env) []Check {
	return []Check{
		{"CRD", e.crd},
		{"pods", e.pods},
		{"leader", e.leader},
		{"daemon", e.ready},
		{"tools", e.tools},
		{"webhook", e.webhook},
		{"access", e.access},
	}
}

// crdFields are spec fields this plugin reads; a CRD without them is
// older than the plugin.
var crdFields = []string{"rule", "title"}

func (e *Env) crd(ctx context.Context) Result {
	name := zenv1.ZenAgentEventResource + "." + zenv1.GroupVersion.Group
	crd, err := e.APIExt.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return Fail(e.CRDFix, "%s is not installed", name)
	case err != nil:
		return Fail("check that your kubeconfig can get customresourcedefinitions", "reading %s: %v", name, err)
	}
	var v *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == zenv1.GroupVersion.Version && crd.Spec.Versions[i].Served {
			v = &crd.Spec.Versions[i]
		}
	}
	if v == nil {
		return Fail(e.CRDFix, "%s does not serve %s", name, zenv1.GroupVersion.Version)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			established = true
		}
	}
	if !established {
		return Fail("wait a few seconds, then: kubectl describe crd "+name, "%s is not established yet", name)
	}
	if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
		spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
		for _, f := range crdFields {
			if _, ok := spec.Properties[f]; !ok {
				return Fail(e.CRDFix, "%s %s is older than this plugin: no spec.%s", name, v.Name, f)
			}
		}
	}
	return Pass("%s %s installed and established", name, v.Name)
}

func (e *Env) pods(ctx context.Context) Result {
	svc := e.Service
	_, pods, err := svc.Pods(ctx, e.Kube)
	if err != nil {
		return Fail(fmt.Sprintf("install zen-watcher in namespace %s, or name its Service with --zen-namespace and --service", svc.Namespace), "%v", err)
	}
	if len(pods) == 0 {
		return Fail(fmt.Sprintf("kubectl -n %s get deploy,rs,events", svc.Namespace), "no pods behind Service %s/%s", svc.Namespace, svc.Name)
	}
	var notReady []string
	for i := range pods {
		if !daemon.PodReady(&pods[i]) {
			notReady = append(notReady, pods[i].Name+" ("+string(pods[i].Status.Phase)+")")
		}
	}
	if len(notReady) > 0 {
		return Fail(fmt.Sprintf("kubectl -n %s describe pod %s; kubectl -n %s logs %s", svc.Namespace, strings.Fields(notReady[0])[0], svc.Namespace, strings.Fields(notReady[0])[0]),
			"%d/%d pods ready; not ready: %s", len(pods)-len(notReady), len(pods), strings.Join(notReady, ", "))
	}
	return Pass("%d/%d pods running and ready", len(pods), len(pods))
}

func (e *Env) leader(ctx context.Context) Result {
	l, err := e.Kube.CoordinationV1().Leases(e.Service.Namespace).Get(ctx, e.Service.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return Pass("no Lease %s/%s: leader election is off, every replica writes", e.Service.Namespace, e.Service.Name)
	case err != nil:
		return Fail("grant get on leases.coordination.k8s.io in "+e.Service.Namespace, "reading Lease: %v", err)
	}
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	if holder == "" {
		return Fail(fmt.Sprintf("kubectl -n %s logs -l <zen-watcher pods>: no replica holds the Lease", e.Service.Namespace), "Lease %s/%s has no holder", e.Service.Namespace, e.Service.Name)
	}
	return Pass("Lease %s/%s held by %s", e.Service.Namespace, e.Service.Name, holder)
}

func (e *Env) ready(ctx context.Context) Result {
	if e.Daemon == nil {
		return Fail("check the pods above, or pass --url", "cannot reach zen-watcher: %v", e.DaemonErr)
	}
	r, err := e.Daemon.Ready(ctx)
	if err != nil {
		return Fail("check that zen-watcher runs and --url points at it", "%v", err)
	}
	if !r.Ready {
		var why []string
		for k, v := range r.Missing {
			why = append(why, k+": "+v)
		}
		slices.Sort(why)
		return Fail("kubectl logs the zen-watcher pods; each missing condition names its cause", "not ready: %s", strings.Join(why, "; "))
	}
	return Pass("ready at %s", e.Daemon.Base)
}

func (e *Env) tools(ctx context.Context) Result {
	if e.Daemon == nil {
		return Fail("fix the daemon check first", "zen-watcher not reachable")
	}
	if e.Daemon.AdminToken == "" {
		// /api/v1/tools takes only a Kubernetes token; without one the
		// readiness above is all there is to know.
		return Pass("not listed: /api/v1/tools needs a Kubernetes token (--admin-token-file, or a token in the kubeconfig)")
	}
	tools, err := e.Daemon.Tools(ctx)
	var se *daemon.StatusError
	if errors.As(err, &se) && (se.Answer.Status == http.StatusUnauthorized || se.Answer.Status == http.StatusForbidden) {
		return Fail("grant list on tools.zen.kube-zen.io in zen-watcher's namespace, or pass another --admin-token-file",
			"/api/v1/tools refused the Kubernetes token (%d)", se.Answer.Status)
	}
	if err != nil {
		return Fail("check the daemon's logs", "%v", err)
	}
	if len(tools) == 0 {
		return Pass("no tools detected")
	}
	parts := make([]string, 0, len(tools))
	for _, t := range tools {
		p := t.Tool + " " + t.State
		if t.Active {
			p += " (source on)"
		}
		parts = append(parts, p)
	}
	return Pass("%s", strings.Join(parts, ", "))
}

// probe is a payload no parser accepts: the webhook check must never store
// a finding, only learn whether the intake answers and takes the
// credentials.
const probe = `{"kubectl-zen-doctor":"probe"}`

func (e *Env) webhook(ctx context.Context) Result {
	if e.Daemon == nil {
		return Fail("fix the daemon check first", "zen-watcher not reachable")
	}
	a, err := e.Daemon.Post(ctx, e.Webhook, []byte(probe))
	if err != nil {
		return Fail("check the daemon's logs", "%v", err)
	}
	switch {
	case a.Status == http.StatusUnauthorized || a.Status == http.StatusForbidden:
		return Fail("pass the webhook's token with --token-file or its HMAC secret with --hmac-secret-file",
			"%s refused the credentials (%d)", e.Webhook, a.Status)
	case a.Status == http.StatusNotFound:
		return Fail("enable the webhook in zen-watcher's configuration", "%s is not served (404)", e.Webhook)
	case a.Status >= 500:
		return Fail("check the daemon's logs", "%s answered %d: %s", e.Webhook, a.Status, strings.TrimSpace(string(a.Body)))
	}
	return Pass("%s reachable, credentials accepted (probe answered %d)", e.Webhook, a.Status)
}

func (e *Env) access(ctx context.Context) Result {
	ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: e.Namespace, Verb: "list", Group: zenv1.GroupVersion.Group, Resource: zenv1.ZenAgentEventResource,
		},
	}}
	r, err := e.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{})
	if err != nil {
		return Fail("check your kubeconfig", "SelfSubjectAccessReview: %v", err)
	}
	where := "in namespace " + e.Namespace
	if e.Namespace == "" {
		where = "in all namespaces"
	}
	if !r.Status.Allowed {
		return Fail("ask for a Role granting list on zenagentevents.zen.kube-zen.io", "you cannot list findings %s", where)
	}
	return Pass("you can list findings %s", where)
}
