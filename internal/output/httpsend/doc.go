// Package httpsend posts one request of an HTTP output (a signed webhook,
// Slack, any receiver that answers with a status code) and turns the
// answer into the (retry, err) of output.Notifier, so that every HTTP
// output classifies answers alike:
//
//   - 2xx: accepted;
//   - 408, 429, 5xx and network errors: retry, with the receiver's
//     Retry-After (seconds or an HTTP date, capped at MaxRetryAfter) as an
//     output.RetryAfterError;
//   - any other status: refused for good, with the status and a bounded,
//     printable excerpt of the answer (the title and detail of an RFC 7807
//     problem, or the start of any other body), so that lastError says why.
//
// Errors never carry the request's URL beyond its scheme and host: a
// Slack incoming-webhook URL is itself the credential, and a hub's URL may
// hold a token in its query.
package httpsend
