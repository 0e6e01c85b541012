package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// Service names where zen-watcher runs in the cluster.
type Service struct {
	Namespace, Name string
}

// Pods lists the pods behind the Service, by its selector.
func (s Service) Pods(ctx context.Context, cs kubernetes.Interface) (*corev1.Service, []corev1.Pod, error) {
	svc, err := cs.CoreV1().Services(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("finding Service %s/%s: %w", s.Namespace, s.Name, err)
	}
	if len(svc.Spec.Selector) == 0 {
		return svc, nil, fmt.Errorf("Service %s/%s has no selector", s.Namespace, s.Name)
	}
	pods, err := cs.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return svc, nil, fmt.Errorf("listing the pods of Service %s/%s: %w", s.Namespace, s.Name, err)
	}
	return svc, pods.Items, nil
}

// PodReady reports whether p runs and its Ready condition is true.
func PodReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Forward opens a port-forward to the first ready pod behind the Service,
// on the pod port its first port targets, and returns the local URL and a
// function that closes the forward. scheme is http or https.
func (s Service) Forward(ctx context.Context, cfg *rest.Config, scheme string) (string, func(), error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("building a client: %w", err)
	}
	svc, pods, err := s.Pods(ctx, cs)
	if err != nil {
		return "", nil, err
	}
	var pod *corev1.Pod
	for i := range pods {
		if PodReady(&pods[i]) {
			pod = &pods[i]
			break
		}
	}
	if pod == nil {
		return "", nil, fmt.Errorf("no ready pod behind Service %s/%s to forward to", s.Namespace, s.Name)
	}
	if len(svc.Spec.Ports) == 0 {
		return "", nil, fmt.Errorf("Service %s/%s has no ports", s.Namespace, s.Name)
	}
	port, err := targetPort(svc.Spec.Ports[0], pod)
	if err != nil {
		return "", nil, err
	}
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("port-forward transport: %w", err)
	}
	url := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, url)
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, fmt.Errorf("port-forward to %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	failed := make(chan error, 1)
	go func() { failed <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-failed:
		return "", nil, fmt.Errorf("port-forward to %s/%s: %w", pod.Namespace, pod.Name, err)
	case <-ctx.Done():
		close(stop)
		return "", nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		return "", nil, fmt.Errorf("port-forward to %s/%s: no local port: %w", pod.Namespace, pod.Name, err)
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[0].Local), func() { close(stop) }, nil
}

// targetPort resolves a Service port's targetPort on pod: a number, or a
// container port's name.
func targetPort(sp corev1.ServicePort, pod *corev1.Pod) (int, error) {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.Int && tp.IntVal != 0:
		return int(tp.IntVal), nil
	case tp.Type == intstr.Int:
		return int(sp.Port), nil
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == tp.StrVal {
				return int(p.ContainerPort), nil
			}
		}
	}
	return 0, fmt.Errorf("pod %s/%s has no port named %q", pod.Namespace, pod.Name, tp.StrVal)
}
