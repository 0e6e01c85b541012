package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// hashLen is the number of hex digits kept from the SHA-256 of a key: 64
// bits, so a collision among even millions of events is vanishingly rare.
const hashLen = 16

// KeyHash identifies a dedup key within its source. It is the same for every
// generation of an event, and is stored as a label so the event index can
// find all generations of one key.
func KeyHash(source, dedupKey string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + dedupKey))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// ObjectName is the deterministic name of generation gen of an event:
// "<source>-<hash>". Generation 0 hashes the key alone; generation n > 0,
// which exists only when DEDUP_WINDOW is set and the finding recurred after
// the window, hashes the key with n. Every replica and every restart derives
// the same name, so the API server itself rejects a duplicate create.
func ObjectName(source, dedupKey string, gen int) string {
	if gen == 0 {
		return source + "-" + KeyHash(source, dedupKey)
	}
	sum := sha256.Sum256([]byte(source + "\x00" + dedupKey + "\x00" + strconv.Itoa(gen)))
	return source + "-" + hex.EncodeToString(sum[:])[:hashLen]
}
