// Package tools detects which security tools run in the cluster: pods in
// each tool's namespace, combined with whether the tool's report CRDs are
// served. Detection informs status and metrics only; it gates nothing, so a
// report is read whether or not its tool's pods are found.
package tools
