// Package app wires the daemon together and hands its parts to
// controller-runtime's manager, which starts them, elects the leader that
// runs the pull sources and retention, and stops them in order at shutdown.
// Tests run the whole daemon in-process through Run.
package app
