// Package load drives an HTTP endpoint on loopback and measures throughput
// and latency. It speaks HTTP/1.1 over raw keep-alive connections, so on a
// small machine the generator costs less than the server it measures
// (net/http's client would cost about as much). Without a rate it sends as
// fast as the server answers (closed loop); with one it sends on a fixed
// schedule (open loop) and measures each latency from the request's
// scheduled time, so a stalled server shows in the percentiles instead of
// silently slowing the schedule. hack/loadgen and hack/bench use it.
package load

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options say what to send, where, and how hard.
type Options struct {
	// URL is the target, http:// on a loopback address.
	URL string
	// Body is POSTed in every request, with ContentType.
	Body        []byte
	ContentType string
	// Headers are extra request headers, "Name: value".
	Headers []string
	// Conns is the number of keep-alive connections (1–1024).
	Conns int
	// Duration is how long to send (at most 5m).
	Duration time.Duration
	// Rate is requests per second in all; 0 sends as fast as answers come.
	Rate float64
	// HMACKey, when set, signs every request with a new nonce.
	HMACKey string
	// Unique is a placeholder in Body (at least 12 bytes) overwritten with
	// a new number in every request.
	Unique string
}

// Run sends the load and reports what came back.
func Run(o Options) (Report, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "http" {
		return Report{}, fmt.Errorf("want an http:// URL, got %q", o.URL)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return Report{}, fmt.Errorf("load is sent to loopback addresses only, got host %q", u.Hostname())
	}
	conns, duration, rate, hmacKey, unique := o.Conns, o.Duration, o.Rate, o.HMACKey, o.Unique
	if conns < 1 || conns > 1024 || duration <= 0 || duration > 5*time.Minute || rate < 0 {
		return Report{}, errors.New("want 1–1024 connections, a duration up to 5m and a non-negative rate")
	}
	contentType := o.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	body := o.Body
	head, tail := request(u, body, contentType, o.Headers)
	var at []int // offsets of the placeholder in the request, after the headers
	if unique != "" {
		for i := 0; ; {
			j := bytes.Index(tail[i:], []byte(unique))
			if j < 0 {
				break
			}
			at, i = append(at, i+j), i+j+len(unique)
		}
		if len(at) == 0 || len(unique) < 12 || hmacKey != "" {
			return Report{}, errors.New("-unique wants a placeholder of at least 12 bytes that the body holds, and no -hmac-key")
		}
	}
	sign := unsigned
	if hmacKey != "" {
		sign = signer(hmacKey, body)
	}

	var schedule chan time.Time
	deadline := time.Now().Add(duration)
	if rate > 0 {
		schedule = make(chan time.Time, conns)
		go pace(schedule, rate, deadline)
	}
	results := make([]result, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range results {
		wg.Go(func() {
			results[i] = worker(u.Host, head, tail, sign(i), numberer(i, at, len(unique)), deadline, schedule)
		})
	}
	wg.Wait()
	return summarize(results, time.Since(start)), nil
}

// request renders the request every worker sends, in two parts: signature
// headers, when signing, go between them.
func request(u *url.URL, body []byte, contentType string, extra []string) (head, tail []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, contentType, len(body))
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	return b.Bytes(), append([]byte("\r\n"), body...)
}

// headerFunc returns the extra headers of a worker's next request.
type headerFunc func() []byte

func unsigned(int) headerFunc { return func() []byte { return nil } }

// signer signs each request of worker w with a nonce of its own, as the
// README's scheme says. Nonces start with the run's start time, so two
// runs against one daemon within the skew window do not replay each other.
func signer(key string, body []byte) func(w int) headerFunc {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	return func(w int) headerFunc {
		n := 0
		return func() []byte {
			n++
			ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("loadgen-%s-%04d-%012d", run, w, n)
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(ts + "." + nonce + "."))
			m.Write(body)
			return []byte("X-Zen-Timestamp: " + ts + "\r\nX-Zen-Nonce: " + nonce + "\r\nX-Signature: sha256=" + hex.EncodeToString(m.Sum(nil)) + "\r\n")
		}
	}
}

// numberer overwrites every placeholder of width bytes, at offsets at of
// the request's tail, with worker w's next number; no offsets, nothing.
func numberer(w int, at []int, width int) func(tail []byte) {
	n := 0
	return func(tail []byte) {
		if len(at) == 0 {
			return
		}
		n++
		num := fmt.Sprintf("%0*d", width, w*1_000_000_000+n) // 12 digits hold 1,024 workers
		for _, i := range at {
			copy(tail[i:i+width], num)
		}
	}
}

