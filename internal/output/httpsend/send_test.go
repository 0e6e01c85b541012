package httpsend

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/output"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name       string
		code       int
		retryAfter string
		wantRetry  bool
		wantErr    bool
		wantAfter  time.Duration
	}{
		{"200", 200, "", false, false, 0},
		{"202", 202, "", false, false, 0},
		{"204 ignores Retry-After", 204, "5", false, false, 0},
		{"301 is not followed twice", 301, "", false, true, 0},
		{"400", 400, "", false, true, 0},
		{"401", 401, "", false, true, 0},
		{"404", 404, "", false, true, 0},
		{"409", 409, "", false, true, 0},
		{"413", 413, "", false, true, 0},
		{"408", 408, "", true, true, 0},
		{"429 with seconds", 429, "7", true, true, 7 * time.Second},
		{"429 with a date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), true, true, 90 * time.Second},
		{"429 with a past date", 429, now.Add(-time.Hour).Format(http.TimeFormat), true, true, 0},
		{"429 with garbage", 429, "soon", true, true, 0},
		{"429 with a negative number", 429, "-5", true, true, 0},
		{"503 with a huge delay", 503, "99999999999999999", true, true, MaxRetryAfter},
		{"500", 500, "", true, true, 0},
		{"400 Retry-After is not a retry", 400, "3", false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			retry, err := Classify(tc.code, h, []byte("nope"), now)
			if retry != tc.wantRetry || (err != nil) != tc.wantErr {
				t.Fatalf("got retry=%v err=%v", retry, err)
			}
			if err == nil {
				return
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tc.code || se.Excerpt != "nope" {
				t.Fatalf("want a StatusError with code and excerpt, got %#v", err)
			}
			d, ok := output.RetryAfter(err)
			if ok != (tc.wantAfter > 0 || strings.Contains(tc.name, "past")) || d != tc.wantAfter {
				t.Fatalf("retry after: got %v %v, want %v", d, ok, tc.wantAfter)
			}
		})
	}
}

func TestDoRedactsTheURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: the connection is refused
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/services/T000/B000/SECRETTOKEN?token=abc", nil)
	retry, err := Do(context.Background(), &http.Client{Timeout: 5 * time.Second}, req, time.Now)
	if !retry || err == nil {
		t.Fatalf("a refused connection is retried: %v %v", retry, err)
	}
	if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "token") {
		t.Fatalf("the error leaks the URL: %v", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Fatalf("the error should name the host: %v", err)
	}
}

func TestDoReadsABoundedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		chunk := []byte(strings.Repeat("x\x00\x1b[31m<script>", 1<<10))
		for range 1 << 10 { // 16 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	retry, err := Do(context.Background(), srv.Client(), req, time.Now)
	var se *StatusError
	if retry || !errors.As(err, &se) || se.Code != 400 {
		t.Fatalf("got %v %v", retry, err)
	}
	if len(se.Excerpt) > MaxExcerpt || strings.ContainsAny(se.Excerpt, "\x00\x1b\n") {
		t.Fatalf("excerpt not bounded or not printable: %d %q", len(se.Excerpt), se.Excerpt[:40])
	}
}

func TestDoCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/secret", nil)
	retry, err := Do(ctx, srv.Client(), req, time.Now)
	if !retry || !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v %v", retry, err)
	}
}
