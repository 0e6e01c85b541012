// Command loadgen drives a zen-watcher webhook on loopback and reports
// throughput and latency (see package load).
//
//	loadgen -url http://127.0.0.1:8080/falco/webhook -body alert.json \
//	  -header 'Authorization: Bearer …' -conns 64 -duration 10s [-rate 2000]
//	loadgen … -hmac-key KEY    # sign every request instead
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kube-zen/zen-watcher/hack/loadgen/load"
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
	body, err := os.ReadFile(*bodyFile)
	if err == nil {
		var r load.Report
		r, err = load.Run(load.Options{URL: *target, Body: body, ContentType: *contentType, Headers: extra, Conns: *conns,
			Duration: *duration, Rate: *rate, HMACKey: *hmacKey, Unique: *unique})
		if err == nil {
			r.Print(os.Stdout)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
