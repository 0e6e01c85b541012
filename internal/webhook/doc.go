// Package webhook is the HTTP intake of push sources: Falco alerts and API
// server audit events today, any later source that POSTs its findings.
//
// Every endpoint runs the same checks in a fixed order, cheapest first and
// authentication before any parsing: method (405), media type (415),
// declared size (413), body read within the limit, decompressed if need be
// (413), authentication (401), parsing (400), then a non-blocking hand-off
// to the endpoint's bounded buffer (503 with Retry-After when full). A
// drainer per buffer submits to the pipeline, so a slow API server slows
// the drainer, never the sender: the API server's audit webhook and Falco
// must not wait on us.
//
// Errors are RFC 7807 problem details.
package webhook
