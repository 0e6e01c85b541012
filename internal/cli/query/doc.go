// Package query selects and orders findings for kubectl zen: which filters
// the API server can apply through labels, which must be applied to the
// listed objects, and the orders the plugin offers (severity by rank, not
// alphabetically).
package query
