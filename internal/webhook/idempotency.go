package webhook

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// Headers of the request contract.
const (
	HeaderRequestID       = "X-Request-Id"
	HeaderContractVersion = "X-Zen-Contract-Version"
	HeaderReplayed        = "Idempotent-Replayed"
)

// ContractVersions are the versions of the request contract this build
// serves; a request without the header gets the first.
var ContractVersions = []string{"v1"}

// maxRequestID bounds a client's X-Request-Id.
const maxRequestID = 200

// requestID returns the client's X-Request-Id, whether it sent a usable
// one, and a new random id otherwise. A repeated, empty, overlong or
// non-ASCII id is not usable.
func requestID(r *http.Request) (id string, fromClient bool, bad bool) {
	v := r.Header.Values(HeaderRequestID)
	if len(v) == 1 && len(v[0]) > 0 && len(v[0]) <= maxRequestID && visibleASCII(v[0]) {
		return v[0], true, false
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw) // crypto/rand does not fail on supported platforms
	return hex.EncodeToString(raw), false, len(v) > 0
}

// idempotency remembers the answers to requests that carried an
// X-Request-Id, for ttl, so that a retry is answered as the first
// delivery was and is not processed again. It holds at most max answers,
// dropping the oldest first.
type idempotency struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	answers map[string]*answer
	order   []*answer // by insertion, oldest first
}

// answer is one remembered response, or a request still being processed.
type answer struct {
	key      string
	bodyHash [sha256.Size]byte
	done     bool
	status   int
	ctype    string
	body     []byte
	expires  time.Time
	parked   *parked // recorded, not yet stored: retries wait for it
}

func newIdempotency(ttl time.Duration, max int) *idempotency {
	return &idempotency{ttl: ttl, max: max, answers: map[string]*answer{}}
}

// Outcomes of begin.
type idemState int

const (
	idemNew      idemState = iota // process it; finish will remember the answer
	idemReplay                    // answer with the remembered response
	idemConflict                  // the id was used with another body
	idemBusy                      // the first delivery is still being processed
	idemParked                    // the first delivery was recorded but not stored in time
)

// begin looks key up; a new key is reserved until finish or abandon.
func (c *idempotency) begin(key string, body []byte, now time.Time) (idemState, *answer) {
	h := sha256.Sum256(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.answers[key]; ok && now.Before(a.expires) {
		switch {
		case a.bodyHash != h:
			return idemConflict, nil
		case a.parked != nil:
			return idemParked, a
		case !a.done:
			return idemBusy, nil
		}
		return idemReplay, a
	}
	c.evict(now)
	a := &answer{key: key, bodyHash: h, expires: now.Add(c.ttl)}
	c.answers[key] = a
	c.order = append(c.order, a)
	return idemNew, nil
}

// finish remembers the response to key.
func (c *idempotency) finish(key string, status int, ctype string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.answers[key]; ok {
		a.done, a.status, a.ctype, a.body, a.parked = true, status, ctype, body, nil
	}
}

// park keeps key reserved for a delivery that was recorded but not yet
// stored: a retry waits for p instead of recording the findings again.
func (c *idempotency) park(key string, p *parked) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.answers[key]; ok {
		a.parked = p
	}
}

// abandon forgets key: its answer (a 503, say) must not be replayed, and
// the retry is processed afresh.
func (c *idempotency) abandon(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.answers, key)
}

// evict drops expired answers, and the oldest ones beyond max. An entry
// of order whose key was abandoned, or taken again since, is skipped.
// Callers hold c.mu.
func (c *idempotency) evict(now time.Time) {
	drop := 0
	for ; drop < len(c.order); drop++ {
		a := c.order[drop]
		if now.Before(a.expires) && len(c.order)-drop < c.max {
			break
		}
		if c.answers[a.key] == a {
			delete(c.answers, a.key)
		}
	}
	clear(c.order[:drop])
	c.order = c.order[drop:]
}

// capture keeps a copy of what a handler writes, to remember it.
type capture struct {
	http.ResponseWriter
	status int
	body   []byte
	// parked is set when the request was recorded but not stored in
	// time: its retries wait for the same findings.
	parked *parked
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	c.body = append(c.body, p...)
	return c.ResponseWriter.Write(p)
}
