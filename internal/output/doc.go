// Package output delivers stored findings to people and systems: the
// ZenOutput controller, the delivery engine, and the contract every output
// kind implements. Each kind is a small package of its own
// (output/alertmanager, output/webhook, output/slack), in the manner of
// Alertmanager's notifiers; the retry policy, the backlog and the progress
// that makes delivery at-least-once live here, shared.
package output
