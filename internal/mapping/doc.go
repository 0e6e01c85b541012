// Package mapping compiles and runs the CEL mapping of a ZenSource: the
// expressions that turn one received item (a webhook's) or one watched
// object (a watch's) into a finding, and the optional items expression
// that splits a webhook body into items.
//
// It uses the project's CEL environment and cost limits (internal/celexpr).
// Everything that can be checked before an item arrives is checked at
// compile time, all errors at once, so a ZenSource's Ready condition names
// every broken field: syntax, unknown variables, selections of `source`
// members that do not exist, and output types (severity and category must
// be strings, detectedAt a timestamp, resource and details maps, filter a
// bool). What depends on the item (a missing key, a severity word outside
// the enum, a cost over the limit) fails that item alone, with a reason fit
// for a metric label; the other items of a body go on.
//
// The mapping also applies tenant isolation, the same for webhook and
// watch sources: a finding is named after its source, its dedup key starts
// with the source's namespace and name, it is written in the source's
// namespace, and a resource in another namespace is rejected unless the
// source lives in zen-watcher's own namespace.
package mapping
