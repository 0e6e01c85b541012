// Package secretref reads the Secrets that runtime-declared resources
// (ZenSource, ZenOutput) name, without cluster-wide Secret access.
//
// A security tool able to read every Secret in the cluster is a target, so
// there is no Secret informer: each reference is read with a plain GET in
// the referring object's namespace, and kept only a few seconds so that a
// rotated Secret takes effect without a restart. A tenant grants the GET in
// its own namespace; when it has not, the error says exactly which
// RoleBinding to create.
package secretref
