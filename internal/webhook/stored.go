package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/kube-zen/zen-watcher/internal/ack"
	"github.com/kube-zen/zen-watcher/internal/finding"
)

// parked is a request that was recorded but not stored within the
// endpoint's bound: the receipt to answer once it is, and what to wait on.
type parked struct {
	ack     *ack.Ack
	receipt Receipt
}

// attachAck gives every finding of a request in "stored" mode one shared
// Ack and returns it; nil in "accepted" mode or when nothing goes on (the
// filter, for one, dropped every finding: nothing to wait for).
func (h *handler) attachAck(kept []finding.Finding) *ack.Ack {
	if !h.ep.WaitStored || len(kept) == 0 {
		return nil
	}
	a := ack.New(len(kept))
	for i := range kept {
		kept[i].Ack = a
	}
	return a
}

// awaitStored answers rc once every finding is stored. When that takes
// longer than the bound, or a write failed every retry, it answers 503 with
// Retry-After: the sender retries, and a retry with the same X-Request-Id
// waits for the same findings (see awaitParked).
func (h *handler) awaitStored(w http.ResponseWriter, r *http.Request, who Identity, rc Receipt, a *ack.Ack) int {
	p := h.waitStored(r, a)
	if p == nil {
		writeReceipt(w, rc)
		return http.StatusAccepted
	}
	if c, ok := w.(*capture); ok && a.Err() == nil {
		c.parked = &parked{ack: a, receipt: rc}
	}
	return h.refuse(w, r, who, p)
}

// awaitParked answers the retry of a parked request: the remembered receipt
// once its findings are stored, 503 again while they are not, and a fresh
// delivery when their write failed for good.
func (h *handler) awaitParked(w http.ResponseWriter, r *http.Request, who Identity, id, key string, body []byte, pk *parked) int {
	h.metrics.idempotentReplays.WithLabelValues(h.metrics.name).Inc()
	if p := h.waitStored(r, pk.ack); p != nil {
		if pk.ack.Err() == nil {
			return h.refuse(w, r, who, p)
		}
		h.idem.abandon(key)
		return h.idempotent(w, r, who, id, body)
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(pk.receipt)
	h.idem.finish(key, http.StatusAccepted, "application/json", buf.Bytes())
	w.Header().Set(HeaderReplayed, "true")
	writeReceipt(w, pk.receipt)
	return http.StatusAccepted
}

// waitStored waits until a is done, the bound passes or the client leaves,
// and returns the problem to answer, or nil when every finding is stored.
func (h *handler) waitStored(r *http.Request, a *ack.Ack) *Problem {
	start := h.now()
	t := time.NewTimer(h.ep.StoredTimeout)
	defer t.Stop()
	var detail string
	select {
	case <-a.Done():
		if a.Err() == nil {
			h.metrics.storedWait.Observe(h.now().Sub(start).Seconds())
			return nil
		}
		detail = "a write to the API server failed every retry; send the request again"
	case <-t.C:
		detail = "not stored within " + h.ep.StoredTimeout.String() + " (is the API server slow or away?); retry after the Retry-After delay"
	case <-r.Context().Done():
		detail = "the client left before the findings were stored"
	}
	h.metrics.storedWait.Observe(h.now().Sub(start).Seconds())
	h.metrics.notStored.WithLabelValues(h.metrics.name).Inc()
	p := newProblem(http.StatusServiceUnavailable, reasonNotStored, detail)
	p.retryAfter = retryAfterSeconds
	return p
}
