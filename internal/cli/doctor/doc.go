// Package doctor runs kubectl zen doctor's checks in order — the CRD, the
// pods, the leader Lease, the daemon's readiness and tools, the webhook,
// the user's own access — and reports each as one pass or fail line with
// the fix. A check that cannot run because an earlier one failed says so
// rather than piling up unrelated errors.
package doctor
