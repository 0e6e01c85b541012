// Package clusterid names the cluster zen-watcher runs in, for the outputs
// that tell a receiver where a finding comes from (the source of a
// webhook's CloudEvents, the cluster in a Slack message): CLUSTER_NAME
// when it is set, else the UID of the kube-system namespace. That UID is
// made when the cluster is, is the same for every replica, survives
// restarts, upgrades and reinstalls of zen-watcher, and changes only with
// a new cluster: the usual stand-in for a cluster id, which Kubernetes
// does not have. Reading it needs get on namespaces/kube-system, which the
// chart grants and nothing else does.
package clusterid
