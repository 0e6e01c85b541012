// Package v1 holds the zen.kube-zen.io/v1 API: ZenAgentEvent, the one
// normalized record every source's findings are stored as.
//
// +kubebuilder:object:generate=true
// +groupName=zen.kube-zen.io
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "zen.kube-zen.io", Version: "v1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// ZenAgentEventResource is the plural resource name, as used in discovery and RBAC.
const ZenAgentEventResource = "zenagentevents"

// ZenAgentEventGroupResource is the group-qualified resource, which is also
// the name of the CustomResourceDefinition.
var ZenAgentEventGroupResource = schema.GroupResource{Group: GroupVersion.Group, Resource: ZenAgentEventResource}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ZenAgentEvent{}, &ZenAgentEventList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
