package app

import (
	"fmt"
	"sync"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/webhook"
)

// secretSource is one variable of secrets, inline or a file: its current
// secrets, and the file to re-read (empty when inline).
type secretSource struct {
	secrets    []string
	file, what string
}

// fileErrors collects every unreadable secret or rules file, so that one
// start reports them all, as config.Load does for variables; it also
// gathers the files to watch.
type fileErrors struct {
	problems []error
	watches  []secretFile
}

func (f *fileErrors) add(name, value, want string, err error) {
	if err != nil {
		f.problems = append(f.problems, &config.VarError{Name: name, Value: value, Allowed: fmt.Sprintf("%s: %v", want, err)})
	}
}

func (f *fileErrors) err() error {
	if len(f.problems) == 0 {
		return nil
	}
	return &config.Error{Problems: f.problems}
}

// secrets reads one credential variable, inline or from the file that
// fileVar names.
func (f *fileErrors) secrets(fileVar, what string, inline config.Secret, file string) secretSource {
	if inline != "" {
		return secretSource{secrets: config.SplitSecrets(string(inline))}
	}
	if file == "" {
		return secretSource{}
	}
	s, err := webhook.ReadSecrets(file, what)
	f.add(fileVar, file, "want a readable file holding the "+what+"s", err)
	return secretSource{secrets: s, file: file, what: what}
}

// union keeps each endpoint's accepted secrets of one kind, the shared
// ones and its own, current as either file changes.
type union struct {
	mu     sync.Mutex
	shared secretSource
	own    [2]secretSource
	sets   [2]func([]string) // nil for an endpoint without this kind
}

func newUnion(shared secretSource, own [2]secretSource) *union {
	return &union{shared: shared, own: own}
}

// endpoint is what endpoint i accepts; nil when it accepts none of this kind.
func (u *union) endpoint(i int) []string {
	if u.shared.secrets == nil && u.own[i].secrets == nil {
		return nil
	}
	return append(append([]string{}, u.shared.secrets...), u.own[i].secrets...)
}

// watches lists the files to re-read, each pushing its new secrets to the
// endpoints that accept them.
func (u *union) watches() []secretFile {
	var out []secretFile
	if u.shared.file != "" {
		out = append(out, secretFile{u.shared.file, u.shared.what, func(s []string) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.shared.secrets = s
			u.push(0)
			u.push(1)
		}})
	}
	for i := range u.own {
		if u.own[i].file != "" {
			out = append(out, secretFile{u.own[i].file, u.own[i].what, func(s []string) {
				u.mu.Lock()
				defer u.mu.Unlock()
				u.own[i].secrets = s
				u.push(i)
			}})
		}
	}
	return out
}

func (u *union) push(i int) {
	if u.sets[i] != nil {
		u.sets[i](u.endpoint(i))
	}
}
