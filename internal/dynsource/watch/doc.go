// Package watch runs the watch sources of ZenSources: for each, a dynamic
// informer on the kind the source names, resolved through discovery, whose
// objects are mapped into findings. It reuses the pull sources' machinery
// (watcher.Watcher: a work queue, a Tracker that turns versions into
// occurrences and resolutions, and a rebuild from the stored events at
// start), so a watch source survives a restart or a failover the way the
// built-in pull sources do.
//
// A source in zen-watcher's own namespace may watch every namespace
// (allNamespaces) and cluster-scoped kinds; any other source watches only
// its own namespace, since its namespace is its tenant. A watch sees only
// what the daemon's RBAC lets it list and watch: a refusal shows as
// Ready=False, reason Forbidden, and the informer keeps retrying, so a
// grant given later takes effect by itself.
//
// The informer keeps no watched object: each object is mapped as it
// arrives and the cache holds only its identity and its findings, so a
// watch on a busy kind (Events) costs the memory of its findings, not of
// its objects.
package watch
