// Package chart renders the Helm chart in deploy/charts/zen-watcher with
// the helm binary that `make tools` builds, for the tests here (lint,
// values schema, environment coverage, static RBAC rules, the examples)
// and for the integration test that installs the rendered objects into a
// real API server.
package chart
