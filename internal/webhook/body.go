package webhook

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// bufferPool recycles body buffers between requests: bodies are parsed
// into findings that copy what they keep, so a buffer is free once the
// parser returns.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge body's buffer from staying in the pool.
const maxPooledBuffer = 1 << 20

func releaseBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufferPool.Put(b)
	}
}

// checkMediaType answers 415 for a Content-Type the endpoint does not
// read. A request without one is read as JSON: curl and some senders omit
// it, and the body is validated anyway.
func checkMediaType(r *http.Request, accepted []string) *Problem {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !slices.Contains(accepted, mt) {
		return newProblem(http.StatusUnsupportedMediaType, reasonMediaType,
			"Content-Type "+strconv.Quote(truncate(ct, 100))+" is not accepted here; send one of "+strings.Join(accepted, ", "))
	}
	return nil
}

// readBody reads r's body into buf, decompressing gzip, and answers 413
// once more than limit bytes arrive, counted after decompression: a small
// gzip bomb is stopped at the limit, not when memory runs out. Every byte
// buf can hold is first reserved in res: a body that does not fit the
// in-flight budget gets 503, before it is read when its length is
// declared.
func readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, limit int64, res *reservation) *Problem {
	tooLarge := func() *Problem { return tooLarge(limit) }
	if r.ContentLength > limit {
		return tooLarge()
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit+1)
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return bodyProblem(err, tooLarge)
		}
		defer zr.Close()
		body = zr
	default:
		p := newProblem(http.StatusUnsupportedMediaType, reasonEncoding,
			"Content-Encoding "+strconv.Quote(truncate(enc, 100))+" is not supported; send gzip or no encoding")
		p.acceptEncoding = "gzip"
		return p
	}
	if n := r.ContentLength; n > 0 && (enc == "" || enc == "identity") {
		// The declared length is the body: reserve it, with room for the
		// read that finds the end, and hold it in one allocation rather
		// than a doubling buffer's two. A sender that declares more than
		// it sends holds budget, not memory beyond it.
		if !res.ensure(n + bytes.MinRead) {
			return noBudget()
		}
		buf.Grow(int(n) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(&budgetReader{r: io.LimitReader(body, limit+1), res: res, consumed: int64(buf.Len())})
	if err != nil {
		return bodyProblem(err, tooLarge)
	}
	if n > limit {
		return tooLarge()
	}
	return nil
}

// noBudget is the 503 for a body that does not fit MAX_INFLIGHT_BYTES.
func noBudget() *Problem {
	p := newProblem(http.StatusServiceUnavailable, reasonInflightFull,
		"too many request bytes are being processed at once (MAX_INFLIGHT_BYTES); retry after the Retry-After delay")
	p.retryAfter = retryAfterSeconds
	return p
}

// tooLarge is the 413 for a body over limit.
func tooLarge(limit int64) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, reasonTooLarge,
		"the body is larger than this endpoint's limit of "+strconv.FormatInt(limit, 10)+" bytes (after decompression)")
}

// bodyProblem tells a body over the limit from a broken one.
func bodyProblem(err error, tooLarge func() *Problem) *Problem {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errNoBudget):
		return noBudget()
	case errors.As(err, &mbe):
		return tooLarge()
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(http.StatusBadRequest, reasonBadEncoding, "the gzip body is corrupt or truncated: "+err.Error())
	}
	return newProblem(http.StatusBadRequest, reasonReadFailed, "reading the body: "+err.Error())
}

// truncate shortens what a sender sent before it is echoed back.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
