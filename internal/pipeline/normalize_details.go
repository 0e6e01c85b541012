package pipeline

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

const (
	// maxDetailsDepth bounds how deep details are copied. Real tool output
	// is a handful of levels deep; the bound is what keeps a hostile or
	// cyclic value (a map that contains itself) from exhausting the stack.
	maxDetailsDepth = 32
	// maxDetailsKeys is the CRD's MaxProperties on details.
	maxDetailsKeys = 64
	// tooDeepMarker replaces a value nested deeper than maxDetailsDepth.
	tooDeepMarker = "…[too deep]"
	// detailsTruncatedKey is set to true when top-level keys were left out.
	detailsTruncatedKey = "_truncated"
	// truncatedEntryLen is len(`"_truncated":true`).
	truncatedEntryLen = len(`"` + detailsTruncatedKey + `":true`)
)

// detailsCopier copies details into plain JSON values (map[string]any,
// []any, string, bool, numbers, nil), shortening what is too long. It never
// writes to its input. truncated records whether anything was cut.
type detailsCopier struct {
	truncated bool
}

// value returns a JSON-safe copy of v and an upper bound of its encoded
// size, so the common small details need no trial encoding.
func (c *detailsCopier) value(v any, depth int) (any, int) {
	switch x := v.(type) {
	case nil:
		return nil, 4
	case string:
		return c.str(x)
	case bool:
		return x, 5
	case float64:
		return c.float(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x, 21
	case json.Number:
		if b, err := json.Marshal(x); err == nil {
			return x, len(b)
		}
		return c.str(string(x))
	case map[string]any:
		if x == nil {
			return nil, 4 // encodes as null; keep it so
		}
		return c.object(x, depth)
	case []any:
		if x == nil {
			return nil, 4
		}
		return c.list(x, depth)
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		return c.list(l, depth)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return c.object(m, depth)
	}
	return c.other(v, depth)
}

func (c *detailsCopier) str(s string) (any, int) {
	v, cut := clampString(s)
	c.truncated = c.truncated || cut
	return v, 2 + 6*len(v) // every byte encodes to at most \u00XX
}

// float keeps finite numbers; NaN and ±Inf have no JSON form and become
// their %v text.
func (c *detailsCopier) float(f float64) (any, int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return c.str(fmt.Sprintf("%v", f))
	}
	return f, 32
}

func (c *detailsCopier) tooDeep() (any, int) {
	c.truncated = true
	return c.str(tooDeepMarker)
}

func (c *detailsCopier) object(m map[string]any, depth int) (any, int) {
	if depth >= maxDetailsDepth {
		return c.tooDeep()
	}
	out := make(map[string]any, len(m))
	size := 2
	var odd []string // keys that must change: done after the others, in order
	for k, v := range m {
		if nk, cut := clampString(k); cut || nk != k {
			odd = append(odd, k)
			continue
		}
		cv, n := c.value(v, depth+1)
		out[k] = cv
		size += 2 + 6*len(k) + 1 + n + 1
	}
	// A changed key may collide with another key; sorting makes the winner
	// deterministic, and the loser is counted as a truncation.
	slices.Sort(odd)
	for _, k := range odd {
		nk, cut := clampString(k)
		c.truncated = c.truncated || cut
		if _, dup := out[nk]; dup {
			c.truncated = true
			continue
		}
		cv, n := c.value(m[k], depth+1)
		out[nk] = cv
		size += 2 + 6*len(nk) + 1 + n + 1
	}
	return out, size
}

func (c *detailsCopier) list(l []any, depth int) (any, int) {
	if depth >= maxDetailsDepth {
		return c.tooDeep()
	}
	out := make([]any, len(l))
	size := 2
	for i, v := range l {
		cv, n := c.value(v, depth+1)
		out[i] = cv
		size += n + 1
	}
	return out, size
}

