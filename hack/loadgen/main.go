// Command loadgen drives a zen-watcher webhook on loopback and reports
// throughput and latency. It speaks HTTP/1.1 over raw keep-alive
// connections, so on a small machine the generator costs less than the
// server it measures (net/http's client would cost about as much).
//
//	loadgen -url http://127.0.0.1:8080/falco/webhook -body alert.json \
//	  -header 'Authorization: Bearer …' -conns 64 -duration 10s [-rate 2000]
//	loadgen … -hmac-key KEY    # sign every request instead
//
// Without -rate it sends as fast as the server answers (closed loop).
// With -rate it sends on a fixed schedule (open loop) and measures each
// latency from the request's scheduled time, so a stalled server shows in
// the percentiles instead of silently slowing the schedule.
package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	target := flag.String("url", "", "webhook URL on a loopback address")
	bodyFile := flag.String("body", "", "file whose content is POSTed")
	contentType := flag.String("content-type", "application/json", "Content-Type of the body")
	conns := flag.Int("conns", 64, "keep-alive connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to send (at most 5m)")
	rate := flag.Float64("rate", 0, "requests per second in all; 0 sends as fast as answers come")
	hmacKey := flag.String("hmac-key", "", "sign every request with this key and a new nonce (X-Zen-Timestamp, X-Zen-Nonce, X-Signature)")
	var extra headers
	flag.Var(&extra, "header", "extra request header 'Name: value' (repeatable)")
	unique := flag.String("unique", "", "a placeholder in the body (at least 12 bytes) overwritten with a new number in every request, so each request is a new finding")
	flag.Parse()
	if err := run(*target, *bodyFile, *contentType, extra, *conns, *duration, *rate, *hmacKey, *unique); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(target, bodyFile, contentType string, extra headers, conns int, duration time.Duration, rate float64, hmacKey, unique string) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("want an http:// URL, got %q", target)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("load is sent to loopback addresses only, got host %q", u.Hostname())
	}
	if conns < 1 || conns > 1024 || duration <= 0 || duration > 5*time.Minute || rate < 0 {
		return errors.New("want 1–1024 connections, a duration up to 5m and a non-negative rate")
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	head, tail := request(u, body, contentType, extra)
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
			return errors.New("-unique wants a placeholder of at least 12 bytes that the body holds, and no -hmac-key")
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
	report(results, time.Since(start))
	return nil
}

// request renders the request every worker sends, in two parts: signature
// headers, when signing, go between them.
func request(u *url.URL, body []byte, contentType string, extra headers) (head, tail []byte) {
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

func report(results []result, elapsed time.Duration) {
	var all []time.Duration
	codes, errs := map[int]int{}, 0
	var firstErr error
	for _, r := range results {
		all = append(all, r.latencies...)
		for c, n := range r.codes {
			codes[c] += n
		}
		errs += r.errs
		if firstErr == nil {
			firstErr = r.firstErr
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	fmt.Printf("requests %d in %s: %.0f/s\n", len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds())
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(.50), pct(.90), pct(.99), pct(.999), pct(1))
	fmt.Printf("status %v  errors %d\n", codes, errs)
	if firstErr != nil && !errors.Is(firstErr, io.EOF) {
		fmt.Printf("first error: %v\n", firstErr)
	}
}
