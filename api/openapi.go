// Package api holds the HTTP contract of zen-watcher: the OpenAPI
// document, served at /openapi.yaml and checked by tests against the
// router and real answers. The Kubernetes API types are in api/v1.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document of every HTTP endpoint.
//
//go:embed openapi.yaml
var OpenAPI []byte
