// Package sourcetest is the test kit of the source packages
// (internal/source/*): the shared fixtures of one tool, the checks every
// parser's tests make (the reason of a refusal, a batch that accounts for
// every item, the invariants a finding keeps under fuzzing), the hostile
// inputs every JSON decoder is tried with, and fuzz seeds. By convention it
// is imported only from _test.go files; it depends on testing.
//
// Fixtures are read from the shared folder as test/fixtures finds it
// (../shared/fixtures beside the repository, or $FIXTURES).
package sourcetest
