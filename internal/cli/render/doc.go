// Package render prints findings for people: the aligned table of kubectl
// zen get and tail (with kubectl's spacing, --no-headers and wide
// columns), the summary, and describe's full view. Severities are coloured
// only when the output is a terminal and NO_COLOR is unset.
package render
