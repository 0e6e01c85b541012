package httpsend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/internal/output"
)

// MaxRetryAfter caps the delay a receiver may ask for: a receiver that
// answers "come back tomorrow" must not silence its output for a day
// without a retry showing in the metrics.
const MaxRetryAfter = time.Hour

// maxRead bounds how much of an answer is read: enough for a problem
// document, never a hostile stream.
const maxRead = 64 << 10

// StatusError is a non-2xx answer.
type StatusError struct {
	// Code is the HTTP status.
	Code int
	// Excerpt is a bounded, printable summary of the answer's body.
	Excerpt string
	// Problem is the type of an RFC 7807 answer; empty for other bodies.
	Problem string
}

func (e *StatusError) Error() string {
	if e.Excerpt == "" {
		return fmt.Sprintf("receiver answered %d %s", e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("receiver answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Excerpt)
}

// Do sends req with client and classifies the answer as the package
// comment says. now is the clock an HTTP-date Retry-After is read against.
func Do(ctx context.Context, client *http.Client, req *http.Request, now func() time.Time) (retry bool, err error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			// Our deadline or shutdown, not the receiver's fault; the
			// engine decides whether to try again.
			return true, fmt.Errorf("sending to %s: %w", Redact(req.URL), ctx.Err())
		}
		return true, fmt.Errorf("sending to %s: %w", Redact(req.URL), redactErr(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	// Drain a little more so the connection can be reused; a receiver
	// sending more than that loses its keep-alive, not our memory.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxRead))
	return Classify(resp.StatusCode, resp.Header, body, now())
}

// Classify turns a status, its headers and (the start of) its body into
// the Notifier's (retry, err); nil for a 2xx.
func Classify(code int, h http.Header, body []byte, now time.Time) (retry bool, err error) {
	if code >= 200 && code < 300 {
		return false, nil
	}
	se := &StatusError{Code: code}
	se.Excerpt, se.Problem = summarise(h.Get("Content-Type"), body)
	if code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500 {
		return false, se
	}
	if d, ok := RetryAfter(h.Get("Retry-After"), now); ok {
		return true, &output.RetryAfterError{After: d, Err: se}
	}
	return true, se
}

// RetryAfter reads a Retry-After value: delay-seconds or an HTTP date,
// capped at MaxRetryAfter. A date in the past means now (zero).
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		if secs > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}

// Redact shows only the scheme and host of u: its path and query may be a
// credential (a Slack webhook URL is one).
func Redact(u *url.URL) string {
	if u == nil {
		return "the receiver"
	}
	return u.Scheme + "://" + u.Host
}

// redactErr strips the URL net/http puts in its errors, keeping the
// operation and the cause (a refused connection, a TLS failure, a timeout).
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr != nil {
			u = nil
		}
		return &url.Error{Op: ue.Op, URL: Redact(u), Err: ue.Err}
	}
	return err
}
