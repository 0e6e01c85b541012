// Package cli holds nothing itself: its sub-packages are the parts of the
// kubectl zen plugin, one concept each. query selects and orders findings,
// render prints them, daemon talks to zen-watcher's HTTP endpoints, doctor
// runs the health checks, and commands wires them into cobra commands.
package cli
