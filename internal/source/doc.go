// Package source holds what every source shares: the Submitter findings go
// to, the parse error that names why a payload was refused, the Decoder
// that reads members of an unstructured report and names the first one of
// the wrong JSON type, and the Tracker that turns successive versions of a
// report into appearances and resolutions. Each tool has its own
// subpackage.
package source
