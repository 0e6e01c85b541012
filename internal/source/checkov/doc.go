// Package checkov turns the JSON that `checkov -o json` prints into
// findings: one per entry of results.failed_checks, in every framework
// block of the run.
//
// The package is pure: Parse reads bytes and Findings builds findings, with
// no Kubernetes client, so both are tested on the fixtures and fuzzed.
//
// Checkov prints one framework object {"check_type":…,"results":{…},
// "summary":{…}} when one framework ran, a JSON array of them when several
// did, and a bare summary {"passed":0,…,"checkov_version":…} when no check
// ran at all (checkov PR #1817). All three are accepted; anything else is
// refused with a *source.ParseError whose Reason says why (invalid-json,
// unknown-shape or wrong-type).
package checkov
