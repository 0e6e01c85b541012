// Package dynsource runs ZenSources: the controller that turns each one
// into a webhook endpoint at /api/v1/sources/{namespace}/{name} on every
// replica, or into a watch on the leader (package watch), and reports its
// Ready condition and counters.
//
// Status ownership: every replica serves every webhook source, so every
// replica counts items. Counters are written as increments: each replica
// adds what it counted since its last write to the stored status, at most
// every StatusInterval, with an optimistic update on the resourceVersion,
// so replicas never overwrite each other's counts and a conflict only
// delays a write. The condition, observedGeneration, type and endpoint are
// written by the leader alone, which also runs the watch sources: two
// replicas that briefly see a Secret differently never flap the condition.
package dynsource
