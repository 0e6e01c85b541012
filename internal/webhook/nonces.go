package webhook

import (
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxNonces is the nonce cache's default capacity. A nonce is kept
// until its timestamp leaves the skew window, plus at most one generation
// (an eighth of the skew), so at the default 5-minute skew two million
// sustain 5,900 signed requests a second from senders with true clocks:
// the documented 5,000 with room for clocks that run ahead.
const DefaultMaxNonces = 2_000_000

// nonceGenerations is how many generations one skew window is cut into:
// more makes expiry finer, fewer makes each lookup cheaper.
const nonceGenerations = 8

// NonceCache remembers the nonces of verified signed requests until their
// timestamp leaves the skew window, so a replay within the window is
// refused. It keeps a seeded 64-bit hash of each nonce, not the nonce: a
// collision, at odds of about one in 2^64 per pair, refuses one request.
//
// Nonces are kept in generations by expiry time, each a set of hashes
// (about 10 to 20 bytes a nonce, see BenchmarkNonceCacheMemory). A
// generation whose time has passed is dropped whole: expiry costs no sweep
// and its memory goes back to the runtime, where one big map would keep
// its peak size forever.
type NonceCache struct {
	seed maphash.Seed
	max  int

	mu   sync.Mutex
	gens map[int64]map[uint64]struct{} // by expiry generation: unix seconds / width
	// width is the seconds one generation spans: an eighth of the skew,
	// set by the first add (every HMAC of a daemon has the same skew).
	width int64
	n     int
}

// NewNonceCache remembers at most max nonces at a time.
func NewNonceCache(max int) *NonceCache {
	return &NonceCache{seed: maphash.MakeSeed(), max: max, gens: map[int64]map[uint64]struct{}{}}
}

// Len is how many nonces are remembered.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Cap is the most nonces remembered at a time.
func (c *NonceCache) Cap() int { return c.max }

type nonceError int

const (
	nonceOK nonceError = iota
	errReplayed
	errCacheFull
)

// add remembers nonce until expires, unless it is remembered already, or
// there is no room: then it also says how long until a generation expires
// and frees room. skew is the window, which sets the generations' width.
func (c *NonceCache) add(nonce string, expires time.Time, skew time.Duration, now time.Time) (nonceError, time.Duration) {
	k := maphash.String(c.seed, nonce)
	t := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.width == 0 {
		// Entries outlive their expiry by up to one width.
		c.width = max(1, int64(skew/time.Second)/nonceGenerations)
	}
	current := t / c.width
	oldest := int64(-1)
	for g, set := range c.gens {
		// Generation g holds expiries before (g+1)*width.
		if (g+1)*c.width <= t {
			c.n -= len(set)
			delete(c.gens, g)
			continue
		}
		if _, ok := set[k]; ok {
			return errReplayed, 0
		}
		if oldest < 0 || g < oldest {
			oldest = g
		}
	}
	if c.n >= c.max {
		wait := time.Second
		if oldest >= 0 {
			wait = max(wait, time.Duration((oldest+1)*c.width-t)*time.Second)
		}
		return errCacheFull, wait
	}
	g := max(expires.Unix()/c.width, current)
	set := c.gens[g]
	if set == nil {
		set = map[uint64]struct{}{}
		c.gens[g] = set
	}
	set[k] = struct{}{}
	c.n++
	return nonceOK, 0
}
