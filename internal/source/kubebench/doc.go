// Package kubebench turns the JSON that `kube-bench --json` prints into
// findings: one per CIS check result whose status the operator asked for
// (FAIL, optionally WARN).
//
// The package is pure: Parse reads bytes and Findings builds findings, with
// no Kubernetes client, so both are tested on the real fixtures and fuzzed.
// Where the bytes come from (a ConfigMap labelled app=kube-bench) and which
// node they describe are the caller's business; the node is passed in,
// never guessed here.
//
// Two top-level shapes are accepted, because kube-bench prints both:
//
//   - the default object {"Controls":[…],"Totals":{…}}, and
//   - the bare array of controls printed with --nototals.
//
// Anything else is refused with a *source.ParseError whose Reason says why
// (invalid-json, unknown-shape or wrong-type), so the caller can count it
// and warn on the ConfigMap without reading the message.
package kubebench
