// Package webhook is the HTTP intake of push sources: Falco alerts and API
// server audit events today, any later source that POSTs its findings.
//
// Every endpoint runs the same checks in a fixed order, cheapest first and
// authentication before any parsing: method (405), media type (415),
// declared size (413), rate limit per client address (429),
// authentication by headers (401; 403 for a client certificate whose names
// are not allowed), body read within the limit,
// decompressed if need be (413), authentication that needs the body
// (401), rate limit per identity (429), request id and contract version
// (400), idempotency (409, or the first answer again), parsing (400),
// then recording. A request's findings are
// recorded on its own goroutine when the write queue has room; otherwise
// they go to the endpoint's bounded buffer without waiting (503 with
// Retry-After when it is full), and a drainer feeds the pipeline from it.
// A slow API server fills the buffer, it never slows the answer: the API
// server's audit webhook and Falco must not wait on us.
//
// Errors are RFC 7807 problem details.
package webhook
