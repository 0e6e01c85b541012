package filewatch

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// File is a value parsed from one or more files that are read together,
// such as a certificate and its key, and kept current by a Watcher.
type File[T any] struct {
	what  string
	paths []string
	parse func(contents [][]byte) (T, error)
	value atomic.Pointer[T]

	mu       sync.Mutex
	last     [][]byte // the contents the value was parsed from
	onChange []func(T)
}

// Load reads paths and parses their contents, in the same order, into the
// File's first value. what names the value in logs, errors and the file
// label of the metrics, such as "webhook token"; it never holds a secret.
func Load[T any](what string, parse func(contents [][]byte) (T, error), paths ...string) (*File[T], error) {
	f := &File[T]{what: what, paths: slices.Clone(paths), parse: parse}
	if _, err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Get returns the value last parsed successfully.
func (f *File[T]) Get() T { return *f.value.Load() }

// OnChange makes fn hear of each new value, after Get returns it. Call it
// before the Watcher runs; fn must not block.
func (f *File[T]) OnChange(fn func(T)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onChange = append(f.onChange, fn)
}

// What names the value, as Load was told.
func (f *File[T]) What() string { return f.what }

// Paths are the files the value is read from.
func (f *File[T]) Paths() []string { return slices.Clone(f.paths) }

// reload reads the files and, when their contents changed, parses them and
// swaps in the new value; it reports whether it did. On error the value is
// kept.
func (f *File[T]) reload() (bool, error) {
	contents := make([][]byte, len(f.paths))
	for i, path := range f.paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return false, fmt.Errorf("reading the %s file: %w", f.what, err)
		}
		contents[i] = data
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last != nil && slices.EqualFunc(f.last, contents, bytes.Equal) {
		return false, nil
	}
	v, err := f.parse(contents)
	if err != nil {
		return false, err
	}
	f.value.Store(&v)
	f.last = contents
	for _, fn := range f.onChange {
		fn(v)
	}
	return true, nil
}
