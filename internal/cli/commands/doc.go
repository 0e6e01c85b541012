// Package commands wires kubectl zen's cobra commands: the root with
// kubectl's standard flags (cli-runtime's ConfigFlags), and get, summary,
// describe, tail, send, doctor, version and completion on top of the
// query, render, daemon and doctor packages.
package commands
