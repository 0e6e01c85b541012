// Package leader decides which work runs on one elected replica and which on
// every replica. The election itself is controller-runtime's manager over a
// coordination.k8s.io/v1 Lease; this package supplies the Lease lock with
// the replica's identity, the runnables that tell the manager where each
// piece of work belongs, the Gate that stops leader-only work the moment
// shutdown begins, and the metrics that say who leads.
//
// Leader-only work is what would count twice if two replicas did it: the
// pull sources, with their trackers, tool detection and retention. Webhooks
// and the writer run everywhere, because deterministic names and optimistic
// concurrency make concurrent writers of one event safe.
package leader
