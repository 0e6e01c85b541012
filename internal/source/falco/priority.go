package falco

import (
	"strconv"
	"strings"
)

// Priority is one of Falco's eight priorities, ordered so that a more
// urgent priority compares greater: PriorityDebug < PriorityEmergency. The
// zero Priority is Debug, the least urgent.
type Priority int

// Falco's priorities, least urgent first.
const (
	PriorityDebug Priority = iota
	PriorityInformational
	PriorityNotice
	PriorityWarning
	PriorityError
	PriorityCritical
	PriorityAlert
	PriorityEmergency
)

// priorityWords are the words Falco writes, indexed by Priority.
var priorityWords = [...]string{
	PriorityDebug:         "Debug",
	PriorityInformational: "Informational",
	PriorityNotice:        "Notice",
	PriorityWarning:       "Warning",
	PriorityError:         "Error",
	PriorityCritical:      "Critical",
	PriorityAlert:         "Alert",
	PriorityEmergency:     "Emergency",
}

// PriorityWords lists the priorities as Falco writes them, most urgent
// first, for messages.
const PriorityWords = "Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug"

// ParsePriority reads a priority word as Falco does: case-insensitively,
// and "Info" for Informational. Surrounding space is ignored. It never
// allocates, since it runs once per alert.
func ParsePriority(word string) (Priority, bool) {
	word = strings.TrimSpace(word)
	for p, w := range priorityWords {
		if strings.EqualFold(word, w) {
			return Priority(p), true
		}
	}
	if strings.EqualFold(word, "info") {
		return PriorityInformational, true
	}
	return 0, false
}

// String is the word Falco writes for p, such as "Warning".
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityWords) {
		return "Priority(" + strconv.Itoa(int(p)) + ")"
	}
	return priorityWords[p]
}