// pace sends scheduled start times at rate until deadline.
func pace(schedule chan<- time.Time, rate float64, deadline time.Time) {
	defer close(schedule)
	interval := time.Duration(float64(time.Second) / rate)
	for at := time.Now(); at.Before(deadline); at = at.Add(interval) {
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		schedule <- at
	}
}

type result struct {
	latencies []time.Duration
	codes     map[int]int
	errs      int
	firstErr  error
}

func worker(addr string, head, tail []byte, sign headerFunc, number func([]byte), deadline time.Time, schedule <-chan time.Time) result {
	r := result{codes: map[int]int{}}
	req := make([]byte, 0, len(head)+len(tail)+256)
	var conn net.Conn
	var rd *bufio.Reader
	for {
		sent := time.Now()
		if schedule != nil {
			at, ok := <-schedule
			if !ok {
				break
			}
			sent = at
		} else if sent.After(deadline) {
			break
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				r.fail(err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, rd = c, bufio.NewReaderSize(c, 16<<10)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		req = append(append(req[:0], head...), sign()...)
		req = append(req, tail...)
		number(req[len(req)-len(tail):])
		code, keep, err := roundTrip(conn, rd, req)
		if err != nil {
			r.fail(err)
			conn.Close()
			conn = nil
			continue
		}
		r.latencies = append(r.latencies, time.Since(sent))
		r.codes[code]++
		if !keep {
			conn.Close()
			conn = nil
		}
	}
	if conn != nil {
		conn.Close()
	}
	return r
}

func (r *result) fail(err error) {
	r.errs++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// roundTrip writes req and reads one response, which must carry a
// Content-Length: zen-watcher's answers are small, so net/http sets one.
func roundTrip(conn net.Conn, rd *bufio.Reader, req []byte) (code int, keepAlive bool, err error) {
	if _, err = conn.Write(req); err != nil {
		return 0, false, err
	}
	status, err := rd.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(status) < 12 {
		return 0, false, fmt.Errorf("short status line %q", status)
	}
	if code, err = strconv.Atoi(string(status[9:12])); err != nil {
		return 0, false, fmt.Errorf("status line %q", status)
	}
	length, keepAlive := -1, true
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, _ := strings.Cut(strings.TrimSpace(string(line)), ":")
		switch strings.ToLower(name) {
		case "content-length":
			length, _ = strconv.Atoi(strings.TrimSpace(value))
		case "connection":
			keepAlive = !strings.EqualFold(strings.TrimSpace(value), "close")
		}
	}
	if length < 0 {
		return 0, false, errors.New("response without Content-Length")
	}
	_, err = rd.Discard(length)
	return code, keepAlive, err
}

// Report is the outcome of a run.
type Report struct {
	// Requests answered, in Elapsed.
	Requests int
	Elapsed  time.Duration
	// P50 … Max are latency percentiles; with a Rate, each from the
	// request's scheduled time.
	P50, P90, P99, P999, Max time.Duration
	// Codes counts answers by HTTP status.
	Codes map[int]int
	// Errors counts connection and protocol errors; FirstErr is the first.
	Errors   int
	FirstErr error
}

// PerSecond is the rate of answered requests.
func (r Report) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// OK counts the 2xx answers.
func (r Report) OK() int {
	n := 0
	for c, k := range r.Codes {
		if c >= 200 && c < 300 {
			n += k
		}
	}
	return n
}

func summarize(results []result, elapsed time.Duration) Report {
	var all []time.Duration
	r := Report{Elapsed: elapsed, Codes: map[int]int{}}
	for _, w := range results {
		all = append(all, w.latencies...)
		for c, n := range w.codes {
			r.Codes[c] += n
		}
		r.Errors += w.errs
		if r.FirstErr == nil {
			r.FirstErr = w.firstErr
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	r.Requests = len(all)
	r.P50, r.P90, r.P99, r.P999, r.Max = pct(.50), pct(.90), pct(.99), pct(.999), pct(1)
	return r
}

// Print writes the report as loadgen prints it.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "requests %d in %s: %.0f/s\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond())
	fmt.Fprintf(w, "latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", r.P50, r.P90, r.P99, r.P999, r.Max)
	fmt.Fprintf(w, "status %v  errors %d\n", r.Codes, r.Errors)
	if r.FirstErr != nil && !errors.Is(r.FirstErr, io.EOF) {
		fmt.Fprintf(w, "first error: %v\n", r.FirstErr)
	}
}
