// Package source holds what every source shares: the Submitter findings go
// to, the parse error that names why a payload was refused, and the Tracker
// that turns successive versions of a report into appearances and
// resolutions. Each tool has its own subpackage.
package source
