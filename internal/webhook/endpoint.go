package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kube-zen/zen-watcher/internal/finding"
	"github.com/kube-zen/zen-watcher/internal/source"
)

// Parser turns one request body into findings; the Falco and audit parsers
// are Parsers. It must not keep references into body, which is reused.
type Parser interface {
	Parse(body []byte, now time.Time) (source.Batch, error)
}

// Endpoint describes one webhook.
type Endpoint struct {
	// Name identifies the endpoint in logs, idempotency keys and
	// per-sender limits: falco, audit, or a dynamic source's own name.
	Name string
	// Label is the endpoint label of its metrics; empty means Name.
	// Dynamic sources share one label, so series stay bounded, and keep
	// their own series elsewhere.
	Label string
	// Path is where it is served, e.g. /falco/webhook.
	Path string
	// MediaTypes are the Content-Types it reads.
	MediaTypes []string
	// MaxBodyBytes bounds a body after decompression.
	MaxBodyBytes int64
	// BufferSize bounds the findings waiting for the pipeline.
	BufferSize int
	Parser     Parser
	// Auth, when set, authenticates this endpoint instead of Options.Auth.
	Auth Authenticator
	// WaitStored makes the endpoint answer 202 only once every finding of
	// the request is stored, and 503 when that takes longer than
	// StoredTimeout; otherwise it answers once the findings are buffered.
	WaitStored    bool
	StoredTimeout time.Duration
	// Limit, when set, is the endpoint's own request budget, taken once
	// the sender is authenticated, instead of Options.IdentityLimit: one
	// bucket for the whole endpoint, so a dynamic source's senders share
	// their tenant's rate limit and no one else's.
	Limit *Limiter
	// Observe, when set, is told of every accepted body: what the parser
	// made of it and how many findings went on to be stored. A body
	// refused with 503 is observed when its retry is accepted.
	Observe func(batch source.Batch, accepted int)
}

// PayloadError refuses a whole body, listing where it is wrong: the 400
// problem carries Errors, each with the JSON pointer of a bad value.
type PayloadError struct {
	Detail string
	Errors []source.ItemError
}

func (e *PayloadError) Error() string { return e.Detail }

// Reasons for a refused request, the reason of its problem body.
const (
	reasonMethod          = "method-not-allowed"
	reasonMediaType       = "unsupported-media-type"
	reasonEncoding        = "unsupported-content-encoding"
	reasonTooLarge        = "payload-too-large"
	reasonBadEncoding     = "malformed-encoding"
	reasonReadFailed      = "body-unreadable"
	reasonUnauthenticated = "unauthenticated"
	reasonForbidden       = "forbidden"
	reasonInvalidPayload  = "invalid-payload"
	reasonBufferFull      = "buffer-full"
	reasonShuttingDown    = "shutting-down"
	reasonBadRequestID    = "invalid-request-id"
	reasonContractVersion = "unsupported-contract-version"
	reasonIDConflict      = "request-id-conflict"
	reasonIDInProgress    = "request-id-in-progress"
	reasonRateLimited     = "rate-limited"
	reasonNonceCacheFull  = AuthNonceCacheFull
	reasonInflightFull    = "inflight-bytes-exhausted"
	reasonNotStored       = "not-stored"
)

// retryAfterSeconds is what a 503 asks the sender to wait: one flush
// interval is about how long the buffer takes to make room.
const retryAfterSeconds = 1

// handler serves one endpoint.
type handler struct {
	ep       Endpoint
	pipeline Pipeline
	running  *atomic.Bool // the intake's Run has started
	idem     *idempotency
	limits   Options // for the limiters and client addresses
	buffer   *Buffer
	auth     Authenticator
	metrics  *endpointMetrics
	refusals *refusalLog
	now      func() time.Time
}

