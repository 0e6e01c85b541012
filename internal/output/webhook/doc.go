// Package webhook is the signed-webhook output: it sends findings as
// CloudEvents 1.0 in structured JSON mode, signed with the HMAC scheme
// zen-watcher's own intake verifies, so that one zen-watcher can feed
// another (a hub) and any CloudEvents receiver can take them too.
//
// One event per finding and trigger:
//
//   - type: io.kube-zen.finding.created, .escalated or .resolved;
//   - source: the sending cluster's identity (CLUSTER_NAME);
//   - subject: the ZenAgentEvent's namespace/name;
//   - id: a hash of the finding (its UID), the trigger and the occurrence
//     (nothing for created, the severity and power-of-ten count bucket for
//     escalated, resolvedAt for resolved). A redelivery of the same
//     occurrence after a retry, a restart or a failover carries the same
//     id, so a receiver dedups on (source, id) as the specification
//     intends;
//   - time: when the occurrence happened (firstSeen, lastSeen, resolvedAt);
//   - data (application/json): the ZenAgentEvent, without the server's
//     bookkeeping (managedFields, resourceVersion, annotations).
//
// By default each event is its own request, Content-Type
// application/cloudevents+json, which every CloudEvents receiver reads.
// With Batch, one request carries many events as a JSON array,
// application/cloudevents-batch+json (the specification's batched mode),
// cut so no request exceeds MaxBodyBytes; a zen-watcher hub reads both.
//
// Every request is signed anew (a fresh timestamp and nonce) and carries
// X-Request-Id, a hash of its body: a retry of the same body is answered
// from the receiving zen-watcher's idempotency cache instead of being
// recorded twice, and a body that changed between attempts (the finding's
// count grew) is a new request, never a "request id reused" conflict.
//
// Answers are classified by httpsend; in addition a zen-watcher receiver's
// 409 request-id-in-progress (the previous attempt is still being stored)
// is retried, since it only means "not yet".
package webhook
