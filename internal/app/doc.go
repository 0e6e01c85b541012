// Package app wires the daemon together: HTTP server, cluster connection,
// caches and, later, sources and pipeline. Tests run the whole daemon
// in-process through Run.
package app