// Receipt is the answer to an accepted body: what became of each item.
type Receipt struct {
	// Items is how many items the body held.
	Items int `json:"items"`
	// Accepted is how many findings were queued for the store, after the
	// pipeline's filter.
	Accepted int `json:"accepted"`
	// Dropped counts items deliberately skipped, by reason.
	Dropped map[string]int `json:"dropped,omitempty"`
	// Errors lists the items that could not be read, the first
	// maxListedErrors of them; the others were kept.
	Errors []source.ItemError `json:"errors,omitempty"`
	// ErrorsOmitted counts unreadable items beyond those listed.
	ErrorsOmitted int `json:"errorsOmitted,omitempty"`
	// Stored is true when the answer waited until every accepted finding
	// was stored (the endpoint's acknowledgement mode is "stored").
	Stored bool `json:"stored,omitempty"`
}

// maxListedErrors bounds the item errors an answer lists: a 1 MiB body of
// broken lines would otherwise be answered with a larger one.
const maxListedErrors = 100

// listed splits rejected items into those an answer lists and a count of
// the rest.
func listed(rejected []source.ItemError) ([]source.ItemError, int) {
	if len(rejected) <= maxListedErrors {
		return rejected, 0
	}
	return rejected[:maxListedErrors], len(rejected) - maxListedErrors
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	code := h.serve(w, r)
	h.metrics.answer(code)
	h.metrics.duration.Observe(h.now().Sub(start).Seconds())
}

// serve runs the checks in the documented order and returns the status
// it answered.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) int {
	id, fromClient, badID := requestID(r)
	w.Header().Set(HeaderRequestID, id)
	closing := r.ContentLength != 0 && r.ProtoMajor == 1
	if closing {
		// Until the body is read, an HTTP/1 answer closes the connection:
		// net/http would otherwise read up to 256 KiB of a body nobody
		// wants before answering, and wait for it from a sender that
		// stalls. (HTTP/2 resets the stream instead, and there Connection:
		// close would tear down every stream of the connection.)
		w.Header().Set("Connection", "close")
	}
	if r.Method != http.MethodPost {
		p := newProblem(http.StatusMethodNotAllowed, reasonMethod, "this webhook accepts only POST")
		p.allow = http.MethodPost
		return h.refuse(w, r, "", p)
	}
	if p := checkMediaType(r, h.ep.MediaTypes); p != nil {
		return h.refuse(w, r, "", p)
	}
	if r.ContentLength > h.ep.MaxBodyBytes {
		return h.refuse(w, r, "", tooLarge(h.ep.MaxBodyBytes))
	}
	if ok, wait := h.limits.ClientLimit.Allow(h.limits.Clients.Of(r)); !ok {
		return h.refuse(w, r, "", h.rateLimited("client", wait))
	}
	who, decided, authErr := h.auth.Headers(r)
	if authErr != nil {
		return h.refuse(w, r, "", h.unauthenticated(authErr))
	}
	buf := bufferPool.Get().(*bytes.Buffer)
	defer releaseBuffer(buf)
	// Held until the body and what was decoded from it are done with.
	res := &reservation{budget: h.limits.Inflight}
	defer res.release()
	if p := readBody(w, r, buf, h.ep.MaxBodyBytes, res); p != nil {
		return h.refuse(w, r, who, p)
	}
	if closing {
		w.Header().Del("Connection")
	}
	if !decided {
		if who, authErr = h.auth.Body(r, buf.Bytes()); authErr != nil {
			return h.refuse(w, r, "", h.unauthenticated(authErr))
		}
	}
	if h.ep.Limit != nil {
		if ok, wait := h.ep.Limit.Allow(""); !ok {
			return h.refuse(w, r, who, h.rateLimited("endpoint", wait))
		}
	} else if ok, wait := h.limits.IdentityLimit.Allow(h.ep.Name + "\x00" + string(who)); !ok {
		return h.refuse(w, r, who, h.rateLimited("identity", wait))
	}
	if badID {
		return h.refuse(w, r, who, newProblem(http.StatusBadRequest, reasonBadRequestID,
			"want at most one "+HeaderRequestID+" header of 1 to 200 visible ASCII characters"))
	}
	if p := checkContract(r); p != nil {
		return h.refuse(w, r, who, p)
	}
	if !fromClient {
		return h.process(w, r, who, buf.Bytes())
	}
	return h.idempotent(w, r, who, id, buf.Bytes())
}

