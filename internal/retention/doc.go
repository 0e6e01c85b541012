// Package retention is the garbage collector for ZenAgentEvents. Every
// event lives in etcd, which has a hard size budget, so the collector
// deletes events whose last activity is older than a TTL and, when the
// survivors still exceed a cap, deletes the least useful ones first:
// Resolved before Open, low severity before high, old before new.
//
// A run is one paginated scan, then the deletes. The scan holds at most one
// page of full objects and keeps only a compact record per event, so memory
// stays bounded with tens of thousands of events. Every delete carries
// UID and resourceVersion preconditions: an event that changed after the
// scan (a new occurrence, a state change) is left alone rather than
// deleted on stale information. Several replicas may run the collector at
// once; the preconditions make their overlapping deletes harmless.
package retention
