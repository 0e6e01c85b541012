// Package server is the daemon's one HTTP server: health and readiness
// probes and Prometheus metrics, with the webhook intake mounted beside them.
package server
