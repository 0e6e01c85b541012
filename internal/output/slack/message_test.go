package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
	"github.com/kube-zen/zen-watcher/internal/output"
	"github.com/kube-zen/zen-watcher/internal/output/httpsend"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func delivery(i int, sev zenv1.Severity, trig output.Trigger) output.Delivery {
	first := metav1.NewTime(t0)
	return output.Delivery{Trigger: trig, Event: &zenv1.ZenAgentEvent{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("trivy-%d", i), Namespace: "prod"},
		Spec: zenv1.ZenAgentEventSpec{Source: "trivy", Category: zenv1.CategorySecurity, Severity: sev, EventType: "vulnerability",
			Rule: fmt.Sprintf("CVE-2024-%d", i%7), Title: fmt.Sprintf("finding %d in libfoo", i), DedupKey: fmt.Sprint(i),
			Resource: &zenv1.ResourceRef{Kind: "Deployment", Name: fmt.Sprintf("api-%d", i), Namespace: "prod"}},
		Status: zenv1.ZenAgentEventStatus{Count: int64(1 + i%3), FirstSeen: &first, LastSeen: &first, State: zenv1.StateOpen},
	}}
}

var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// shape checks a message the way Slack would refuse it, and returns how
// many findings it accounts for (listed, and summarised as "N more").
func shape(t *testing.T, raw []byte) (msg slack.WebhookMessage, accounted int) {
	t.Helper()
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatalf("not a Slack webhook message: %v", err)
	}
	if msg.Text == "" || utf8.RuneCountInString(msg.Text) > 4000 {
		t.Fatalf("top-level text: %d characters", utf8.RuneCountInString(msg.Text))
	}
	if msg.Blocks == nil || len(msg.Blocks.BlockSet) < 2 {
		t.Fatal("no header and context")
	}
	h, ok := msg.Blocks.BlockSet[0].(*slack.HeaderBlock)
	if !ok || h.Text.Type != slack.PlainTextType || utf8.RuneCountInString(h.Text.Text) > maxHeader || h.Text.Validate() != nil {
		t.Fatalf("header: %#v", msg.Blocks.BlockSet[0])
	}
	blocks := len(msg.Blocks.BlockSet)
	more := regexp.MustCompile(`^(?:…and )?(\d+) `)
	texts := []*slack.TextBlockObject{}
	for _, a := range msg.Attachments {
		if !hexColour.MatchString(a.Color) || a.Fallback == "" {
			t.Fatalf("attachment colour %q fallback %q", a.Color, a.Fallback)
		}
		blocks += len(a.Blocks.BlockSet)
		for _, b := range a.Blocks.BlockSet {
			switch b := b.(type) {
			case *slack.SectionBlock:
				accounted++
				texts = append(texts, b.Text)
			case *slack.ContextBlock:
				tx := b.ContextElements.Elements[0].(*slack.TextBlockObject)
				texts = append(texts, tx)
				m := more.FindStringSubmatch(tx.Text)
				if m == nil {
					t.Fatalf("summary %q", tx.Text)
				}
				var n int
				fmt.Sscan(m[1], &n)
				accounted += n
			default:
				t.Fatalf("unexpected block %T", b)
			}
		}
	}
	if blocks > MaxBlocks {
		t.Fatalf("%d blocks, Slack takes %d", blocks, MaxBlocks)
	}
	for _, tx := range texts {
		if err := tx.Validate(); err != nil {
			t.Fatalf("text %q: %v", tx.Text, err)
		}
		if tx.Type != slack.MarkdownType || !tx.Verbatim {
			t.Fatalf("finding text must be verbatim mrkdwn: %+v", tx)
		}
		if strings.ContainsAny(tx.Text, "<>") || strings.Contains(tx.Text, "://") {
			t.Fatalf("a link or mention could form: %q", tx.Text)
		}
	}
	return msg, accounted
}

func TestMessageGroupsABurst(t *testing.T) {
	var batch []output.Delivery
	sevs := []zenv1.Severity{zenv1.SeverityCritical, zenv1.SeverityHigh, zenv1.SeverityHigh, zenv1.SeverityMedium, zenv1.SeverityLow, zenv1.SeverityInfo, zenv1.SeverityMedium}
	for i := range 500 {
		trig := output.TriggerCreated
		if i%10 == 9 {
			trig = output.TriggerResolved
		}
		batch = append(batch, delivery(i, sevs[i%len(sevs)], trig))
	}
	raw, _ := json.Marshal(Message("cluster-a", batch))
	msg, accounted := shape(t, raw)
	if accounted != 500 {
		t.Fatalf("the message accounts for %d findings, want 500", accounted)
	}
	if len(msg.Attachments) != 6 || msg.Attachments[0].Color != colours[zenv1.SeverityCritical] || msg.Attachments[5].Color != colourResolved {
		t.Fatalf("want CRITICAL first and resolved last: %d attachments", len(msg.Attachments))
	}
	h := msg.Blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text
	if h != "500 findings (450 new, 50 resolved) on cluster-a" {
		t.Fatalf("header %q", h)
	}
	// All 20 listed are the most severe: CRITICAL has 72 of the 450 open.
	if n := len(msg.Attachments[0].Blocks.BlockSet); n != MaxListed+1 {
		t.Fatalf("CRITICAL lists %d blocks, want %d and a summary", n, MaxListed)
	}
	if len(raw) > 40_000 {
		t.Fatalf("message of %d bytes", len(raw))
	}
}

