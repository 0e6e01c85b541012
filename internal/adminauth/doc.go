// Package adminauth guards the admin API (/api/v1/dlq, /api/v1/dlq/replay,
// /api/v1/tools) and, with METRICS_AUTH=kubernetes, /metrics, with the
// cluster's own identities and RBAC: a TokenReview authenticates the
// bearer token and a SubjectAccessReview authorizes the call.
//
// Admin calls are authorized with resource attributes, in group
// zen.kube-zen.io and zen-watcher's own namespace, on resources that exist
// only for this purpose (deadletters, deadletters/replay, tools). Not with
// non-resource URLs: the default system:discovery ClusterRole grants get on
// /api/* to every authenticated user, so any ServiceAccount would pass, as
// kube-rbac-proxy found before us. /metrics is authorized as the API
// server's own metrics are, by get on the non-resource URL /metrics.
//
// The reviews are plain client-go calls with an expiring LRU cache each:
// answers are reused for a few seconds, so
// a scraper or a script polling the DLQ costs the API server about one
// review pair per cacheTTL, not one per call. A webhook token is refused
// before any review, so it never leaves the daemon.
package adminauth
