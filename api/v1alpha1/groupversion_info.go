// Package v1alpha1 holds the zen.kube-zen.io/v1alpha1 API: the resources
// people declare to extend zen-watcher at runtime, ZenSource (a new intake
// or watch) and ZenOutput (a delivery target). Both are namespaced: the
// namespace is the tenant, and a resource's reach follows from it.
//
// +kubebuilder:object:generate=true
// +groupName=zen.kube-zen.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "zen.kube-zen.io", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// knownTypes are filled by each kind's file, so that adding a kind touches
// only its own file. The package depends on apimachinery alone: an API
// package should be cheap to import.
var knownTypes []runtime.Object

func register(objs ...runtime.Object) { knownTypes = append(knownTypes, objs...) }

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