func TestMessageOfOne(t *testing.T) {
	d := delivery(1, zenv1.SeverityHigh, output.TriggerEscalated)
	d.Event.Status.Count = 12
	raw, _ := json.Marshal(Message("c", []output.Delivery{d}))
	msg, accounted := shape(t, raw)
	if accounted != 1 || msg.Blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text != "1 escalated finding on c" {
		t.Fatalf("got %d, %q", accounted, msg.Blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text)
	}
	sec := msg.Attachments[0].Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text
	for _, want := range []string{"*finding 1 in libfoo*", "HIGH `trivy`", "rule `CVE-2024-1`", "`Deployment/api-1`", "namespace `prod`", "escalated, seen 12 times"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section %q lacks %q", sec, want)
		}
	}
}

func TestHostileFindingText(t *testing.T) {
	d := delivery(1, "BOGUS", output.TriggerCreated)
	d.Event.Spec.Title = "<!channel> *URGENT* <https://evil.example/login|reset your password>\n\x00`rm -rf`"
	d.Event.Spec.Rule = "r`ule<@U123>"
	d.Event.Spec.Resource.Name = strings.Repeat("\u202e<", 5000)
	d.Event.Spec.Source = "x&y"
	empty := delivery(2, zenv1.SeverityLow, output.TriggerCreated)
	empty.Event.Spec.Title, empty.Event.Spec.Rule, empty.Event.Spec.Resource = "", "", nil
	raw, _ := json.Marshal(Message("<!here>", []output.Delivery{d, empty, {Trigger: output.TriggerCreated}}))
	msg, accounted := shape(t, raw)
	if accounted != 2 {
		t.Fatalf("accounted %d", accounted)
	}
	if strings.Contains(msg.Text, "<") || strings.Contains(msg.Text, ">") {
		t.Fatalf("top-level text %q", msg.Text)
	}
	// LOW first; the unknown severity is shown as INFO, last.
	sec := msg.Attachments[1].Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text
	if strings.Contains(sec, "*URGENT*") || strings.Count(sec, "*") != 2 {
		t.Fatalf("a title restyled the message: %q", sec)
	}
	if !strings.Contains(msg.Attachments[0].Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text, "*vulnerability*") {
		t.Fatal("a finding without title or rule is shown by its type")
	}
}

// slackServer stands in for an incoming webhook: it checks every payload's
// shape and answers as told.
type slackServer struct {
	t      *testing.T
	answer func(n int) (int, http.Header, string)

	mu       sync.Mutex
	requests int
	findings int
}

func (s *slackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.URL.Path != "/services/T0/B0/SECRET" {
		s.t.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(r.Body)
	if code, h, body := s.answer(s.requests); code != http.StatusOK {
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
		return
	}
	_, n := shape(s.t, raw)
	s.findings += n
	io.WriteString(w, "ok")
}

func TestNotifyPostsAndClassifies(t *testing.T) {
	srv := &slackServer{t: t}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	srv.answer = func(n int) (int, http.Header, string) {
		switch n {
		case 1:
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}, "rate_limited"
		case 2:
			return http.StatusNotFound, nil, "no_service"
		}
		return http.StatusOK, nil, ""
	}
	n, err := New(Config{URL: ts.URL + "/services/T0/B0/SECRET", Cluster: "cluster-a", Client: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var batch []output.Delivery
	for i := range 500 {
		batch = append(batch, delivery(i, zenv1.SeverityHigh, output.TriggerCreated))
	}
	retry, err := n.Notify(context.Background(), batch)
	if d, ok := output.RetryAfter(err); !retry || !ok || d != 30*time.Second {
		t.Fatalf("429: got %v %v", retry, err)
	}
	retry, err = n.Notify(context.Background(), batch)
	if retry || err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no_service") || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("404: got %v %v", retry, err)
	}
	if retry, err := n.Notify(context.Background(), batch); retry || err != nil {
		t.Fatalf("ok: got %v %v", retry, err)
	}
	if srv.requests != 3 || srv.findings != 500 {
		t.Fatalf("%d requests, %d findings", srv.requests, srv.findings)
	}
	if retry, err := n.Notify(context.Background(), nil); retry || err != nil || srv.requests != 3 {
		t.Fatal("an empty batch posts nothing")
	}
	ts.Close()
	retry, err = n.Notify(context.Background(), batch[:1])
	var se *httpsend.StatusError
	if !retry || err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "/services") {
		t.Fatalf("receiver down: %v %v %v", retry, err, se)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "hooks/services/T/B/SECRET", Client: http.DefaultClient}, "absolute https URL"},
		{Config{URL: "http://[::1/services/SECRET", Client: http.DefaultClient}, "not a URL"},
		{Config{URL: "https://hooks.example/services/SECRET"}, "client: required"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%+v: %v", tc.cfg.URL, err)
		}
	}
}

// TestURLFromIsReadAtEverySend: a rotated URL applies to the next batch;
// an unreadable one is retried; a malformed one is refused unquoted.
func TestURLFromIsReadAtEverySend(t *testing.T) {
	srv := &slackServer{t: t, answer: func(int) (int, http.Header, string) { return http.StatusOK, nil, "" }}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	url, fail := ts.URL+"/services/T0/B0/SECRET", error(nil)
	n, err := New(Config{URLFrom: func(context.Context) (string, error) { return url, fail }, Cluster: "c", Client: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	batch := []output.Delivery{delivery(1, zenv1.SeverityHigh, output.TriggerCreated)}
	if _, err := n.Notify(context.Background(), batch); err != nil || srv.requests != 1 {
		t.Fatalf("%v, %d requests", err, srv.requests)
	}
	fail = fmt.Errorf("secret not found")
	if retry, err := n.Notify(context.Background(), batch); !retry || err == nil {
		t.Fatalf("unreadable: %v %v", retry, err)
	}
	url, fail = "http://[::1/services/SECRET", nil
	if retry, err := n.Notify(context.Background(), batch); retry || err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("malformed: %v %v", retry, err)
	}
}
