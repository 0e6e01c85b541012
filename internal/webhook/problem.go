package webhook

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// problemTypePrefix starts every problem type URI; the rest names the
// problem. A URN needs no web page to exist.
const problemTypePrefix = "urn:zen-watcher:problem:"

// Problem is an RFC 7807 problem details body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request id, as X-Request-Id echoes it.
	Instance string `json:"instance,omitempty"`
	// Reason is the metric label and log key of the problem.
	Reason string `json:"reason"`
	// Errors lists the unreadable items of a payload, each with the JSON
	// pointer of its bad value.
	Errors []source.ItemError `json:"errors,omitempty"`
	// ErrorsOmitted counts unreadable items beyond those listed.
	ErrorsOmitted int `json:"errorsOmitted,omitempty"`

	retryAfter     int // seconds; sent as Retry-After when positive
	allow          string
	acceptEncoding string
}

// Titles of the problems an endpoint answers, by reason.
var problemTitles = map[string]string{
	reasonMethod:          "Method not allowed",
	reasonMediaType:       "Unsupported media type",
	reasonEncoding:        "Unsupported content encoding",
	reasonTooLarge:        "Payload too large",
	reasonBadEncoding:     "Malformed compressed body",
	reasonReadFailed:      "Request body could not be read",
	reasonUnauthenticated: "Unauthenticated",
	reasonForbidden:       "Forbidden",
	reasonInvalidPayload:  "Invalid payload",
	reasonBufferFull:      "Intake buffer full",
	reasonShuttingDown:    "Shutting down",
	reasonBadRequestID:    "Invalid request id",
	reasonContractVersion: "Unsupported contract version",
	reasonIDConflict:      "Request id reused",
	reasonIDInProgress:    "Request in progress",
	reasonRateLimited:     "Too many requests",
	reasonNonceCacheFull:  "Too many signed requests",
	reasonInflightFull:    "Too many bytes in flight",
	reasonNotStored:       "Not stored in time",
}

func newProblem(status int, reason, detail string) *Problem {
	return &Problem{Type: problemTypePrefix + reason, Title: problemTitles[reason], Status: status, Detail: detail, Reason: reason}
}

func (p *Problem) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	if p.allow != "" {
		h.Set("Allow", p.allow)
	}
	if p.acceptEncoding != "" {
		h.Set("Accept-Encoding", p.acceptEncoding) // RFC 7694
	}
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="zen-watcher"`)
	}
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // details quote headers such as <token>; this is not HTML
	_ = enc.Encode(p)        // the client may be gone; nothing to do about it
}

// WriteProblem answers with an RFC 7807 problem of status, named by
// reason, for handlers outside the intake (the admin API), so every
// refusal of the daemon has one shape. Its instance is the request id
// when the response carries one.
func WriteProblem(w http.ResponseWriter, status int, reason, detail string) {
	title := problemTitles[reason]
	if title == "" {
		title = http.StatusText(status)
	}
	p := &Problem{Type: problemTypePrefix + reason, Title: title, Status: status, Detail: detail, Reason: reason, Instance: w.Header().Get(HeaderRequestID)}
	p.write(w)
}
