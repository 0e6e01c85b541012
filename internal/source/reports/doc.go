// Package reports watches the report resources of tools that publish their
// findings as custom resources (Trivy Operator, Kyverno, Open Reports). An
// informer runs for each resource while the API server serves it: it starts
// when the tool's CRD appears, even after zen-watcher started, and stops
// cleanly when the CRD goes away.
package reports
