package audit

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The webhook body is read with github.com/go-json-experiment/json, the
// module behind the Go team's encoding/json/v2 proposal, because the API
// server waits on us: it unmarshals into the structs below about three
// times as fast as encoding/json (which takes about 25 µs per event on a
// 2-core machine, see BenchmarkEncodingJSONBaseline), and its
// jsontext.Decoder walks an EventList's items one by one, so a bad item
// costs only itself.
//
// Two of its defaults differ from encoding/json, deliberately:
//   - Member names match exactly ("verb", not "Verb"), as the API server
//     writes them.
//   - A member name may not appear twice in one object. The API server
//     never repeats one, and a repeated "verb" or "user" is read one way
//     here and another way by the next reader of the same log. An item
//     that repeats a name is rejected (invalid-json, pointing at the
//     repeat); the other items of the list are kept. A repeated
//     top-level member refuses the whole body (unknown-shape).
//
// Invalid UTF-8 is accepted, as by encoding/json, and read as U+FFFD: the
// user names and URIs come from clients, and one odd byte must not cost
// the event.

// itemOptions are the options every item is unmarshaled with. The
// nesting limit is jsontext's (10000, as encoding/json's).
var itemOptions = jsontext.AllowInvalidUTF8(true)

// event holds the members of one audit.k8s.io/v1 Event that the rules and
// findings read.
type event struct {
	kind, apiVersion, level, auditID, stage, requestURI, verb, userAgent string

	user         userInfo
	impersonated userInfo
	sourceIPs    []string

	objectRef    objectRef
	hasObjectRef bool

	// code is responseStatus.code, 0 when absent.
	code int32

	requestReceived, stageTime string
	// timestamp is the v1beta1-era member that the 2018 events still
	// carry, read only when the v1 times are missing.
	timestamp string

	// decision and decisionReason are the authorizer's annotations.
	decision, decisionReason string

	// requestObject and responseObject are the raw JSON of the request
	// and response bodies, present at level Request and RequestResponse;
	// nil when absent or null. Only a rule that needs them decodes them,
	// and findings never copy them: they may hold secret data.
	requestObject, responseObject jsontext.Value

	// raw is the whole item, for custom rules; valid for one take call.
	raw jsontext.Value
}

// userInfo is authentication.k8s.io/v1 UserInfo, without extra.
type userInfo struct {
	username string
	groups   []string
}

// objectRef is the audit ObjectReference, without uid and resourceVersion.
type objectRef struct {
	resource, namespace, name, apiGroup, apiVersion, subresource string
}

// wireEvent is the JSON shape of an Event, as far as it is read: json
// fills exported members only, and an event copies what it needs (string
// headers, no bytes). Every member listed is type-checked; uid, status,
// reason and message are read for that alone. Members not listed are
// checked as JSON and skipped.
type wireEvent struct {
	Kind             string         `json:"kind"`
	APIVersion       string         `json:"apiVersion"`
	Level            string         `json:"level"`
	AuditID          string         `json:"auditID"`
	Stage            string         `json:"stage"`
	RequestURI       string         `json:"requestURI"`
	Verb             string         `json:"verb"`
	UserAgent        string         `json:"userAgent"`
	User             wireUser       `json:"user"`
	ImpersonatedUser wireUser       `json:"impersonatedUser"`
	SourceIPs        []string       `json:"sourceIPs"`
	ObjectRef        *wireObjectRef `json:"objectRef"`
	ResponseStatus   struct {
		Code    int32  `json:"code"`
		Status  string `json:"status"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"responseStatus"`
	RequestObject            jsontext.Value  `json:"requestObject"`
	ResponseObject           jsontext.Value  `json:"responseObject"`
	RequestReceivedTimestamp string          `json:"requestReceivedTimestamp"`
	StageTimestamp           string          `json:"stageTimestamp"`
	Timestamp                string          `json:"timestamp"`
	Annotations              wireAnnotations `json:"annotations"`
}

// wireAnnotations are the event's annotations: the authorizer's two are
// read into fields, without a map; the others are only checked to be
// strings.
type wireAnnotations struct {
	Decision string            `json:"authorization.k8s.io/decision"`
	Reason   string            `json:"authorization.k8s.io/reason"`
	Others   map[string]string `json:",embed"`
}

type wireUser struct {
	Username string   `json:"username"`
	UID      string   `json:"uid"`
	Groups   []string `json:"groups"`
}

type wireObjectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	APIVersion  string `json:"apiVersion"`
	Subresource string `json:"subresource"`
}

// reset empties w for the next item, keeping the capacity of its lists
// and the annotations map.
func (w *wireEvent) reset() {
	clear(w.Annotations.Others)
	*w = wireEvent{
		User:             wireUser{Groups: w.User.Groups[:0]},
		ImpersonatedUser: wireUser{Groups: w.ImpersonatedUser.Groups[:0]},
		SourceIPs:        w.SourceIPs[:0],
		RequestObject:    w.RequestObject[:0],
		ResponseObject:   w.ResponseObject[:0],
		Annotations:      wireAnnotations{Others: w.Annotations.Others},
	}
}

// decode unmarshals raw, a JSON object, into e through w. The error, if
// any, is a *json.SemanticError (a member of the wrong type) or a
// *jsontext.SyntacticError (a repeated member name); see itemError.
func decode(raw jsontext.Value, w *wireEvent, e *event) error {
	w.reset()
	if err := json.Unmarshal(raw, w, itemOptions); err != nil {
		return err
	}
	*e = event{
		kind: w.Kind, apiVersion: w.APIVersion, level: w.Level, auditID: w.AuditID,
		stage: w.Stage, requestURI: w.RequestURI, verb: w.Verb, userAgent: w.UserAgent,
		user:            userInfo{username: w.User.Username, groups: w.User.Groups},
		impersonated:    userInfo{username: w.ImpersonatedUser.Username, groups: w.ImpersonatedUser.Groups},
		sourceIPs:       w.SourceIPs,
		code:            w.ResponseStatus.Code,
		requestReceived: w.RequestReceivedTimestamp,
		stageTime:       w.StageTimestamp,
		timestamp:       w.Timestamp,
		decision:        w.Annotations.Decision,
		decisionReason:  w.Annotations.Reason,
		requestObject:   body(w.RequestObject),
		responseObject:  body(w.ResponseObject),
		raw:             raw,
	}
	if r := w.ObjectRef; r != nil {
		e.hasObjectRef = true
		e.objectRef = objectRef{resource: r.Resource, namespace: r.Namespace, name: r.Name,
			apiGroup: r.APIGroup, apiVersion: r.APIVersion, subresource: r.Subresource}
	}
	return nil
}

// body is a request or response body, nil when absent or null.
func body(v jsontext.Value) jsontext.Value {
	if len(v) == 0 || v.Kind() == 'n' {
		return nil
	}
	return v
}
