// Package v1alpha1 holds the zen.kube-zen.io/v1alpha1 API: the resources
// people declare to extend zen-watcher at runtime, ZenSource (a new intake
// or watch) and ZenOutput (a delivery target). Both are namespaced: the
// namespace is the tenant, and a resource's reach follows from it.
//
// +kubebuilder:object:generate=true
// +groupName=zen.kube-zen.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "zen.kube-zen.io", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme;
	// each kind's file registers itself in an init function.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
