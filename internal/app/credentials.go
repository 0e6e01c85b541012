package app

import (
	"errors"
	"fmt"
	"sync"

	"github.com/kube-zen/zen-watcher/internal/config"
	"github.com/kube-zen/zen-watcher/internal/filewatch"
)

// secretSource is one variable of secrets, inline or a file: its current
// secrets, and the file they are re-read from (nil when inline).
type secretSource struct {
	secrets []string
	file    *filewatch.File[[]string]
}

// fileErrors collects every unreadable secret or rules file, so that one
// start reports them all, as config.Load does for variables; it also
// gathers the files to watch.
type fileErrors struct {
	problems []error
	watches  []filewatch.Reloader
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
	fw, err := filewatch.Load(what, func(c [][]byte) ([]string, error) { return parseSecrets(c[0], file, what) }, file)
	f.add(fileVar, file, "want a readable file holding the "+what+"s", err)
	if err != nil {
		return secretSource{}
	}
	return secretSource{secrets: fw.Get(), file: fw}
}

// parseSecrets reads a file of secrets (tokens, HMAC keys): one per line or
// comma-separated, blank lines ignored. A file without one is an error, so
// a mount that went empty does not lock every sender out unnoticed. what
// names the secrets in the error; the error never holds one.
func parseSecrets(data []byte, path, what string) ([]string, error) {
	secrets := config.SplitSecrets(string(data))
	if len(secrets) == 0 {
		return nil, errors.New("the " + what + " file " + path + " holds none")
	}
	return secrets, nil
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

// watches makes each file of the union push its new secrets to the
// endpoints that accept them, and lists the files.
func (u *union) watches() []filewatch.Reloader {
	var out []filewatch.Reloader
	if u.shared.file != nil {
		u.shared.file.OnChange(func(s []string) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.shared.secrets = s
			u.push(0)
			u.push(1)
		})
		out = append(out, u.shared.file)
	}
	for i := range u.own {
		if u.own[i].file != nil {
			u.own[i].file.OnChange(func(s []string) {
				u.mu.Lock()
				defer u.mu.Unlock()
				u.own[i].secrets = s
				u.push(i)
			})
			out = append(out, u.own[i].file)
		}
	}
	return out
}

func (u *union) push(i int) {
	if u.sets[i] != nil {
		u.sets[i](u.endpoint(i))
	}
}