// other handles every type outside the plain JSON set. Types that define
// their own JSON form (time.Time, metav1.Time, structs with tags) go through
// encoding/json, which also detects cycles; the rest, and whatever encoding
// rejects, is walked by reflection, so no composite value ever reaches fmt,
// which would recurse forever on a cycle.
func (c *detailsCopier) other(v any, depth int) (any, int) {
	if depth >= maxDetailsDepth {
		return c.tooDeep()
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); (k == reflect.Map || k == reflect.Slice) && rv.IsNil() {
		return nil, 4
	}
	if wantsJSON(v, rv) {
		if b, err := json.Marshal(v); err == nil {
			var out any
			if json.Unmarshal(b, &out) == nil {
				return c.value(out, depth)
			}
		}
	}
	switch rv.Kind() {
	case reflect.String:
		return c.str(rv.String())
	case reflect.Bool:
		return rv.Bool(), 5
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), 21
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), 21
	case reflect.Float32, reflect.Float64:
		return c.float(rv.Float())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, 4
		}
		return c.value(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = rv.Index(i).Interface()
		}
		return c.list(l, depth)
	case reflect.Map:
		return c.object(reflectMap(rv, &c.truncated), depth)
	case reflect.Struct:
		return c.object(reflectStruct(rv), depth)
	}
	// Channels, funcs, complex numbers, uintptrs: no JSON form, keep the text.
	return c.str(fmt.Sprintf("%v", v))
}

// wantsJSON reports whether encoding/json knows better than a field-by-field
// walk how v should look.
func wantsJSON(v any, rv reflect.Value) bool {
	switch v.(type) {
	case json.Marshaler, encoding.TextMarshaler:
		return true
	}
	switch rv.Kind() {
	case reflect.Struct:
		return true
	case reflect.Map:
		return rv.Type().Key().Kind() != reflect.String
	case reflect.Slice:
		return rv.Type().Elem().Kind() == reflect.Uint8 // []byte is base64
	}
	return false
}

// reflectMap copies a map whose keys are strings or other scalars; keys of
// other kinds have no faithful text and are left out (and counted).
func reflectMap(rv reflect.Value, truncated *bool) map[string]any {
	m := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		k := it.Key()
		switch k.Kind() {
		case reflect.String:
			m[k.String()] = it.Value().Interface()
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			m[fmt.Sprint(k.Interface())] = it.Value().Interface()
		default:
			*truncated = true
		}
	}
	return m
}

// reflectStruct copies the exported fields of a struct that encoding/json
// rejected, by field name.
func reflectStruct(rv reflect.Value) map[string]any {
	m := make(map[string]any, rv.NumField())
	for i := range rv.NumField() {
		if f := rv.Field(i); rv.Type().Field(i).IsExported() && f.CanInterface() {
			m[rv.Type().Field(i).Name] = f.Interface()
		}
	}
	return m
}

// fitDetails enforces the CRD limits on the top level: at most 64 keys and
// MaxDetailsBytes encoded. When either is exceeded it keeps keys in sorted
// order as long as they fit (skipping any single value too large to fit),
// at most 63 of them, and adds "_truncated": true. bound is the size bound
// value returned for m.
func (c *detailsCopier) fitDetails(m map[string]any, bound int) map[string]any {
	if len(m) <= maxDetailsKeys {
		if bound <= zenv1.MaxDetailsBytes {
			return m
		}
		if b, err := json.Marshal(m); err == nil && len(b) <= zenv1.MaxDetailsBytes {
			return m
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != detailsTruncatedKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make(map[string]any, maxDetailsKeys)
	used := 2 + truncatedEntryLen
	for _, k := range keys {
		if len(out) == maxDetailsKeys-1 {
			break
		}
		kb, kerr := json.Marshal(k)
		vb, verr := json.Marshal(m[k])
		if kerr != nil || verr != nil {
			continue // cannot happen for copied values; never store what cannot be encoded
		}
		if n := len(kb) + 1 + len(vb) + 1; used+n <= zenv1.MaxDetailsBytes {
			used += n
			out[k] = m[k]
		}
	}
	out[detailsTruncatedKey] = true
	c.truncated = true
	return out
}
