// Package integration tests zen-watcher against a real kube-apiserver and
// etcd, started by envtest from the binaries `make tools` builds into
// bin/k8s. Nothing here is faked.
package integration
