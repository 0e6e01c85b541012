// Package audit turns what the kube-apiserver's audit webhook backend
// POSTs (an audit.k8s.io/v1 EventList in batch mode, or a single Event)
// into findings, one per event that a rule finds worth keeping.
//
// The package is pure: Parser.Parse reads bytes and returns a
// source.Batch, with no Kubernetes client, so it is tested on the
// fixtures and fuzzed. The API server waits on the webhook, so the body is
// read with github.com/go-json-experiment/json (the module behind the
// encoding/json/v2 proposal), not encoding/json: a jsontext.Decoder walks
// an EventList's items, and each item is unmarshaled into a struct of the
// members the rules read, about 7–9 µs per event on a 2-core machine
// against about 25 µs with encoding/json (BenchmarkParseEventList,
// BenchmarkEncodingJSONBaseline). Member names match exactly, and a
// member name repeated within one item rejects that item (invalid-json):
// the API server never repeats one, and a repeated "verb" could be read
// one way here and another way elsewhere. See decode.go.
//
// # Events
//
// Only ResponseStarted, ResponseComplete and Panic events are classified.
// RequestReceived comes before the outcome is known and is repeated by a
// later stage, so it is dropped (DropStage), as is a stage this version
// does not know. Panic is the final stage of a request the API server
// panicked on while serving it (code 500); it is classified like
// ResponseComplete, so a custom rule can match it, but the built-in
// rules, which want a request that succeeded, do not. The two stages of
// one long request (exec, watch) share an auditID; each finding has
// DedupKey auditID and SingleOccurrence set, so the aggregator counts the
// request once however many of its stages match.
//
// A finding's category is compliance; its eventType and severity are
// those of the most severe rule that matched (on a tie, the rule listed
// first, built-in before custom), and its details list every rule that
// matched ("rules") and the chosen one ("rule"), with user, groups, verb,
// objectRef, requestURI, sourceIPs, userAgent, responseCode, stage and
// auditID, and when present the authorizer's decision and
// decisionReason, impersonatedUser, and podRisks (which of privileged,
// hostPID, hostNetwork, hostIPC, hostPath a pod rule saw). Request and response bodies are never copied: they may hold
// secret data.
//
// # Built-in rules
//
// In evaluation order. "skipped" in the trusted column marks the rules
// that ignore requests by trusted users (AUDIT_TRUSTED_USERS,
// DefaultTrustedUsers when unset: the control plane's own identities). All but access-denied and anonymous-access want
// a request that succeeded (code below 400 or none, no "forbid"
// decision): a refused attempt is an access-denied finding, never a
// change that did not happen.
//
//	name                          eventType                     severity  trusted  matches
//	cluster-admin-binding         rbac-modified                 CRITICAL           create/update/patch of a (cluster)rolebinding to ClusterRole cluster-admin (roleRef in requestObject or responseObject)
//	privileged-pod                privileged-pod                CRITICAL  skipped  create of a pod, or update/patch of pods/ephemeralcontainers, with a privileged container, init or ephemeral container
//	host-access-pod               privileged-pod                HIGH      skipped  the same, with hostPID, hostNetwork, hostIPC or a hostPath volume
//	rbac-modified                 rbac-modified                 HIGH      skipped  any write (create, update, patch, delete, deletecollection) in rbac.authorization.k8s.io
//	secret-modified               secret-modified               HIGH      skipped  any write of secrets
//	pod-exec                      pod-exec                      HIGH               any request on pods/exec
//	pod-attach                    pod-attach                    HIGH               any request on pods/attach
//	pod-portforward               pod-portforward               HIGH               any request on pods/portforward
//	anonymous-access              anonymous-access              HIGH               system:anonymous or group system:unauthenticated, allowed (code < 400, or no code and decision allow); not /healthz, /livez, /readyz, /version, OIDC discovery
//	secret-list-all               secret-read                   HIGH      skipped  list or watch of secrets in all namespaces
//	sensitive-delete              resource-deleted              HIGH      skipped  delete(collection) of namespaces, CRDs, admission webhook configurations and admission policies (+bindings)
//	secret-read                   secret-read                   MEDIUM    skipped  get of a secret; list or watch of secrets in one namespace
//	configmap-modified            configmap-modified            MEDIUM    skipped  any write of configmaps
//	serviceaccount-token-created  serviceaccount-token-created  MEDIUM    skipped  create on serviceaccounts/token
//	access-denied                 access-denied                 MEDIUM             code 401 or 403, or decision "forbid"
//	resource-deleted              resource-deleted              MEDIUM    skipped  delete(collection) of anything else
//
// The pod and cluster-admin rules read the request body, which the API
// server sends only at audit level Request or RequestResponse; at level
// Metadata they cannot match, and a cluster-admin binding is reported by
// rbac-modified (HIGH) instead. Deleting a secret matches secret-modified
// (HIGH) and resource-deleted (MEDIUM); the finding is secret-modified.
//
// Trusted users are matched on user.username: an exact name, or a prefix
// ending in "*" ("*" nowhere else; a lone "*" trusts everyone).
//
// # Custom rules
//
// AUDIT_RULES_FILE holds YAML (unknown keys are errors):
//
//	rules:
//	- name: kube-system-configmap-change       # lowercase, digits, '-'; unique
//	  expression: 'has(event.objectRef) && has(event.objectRef.namespace) && event.objectRef.namespace == "kube-system" && event.verb in ["update", "patch"]'
//	  eventType: kube-system-change            # same rule as the CRD's eventType
//	  severity: HIGH                           # CRITICAL, HIGH, MEDIUM, LOW or INFO
//	disable: [secret-read]                     # built-in rules to turn off (optional)
//
// The expression is CEL and must be boolean. The variable event is the
// audit event as JSON decodes it (a map; numbers are doubles, compared
// freely with ints). Members the API server leaves out (objectRef on a
// non-resource request, objectRef.namespace on a cluster-scoped object,
// requestObject below level Request) are absent, not empty: guard them
// with has(), since selecting an absent member is an evaluation error. An
// error is no match, and is counted (Parser.EvalErrors). Custom rules
// join the built-in ones in the most-severe choice. Custom rules cost
// more than built-in ones: each event is decoded whole into a map (once,
// for all custom rules), and each rule is a CEL evaluation; the
// benchmark's four rules take a 400-event list from about 8 to about
// 30 µs per event. At most 100 rules are accepted.
package audit
