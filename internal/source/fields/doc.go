// Package fields reads the members of an unstructured payload (a report
// as an informer decodes it, or a tool's JSON) with their JSON types
// checked: a Decoder hands back zero values for what is absent and keeps
// the first member of the wrong type as a *source.ParseError naming its
// path, so a parser reads everything it needs and checks one error.
package fields
