// Package falco turns the alerts Falco pushes to /falco/webhook into
// findings: the JSON of Falco's http_output (json_output: true), or of
// falcosidekick's webhook output, which adds a uuid. A body holds one
// alert object, on one line or pretty-printed, or several, one per line
// (NDJSON).
//
// The package is pure: Parser.Parse reads bytes and returns a
// source.Batch, with no Kubernetes client and no clock of its own, so it
// is tested on the real fixtures and fuzzed.
//
// Every item of a body is accounted for. Falco's own events (source
// "internal", such as the metrics snapshot) are dropped as "internal", and
// alerts below the minimum priority as "below-min-priority". An item that
// cannot be read is rejected with a reason (invalid-json, unknown-shape,
// wrong-type, missing-field, unknown-value), and the other items are kept:
// after a line that is not JSON, reading resumes at the next line that
// starts with '{'. A body with no JSON object in it at all is refused as a
// whole.
//
// # Reading
//
// Alerts are read with github.com/go-json-experiment/json, the module
// behind encoding/json/v2, which checks and decodes an alert in one pass,
// in about half the time of encoding/json and with fewer than half its
// allocations: this runs on every webhook request. Members are matched by their exact names (output, priority,
// rule, time, source, hostname, uuid, tags, output_fields); others are
// ignored. null is the same as absent, in tags and output_fields too.
// Invalid UTF-8 and lone surrogates in strings become U+FFFD. A member
// name given twice in one object makes the item invalid JSON (Falco never
// repeats one, and which of two values counts would be a guess), as does
// nesting deeper than 10000 levels. A member of the wrong JSON type
// rejects the alert (wrong-type, with a JSON pointer such as /priority or
// /tags/1, the first such value in the object), as does a missing or
// blank rule or priority (missing-field) and a priority Falco does not
// define (unknown-value). The output_fields of an alert already known to
// be dropped (its source or priority come first, as Falco writes them)
// are checked as JSON but not decoded.
//
// # Mapping
//
// Severity follows finding.FalcoPriority: Emergency, Alert and Critical
// are CRITICAL, Error HIGH, Warning MEDIUM, Notice LOW, Informational and
// Debug INFO. DetectedAt is the alert's time, or the time of receipt when
// it has none that can be read. The resource is, for source k8s_audit
// (the k8saudit plugins), the object named by ka.target.name,
// ka.target.namespace and ka.target.resource (the kind comes from a table
// of built-in resources; an unknown resource is used as the kind as it
// stands); otherwise the Pod k8s.pod.name in k8s.ns.name. An alert that
// names no object has none. Falco writes "<NA>" for a field it could not
// fill: "<NA>", "" and null all count as absent.
//
// # Dedup key
//
// The key is the rule, followed by "/" and each of these output fields
// that has a value, in this order:
//
//   - source k8s_audit: ka.user.name, ka.verb, ka.target.namespace,
//     ka.target.resource, ka.target.subresource, ka.target.name;
//   - any other source: k8s.ns.name, k8s.pod.name, the container
//     (container.name, else container.id), the executable (proc.exepath,
//     else proc.exe, else proc.name, else proc.cmdline), and, when there is
//     no pod (a host-level alert), the host (hostname, else evt.hostname).
//
// So "Terminal shell in container/default/kubecon/ee97d9c4186f/sh". The
// time, pids and the output text change with every occurrence and are
// never part of it.
//
// # Details
//
//	rule      the rule, as sent
//	priority  the priority, as sent
//	output    the output text without Falco's leading time
//	          ("13:44:05.478445995: " or the ISO 8601 form)
//	tags      the rule's tags
//	hostname  the host Falco runs on
//	source    the event source: syscall, k8s_audit, …
//	uuid      falcosidekick's id of the alert
//	fields    output_fields without evt.time and without null and "<NA>"
//	          values; numbers are float64, as encoding/json gives them and
//	          as every other source's details hold them, so nanosecond
//	          timestamps such as falco.start_ts lose their last digits; a
//	          number beyond float64 rejects the alert
//
// Members the alert lacks are left out.
package falco
