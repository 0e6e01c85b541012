// Package jsonerr says why bytes are not the JSON a tool writes: broken
// JSON (invalid-json, with the byte offset encoding/json found), a value
// of the wrong JSON type (wrong-type, naming the field), or well-formed
// JSON of another shape (unknown-shape), each as a *source.ParseError whose
// reason is a metric label. FirstByte tells an object from an array before
// anything is decoded.
package jsonerr
