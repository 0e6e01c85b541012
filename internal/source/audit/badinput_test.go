package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// goodItem is an event that makes a finding (a secret create).
func goodItem(t *testing.T, id string) []byte {
	return mustJSON(t, eventWith(map[string]any{"auditID": id, "verb": "create", "objectRef": secretRef}))
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

func TestWholeBodyErrors(t *testing.T) {
	good := string(goodItem(t, "a"))
	cases := []sourcetest.Case{
		{Name: "empty", In: "", Reason: source.ReasonNoPayload},
		{Name: "white space", In: " \r\n\t", Reason: source.ReasonNoPayload},
		{Name: "array", In: `[]`, Reason: source.ReasonUnknownShape},
		{Name: "array of events", In: `[` + good + `]`, Reason: source.ReasonUnknownShape},
		{Name: "string", In: `"EventList"`, Reason: source.ReasonUnknownShape},
		{Name: "number", In: `5`, Reason: source.ReasonUnknownShape},
		{Name: "null", In: `null`, Reason: source.ReasonUnknownShape},
		{Name: "not JSON", In: `hello`, Reason: source.ReasonInvalidJSON},
		{Name: "truncated", In: `{"kind":"EventList","items":[{"auditID":"a"`, Reason: source.ReasonInvalidJSON},
		{Name: "truncated after a good item", In: `{"kind":"EventList","items":[` + good + `,`, Reason: source.ReasonInvalidJSON},
		{Name: "syntax error in a later item", In: `{"kind":"EventList","items":[` + good + `,{"auditID":}]}`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing garbage", In: `{"kind":"EventList","items":[]} x`, Reason: source.ReasonInvalidJSON},
		{Name: "two objects", In: `{"kind":"EventList"} {}`, Reason: source.ReasonInvalidJSON},
		{Name: "bad escape", In: `{"kind":"Event","auditID":"\x"}`, Reason: source.ReasonInvalidJSON},
		{Name: "raw control character", In: "{\"kind\":\"Event\",\"auditID\":\"a\x01\"}", Reason: source.ReasonInvalidJSON},
		{Name: "single quotes", In: `{'kind':'EventList'}`, Reason: source.ReasonInvalidJSON},
		{Name: "trailing comma", In: `{"kind":"EventList","items":[],}`, Reason: source.ReasonInvalidJSON},
		{Name: "leading zero", In: `{"kind":"EventList","x":01}`, Reason: source.ReasonInvalidJSON},
		{Name: "nested beyond encoding/json's limit", In: `{"kind":"EventList","items":[{"auditID":"a","requestObject":` + nested(maxDepth) + `}]}`, Reason: source.ReasonInvalidJSON},
		{Name: "wrong kind", In: `{"kind":"PodList","apiVersion":"v1","items":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "core EventList", In: `{"kind":"EventList","apiVersion":"v1","items":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "core Event", In: `{"kind":"Event","apiVersion":"v1","involvedObject":{}}`, Reason: source.ReasonUnknownShape},
		{Name: "Event with items", In: `{"kind":"Event","auditID":"a","items":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "items without a kind", In: `{"items":[` + good + `]}`, Reason: source.ReasonUnknownShape},
		{Name: "kind after items", In: `{"items":[` + good + `],"kind":"PolicyReportList"}`, Reason: source.ReasonUnknownShape},
		{Name: "empty object", In: `{}`, Reason: source.ReasonUnknownShape},
		{Name: "kind twice", In: `{"kind":"Event","kind":"EventList","items":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "a repeated member of a lone Event", In: `{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","verb":"delete"}`, Reason: source.ReasonUnknownShape},
		{Name: "items twice", In: `{"kind":"EventList","items":[` + good + `],"items":[]}`, Reason: source.ReasonUnknownShape},
		{Name: "items is an object", In: `{"kind":"EventList","items":{"0":` + good + `}}`, Reason: source.ReasonWrongType},
		{Name: "items is a string", In: `{"kind":"EventList","items":"none"}`, Reason: source.ReasonWrongType},
		{Name: "kind is a number", In: `{"kind":5,"items":[]}`, Reason: source.ReasonWrongType},
		{Name: "apiVersion is an array", In: `{"kind":"EventList","apiVersion":["audit.k8s.io/v1"]}`, Reason: source.ReasonWrongType},
	}
	p := NewParser(nil)
	sourcetest.Refuses(t, SourceName, cases, func(in []byte) (bool, error) {
		b, err := p.Parse(in, sourcetest.Now)
		return b.Items == 0 && b.Findings == nil && b.Dropped == nil && b.Rejected == nil, err
	})
}

func TestSyntaxErrorNamesTheByte(t *testing.T) {
	_, err := NewParser(nil).Parse([]byte(`{"kind":"EventList","items":[}`), sourcetest.Now)
	if err == nil || !strings.Contains(err.Error(), "at byte 30") {
		t.Errorf("err %v; want the byte of the '}'", err)
	}
}

func TestEmptyLists(t *testing.T) {
	for _, body := range []string{
		`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[]}`,
		`{"kind":"EventList","items":null}`,
		`{"kind":"EventList"}`,
		`{"apiVersion":"audit.k8s.io/v1beta1","kind":"EventList","items":[]}`,
	} {
		if b := parseOK(t, NewParser(nil), []byte(body)); b.Items != 0 || b.Findings != nil {
			t.Errorf("%s: got %+v; want an empty batch", body, b)
		}
	}
}

func TestBrokenItemAmongGoodOnes(t *testing.T) {
	base := eventWith(map[string]any{"auditID": "bad", "verb": "create", "objectRef": secretRef})
	cases := []struct {
		name, item, pointer, reason string
	}{
		{"a number", `5`, "/items/1", source.ReasonWrongType},
		{"a string", `"event"`, "/items/1", source.ReasonWrongType},
		{"null", `null`, "/items/1", source.ReasonWrongType},
		{"an array", `[{"auditID":"x"}]`, "/items/1", source.ReasonWrongType},
		{"auditID is a number", over(t, base, "auditID", 5), "/items/1/auditID", source.ReasonWrongType},
		{"verb is a boolean", over(t, base, "verb", true), "/items/1/verb", source.ReasonWrongType},
		{"user is a string", over(t, base, "user", "alice"), "/items/1/user", source.ReasonWrongType},
		{"username is an object", over(t, base, "user", map[string]any{"username": map[string]any{}}), "/items/1/user/username", source.ReasonWrongType},
		{"groups is a string", over(t, base, "user", map[string]any{"username": "a", "groups": "dev"}), "/items/1/user/groups", source.ReasonWrongType},
		{"a group is a number", over(t, base, "user", map[string]any{"username": "a", "groups": []any{"dev", 7}}), "/items/1/user/groups/1", source.ReasonWrongType},
		{"impersonated user is a list", over(t, base, "impersonatedUser", []any{"x"}), "/items/1/impersonatedUser", source.ReasonWrongType},
		{"a source IP is a number", over(t, base, "sourceIPs", []any{1}), "/items/1/sourceIPs/0", source.ReasonWrongType},
		{"objectRef is a string", over(t, base, "objectRef", "secrets/db"), "/items/1/objectRef", source.ReasonWrongType},
		{"objectRef name is a number", over(t, base, "objectRef", map[string]any{"resource": "secrets", "name": 1}), "/items/1/objectRef/name", source.ReasonWrongType},
		{"code is a string", over(t, base, "responseStatus", map[string]any{"code": "403"}), "/items/1/responseStatus/code", source.ReasonWrongType},
		{"code has a fraction", over(t, base, "responseStatus", map[string]any{"code": 403.5}), "/items/1/responseStatus/code", source.ReasonWrongType},
		{"code beyond int32", over(t, base, "responseStatus", map[string]any{"code": 1e10}), "/items/1/responseStatus/code", source.ReasonWrongType},
		{"status message is a number", over(t, base, "responseStatus", map[string]any{"code": 200, "message": 1}), "/items/1/responseStatus/message", source.ReasonWrongType},
		{"an annotation is a number", over(t, base, "annotations", map[string]any{"authorization.k8s.io/decision": 1}), "/items/1/annotations/authorization.k8s.io~1decision", source.ReasonWrongType},
		{"another annotation is a list", over(t, base, "annotations", map[string]any{"authorization.k8s.io/decision": "allow", "team": []any{"a"}}), "/items/1/annotations/team", source.ReasonWrongType},
		{"annotations is a list", over(t, base, "annotations", []any{}), "/items/1/annotations", source.ReasonWrongType},
		{"stageTimestamp is a number", over(t, base, "stageTimestamp", 1700000000), "/items/1/stageTimestamp", source.ReasonWrongType},
		{"no auditID", over(t, base, "auditID", nil), "/items/1/auditID", source.ReasonMissingField},
		{"empty auditID", over(t, base, "auditID", ""), "/items/1/auditID", source.ReasonMissingField},
		{"blank auditID", over(t, base, "auditID", "  "), "/items/1/auditID", source.ReasonMissingField},
		{"no stage", over(t, base, "stage", nil), "/items/1/stage", source.ReasonMissingField},
		{"no verb", over(t, base, "verb", nil), "/items/1/verb", source.ReasonMissingField},
		{"another kind", over(t, base, "kind", "PolicyReport"), "/items/1/kind", source.ReasonUnknownValue},
		{"another apiVersion", over(t, base, "apiVersion", "v1"), "/items/1/apiVersion", source.ReasonUnknownValue},
		{"a repeated member", strings.Replace(over(t, base, "verb", "create"), `"verb":"create"`, `"verb":"get","verb":"create"`, 1), "/items/1/verb", source.ReasonInvalidJSON},
		{"a repeated member deep down", over(t, base, "requestObject", json.RawMessage(`{"spec":{"hostPID":false,"hostPID":true}}`)), "/items/1/requestObject/spec/hostPID", source.ReasonInvalidJSON},
		{"a wrong type beats a missing member", over(t, merge(base, map[string]any{"auditID": 1}), "verb", nil), "/items/1/auditID", source.ReasonWrongType},
	}
	p := NewParser(nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := parseOK(t, p, list(goodItem(t, "first"), []byte(c.item), goodItem(t, "last")))
			if b.Items != 3 || len(b.Findings) != 2 || len(b.Rejected) != 1 {
				t.Fatalf("got %+v; want two findings and one rejection", b)
			}
			if b.Findings[0].DedupKey != "first" || b.Findings[1].DedupKey != "last" {
				t.Errorf("the good items were not kept: %s, %s", b.Findings[0].DedupKey, b.Findings[1].DedupKey)
			}
			r := b.Rejected[0]
			if r.Index != 1 || r.Pointer != c.pointer || r.Reason != c.reason {
				t.Errorf("rejected %+v; want index 1, %s, %s", r, c.pointer, c.reason)
			}
			if !strings.HasSuffix(r.Detail, ".") || len(r.Detail) < 20 {
				t.Errorf("detail %q is not a sentence", r.Detail)
			}
		})
	}
}

// over is a JSON item of base with one member replaced (nil removes it).
func over(t *testing.T, base map[string]any, key string, v any) string {
	m := merge(base, nil)
	if v == nil {
		delete(m, key)
	} else {
		m[key] = v
	}
	return string(mustJSON(t, m))
}

func TestBrokenSingleEvent(t *testing.T) {
	b := parseOK(t, NewParser(nil), []byte(`{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":5}`))
	if b.Items != 1 || len(b.Rejected) != 1 {
		t.Fatalf("got %+v; want one rejection", b)
	}
	if r := b.Rejected[0]; r.Index != 0 || r.Pointer != "/verb" || r.Reason != source.ReasonWrongType {
		t.Errorf("rejected %+v; want index 0, /verb, wrong-type", r)
	}
	b = parseOK(t, NewParser(nil), []byte(`{"auditID":"a","verb":"get"}`))
	if len(b.Rejected) != 1 || b.Rejected[0].Pointer != "/stage" || b.Rejected[0].Reason != source.ReasonMissingField {
		t.Errorf("got %+v; want /stage missing", b)
	}
}

func TestHugeAndDeepRequestObjects(t *testing.T) {
	big := strings.Repeat("A", 8<<20)
	many := make([]any, 200_000)
	for i := range many {
		many[i] = map[string]any{"name": "v", "emptyDir": map[string]any{}}
	}
	hostile := pod(map[string]any{"hostPID": true, "volumes": many})
	hostile["metadata"] = map[string]any{"name": "x", "annotations": map[string]any{"blob": big}}
	huge := mustJSON(t, eventWith(merge(podCreate, map[string]any{"requestObject": hostile})))
	b := parseOK(t, NewParser(nil), list(huge, goodItem(t, "after")))
	if len(b.Findings) != 2 || b.Findings[0].Details["rule"] != "host-access-pod" {
		t.Fatalf("got %+v; want host-access-pod and the item after it", b.Findings)
	}
	if d := mustJSON(t, b.Findings[0].Details); bytes.Contains(d, []byte("AAAA")) {
		t.Error("the request body leaked into details")
	}

	deep := bytes.Replace(goodItem(t, "deep"), []byte(`"verb"`), []byte(`"requestObject":`+nested(maxDepth-3)+`,"verb"`), 1)
	if b := parseOK(t, NewParser(nil), list(deep)); len(b.Findings) != 1 {
		t.Errorf("nesting within the limit: got %+v", b)
	}
}

func TestOddButValidStrings(t *testing.T) {
	// Escapes as Go's encoder writes them (& as \u0026), a surrogate pair,
	// and invalid UTF-8 (read as U+FFFD, as encoding/json does). A
	// repeated member is refused, unlike in encoding/json: see
	// TestWholeBodyErrors and TestBrokenItemAmongGoodOnes.
	body := []byte("{\"kind\":\"Event\",\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"verb\":\"\\u0063reate\"," +
		"\"user\":{\"username\":\"bad\xffname \\ud83d\\ude00\"},\"requestURI\":\"/api/v1/namespaces/a/secrets?x=1\\u0026y=2\"," +
		"\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"a\",\"name\":\"s\"}}")
	b := parseOK(t, NewParser(nil), body)
	if len(b.Findings) != 1 {
		t.Fatalf("got %+v", b)
	}
	d := b.Findings[0].Details
	if d["verb"] != "create" || d["user"] != "bad\uFFFDname 😀" || d["requestURI"] != "/api/v1/namespaces/a/secrets?x=1&y=2" {
		t.Errorf("details %v", d)
	}
}