// idempotent processes a request that carries its own id once, and
// answers its retries as it answered the first delivery.
func (h *handler) idempotent(w http.ResponseWriter, r *http.Request, who Identity, id string, body []byte) int {
	key := h.ep.Name + "\x00" + string(who) + "\x00" + id
	state, prev := h.idem.begin(key, body, h.now())
	switch state {
	case idemReplay:
		h.metrics.idempotentReplays.WithLabelValues(h.metrics.name).Inc()
		w.Header().Set("Content-Type", prev.ctype)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set(HeaderReplayed, "true")
		w.WriteHeader(prev.status)
		_, _ = w.Write(prev.body)
		return prev.status
	case idemConflict:
		return h.refuse(w, r, who, newProblem(http.StatusConflict, reasonIDConflict,
			"this "+HeaderRequestID+" was used with another body; use a new id for a new request"))
	case idemBusy:
		return h.refuse(w, r, who, newProblem(http.StatusConflict, reasonIDInProgress,
			"a request with this "+HeaderRequestID+" is still being processed; retry later"))
	case idemParked:
		return h.awaitParked(w, r, who, id, key, body, prev.parked)
	}
	c := &capture{ResponseWriter: w}
	status := h.process(c, r, who, body)
	if c.parked != nil {
		// Not stored in time, yet recorded: its retry waits for the same
		// findings instead of recording them twice.
		h.idem.park(key, c.parked)
		return status
	}
	if status >= http.StatusInternalServerError || len(c.body) > maxRemembered {
		h.idem.abandon(key) // a 503 must not be replayed: the retry is processed afresh
	} else {
		h.idem.finish(key, status, w.Header().Get("Content-Type"), c.body)
	}
	return status
}

// maxRemembered bounds the answer kept per request id, so the cache stays
// small; a receipt is usually well under 1 KiB.
const maxRemembered = 4 << 10

// checkContract answers 400 for a contract version this build does not
// serve.
func checkContract(r *http.Request) *Problem {
	v := r.Header.Values(HeaderContractVersion)
	if len(v) == 0 || (len(v) == 1 && slices.Contains(ContractVersions, v[0])) {
		return nil
	}
	return newProblem(http.StatusBadRequest, reasonContractVersion,
		"unsupported "+HeaderContractVersion+"; this zen-watcher serves: "+strings.Join(ContractVersions, ", "))
}

// process parses the body and records its findings.
func (h *handler) process(w http.ResponseWriter, r *http.Request, who Identity, body []byte) int {
	batch, err := h.ep.Parser.Parse(body, h.now())
	if err != nil {
		h.metrics.schemaRejections.WithLabelValues(h.metrics.name).Inc()
		p := newProblem(http.StatusBadRequest, reasonInvalidPayload, err.Error())
		if pe, ok := errors.AsType[*PayloadError](err); ok {
			p.Errors, p.ErrorsOmitted = listed(pe.Errors)
		}
		return h.refuse(w, r, who, p)
	}
	errs, omitted := listed(batch.Rejected)
	if batch.Items > 0 && len(batch.Rejected) == batch.Items {
		h.countRejected(batch.Rejected)
		if h.ep.Observe != nil {
			h.ep.Observe(batch, 0)
		}
		p := newProblem(http.StatusBadRequest, reasonInvalidPayload, "no item of the body could be read; see errors")
		p.Errors, p.ErrorsOmitted = errs, omitted
		return h.refuse(w, r, who, p)
	}
	for i := range batch.Findings {
		batch.Findings[i].Sender = string(who)
	}
	kept := h.pipeline.Prepare(r.Context(), batch.Findings)
	stored := h.attachAck(kept)
	if n := len(kept); n > 0 && !h.recordNow(kept) {
		if err := h.buffer.TryPut(kept); err != nil {
			reason, dropped, detail := reasonBufferFull, dropBufferFull, "the intake buffer is full; retry after the Retry-After delay"
			if errors.Is(err, errBufferClosed) {
				reason, dropped, detail = reasonShuttingDown, dropShutdown, "zen-watcher is shutting down; retry against another replica or later"
			}
			h.metrics.dropped.WithLabelValues(h.metrics.name, dropped).Add(float64(n))
			p := newProblem(http.StatusServiceUnavailable, reason, detail)
			p.retryAfter = retryAfterSeconds
			return h.refuse(w, r, who, p)
		}
	}
	// Counted only now: a body refused with 503 is counted when its retry
	// is accepted.
	h.countRejected(batch.Rejected)
	for reason, n := range batch.Dropped {
		h.metrics.dropped.WithLabelValues(h.metrics.name, reason).Add(float64(n))
	}
	if h.ep.Observe != nil {
		h.ep.Observe(batch, len(kept))
	}
	rc := Receipt{Items: batch.Items, Accepted: len(kept), Dropped: batch.Dropped, Errors: errs, ErrorsOmitted: omitted}
	if stored != nil {
		rc.Stored = true
		return h.awaitStored(w, r, who, rc, stored)
	}
	writeReceipt(w, rc)
	return http.StatusAccepted
}

