// Package trivy turns Trivy Operator reports (aquasecurity.github.io/v1alpha1)
// into findings: one per vulnerability of a VulnerabilityReport or
// ClusterVulnerabilityReport, and one per failed check of a
// ConfigAuditReport or ClusterConfigAuditReport, at or above a minimum
// severity.
//
// The package is pure: it reads the *unstructured.Unstructured an informer
// delivers and never talks to the API server, so it is tested on the real
// fixtures and fuzzed. Strip is the informer transform that drops what the
// parsers never read before an object enters the cache; a large report is
// mostly text nobody reads (descriptions, links, CVSS vectors).
//
// Odd but well-typed input never fails a report: an entry with an unknown
// severity or without an identifier is skipped and counted in Result, and
// a report without resource labels still yields findings, flagged in
// Result.MissingLabels, so the caller can log and count. A member of the
// wrong JSON type is refused with a *source.ParseError of reason
// wrong-type that names the member, because a report the parser cannot read
// must not look like a report with nothing in it (that would resolve every
// open finding).
package trivy
