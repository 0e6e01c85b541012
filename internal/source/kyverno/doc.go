// Package kyverno turns policy reports into findings: the
// wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport that Kyverno
// writes, and their successors, openreports.io/v1alpha1 Report and
// ClusterReport, which have the same shape (a top-level results list and an
// optional scope). One finding is made per result whose outcome the
// operator asked for (fail; optionally warn and error) and per object it
// concerns.
//
// The package is pure: it reads the *unstructured.Unstructured an informer
// delivers and never talks to the API server, so it is tested on the real
// fixtures and fuzzed. Strip is the informer transform that drops what
// Findings never reads before an object enters the cache.
//
// Odd but well-typed input never fails a report: a result that names no
// object is counted in Result.NoResource, and a severity off the scale is
// read as MEDIUM and counted in Result.UnknownSeverity. A member of the
// wrong JSON type is refused with a *source.ParseError of reason
// wrong-type that names the member, because a report the parser cannot
// read must not look like a report with nothing in it (that would resolve
// every open finding).
package kyverno