// countRejected adds unreadable items to the dropped counter, one update
// per reason however many items share it.
func (h *handler) countRejected(rejected []source.ItemError) {
	if len(rejected) == 0 {
		return
	}
	h.metrics.schemaRejections.WithLabelValues(h.metrics.name).Add(float64(len(rejected)))
	byReason := map[string]int{}
	for _, e := range rejected {
		byReason[e.Reason]++
	}
	for reason, n := range byReason {
		h.metrics.dropped.WithLabelValues(h.metrics.name, reason).Add(float64(n))
	}
}

// rateLimited counts a refusal by a rate limit and makes its 429.
func (h *handler) rateLimited(scope string, wait time.Duration) *Problem {
	h.metrics.rateLimited.WithLabelValues(h.metrics.name, scope).Inc()
	p := newProblem(http.StatusTooManyRequests, reasonRateLimited, "too many requests from this "+scope+"; retry after the Retry-After delay")
	p.retryAfter = retrySeconds(wait)
	return p
}

// unauthenticated counts a refusal by authentication and makes its 401,
// its 403 when the sender proved who it is but may not use the endpoint,
// or its 503 when the credentials were fine but there is no room to take
// the request now (a full nonce cache): a valid sender must retry, not
// give up.
func (h *handler) unauthenticated(authErr *AuthError) *Problem {
	h.metrics.authFailures.WithLabelValues(h.metrics.name, authErr.Reason).Inc()
	if authErr.RetryAfter > 0 {
		p := newProblem(http.StatusServiceUnavailable, authErr.Reason, authErr.Detail)
		p.retryAfter = retrySeconds(authErr.RetryAfter)
		return p
	}
	p := newProblem(http.StatusUnauthorized, reasonUnauthenticated, authErr.Detail)
	if authErr.Forbidden {
		p = newProblem(http.StatusForbidden, reasonForbidden, authErr.Detail)
	}
	p.Reason = authErr.Reason
	return p
}

// recordNow records findings on the handler's goroutine when the intake
// runs, that needs no wait and nothing is buffered before them; otherwise
// they go through the buffer. Most requests take this path: a hand-off to the drainer would
// wait for the scheduler, and under load the drainer falls behind.
func (h *handler) recordNow(findings []finding.Finding) bool {
	return h.running.Load() && h.buffer.Bypassable() && h.pipeline.TryRecord(findings) == nil
}

// refuse answers with p and logs one line saying why, a few a second per
// reason at most (see refusalLog); never a credential, which no problem
// detail holds.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, who Identity, p *Problem) int {
	p.Instance = w.Header().Get(HeaderRequestID)
	p.write(w)
	h.refusals.write(h.ep.Name, p.Reason, "status", p.Status, "requestID", p.Instance,
		"client", h.limits.Clients.Of(r), "identity", string(who), "detail", p.Detail)
	return p.Status
}

func writeReceipt(w http.ResponseWriter, rc Receipt) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(rc) // the client may be gone; nothing to do about it
}
