// Package daemon is how kubectl zen reaches zen-watcher's HTTP server:
// at a URL the user gives, or through a port-forward to a ready pod behind
// the zen-watcher Service (client-go's portforward, as kubectl
// port-forward does). It posts webhook payloads, signed with the intake's
// own HMAC scheme when a secret is given, and reads readiness, tool
// detection and the build version.
package daemon
