// Package source is the contract every source keeps: the Submitter
// findings go to, the ParseError whose reason says why a payload was
// refused, and the Batch a push source's parser makes of one request
// body. Each tool has its own subpackage; what several of them share has
// a named package beside them: fields (type-checked reading of
// unstructured payloads), jsonerr (why bytes are not a tool's JSON) and
// watcher (the informer-fed watcher of the pull sources, its tracker and
// state).
package source
