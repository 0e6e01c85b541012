package kyverno

// The trivy package has the same decoder, less what each does not use;
// it belongs in internal/source once a third package needs it.

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// node is one JSON object inside the report, with its path for messages.
// index is its position in the list named by path, or -1. Paths are only
// formatted when a member has the wrong type, so reading costs nothing.
type node struct {
	m     map[string]any
	path  string
	index int
}

func (n node) at(key string) string {
	switch {
	case n.path == "":
		return key
	case n.index < 0:
		return n.path + "." + key
	}
	return n.path + "[" + strconv.Itoa(n.index) + "]." + key
}

// decoder reads members of one object and keeps the first wrong type it
// meets. Getters return the zero value for an absent or null member (the
// CRDs leave most members optional) or a member of the wrong type, so a
// caller reads all it needs and checks err once.
type decoder struct {
	tool string
	what string // kind namespace/name, for messages
	err  error
}

func (d *decoder) wrongType(path string, v any, want string) {
	if d.err == nil {
		d.err = source.Errorf(source.ReasonWrongType, "reading %s %s: %s is %s, want %s",
			d.tool, d.what, path, describe(v), want)
	}
}

// text returns a string member as the interface value it is stored in, so
// that details reuse it instead of boxing a copy; "" when absent.
func (d *decoder) text(n node, key string) any {
	raw := n.m[key]
	switch v := raw.(type) {
	case string:
		return raw // not v: converting v back to an interface allocates
	case nil:
	default:
		d.wrongType(n.at(key), v, "a string")
	}
	return ""
}

// str is text as a Go string.
func (d *decoder) str(n node, key string) string {
	s, _ := d.text(n, key).(string)
	return s
}

// boolean returns a boolean member and whether it is present.
func (d *decoder) boolean(n node, key string) (value, present bool) {
	switch v := n.m[key].(type) {
	case bool:
		return v, true
	case nil:
	default:
		d.wrongType(n.at(key), v, "a boolean")
	}
	return false, false
}

// number returns a numeric member as a float64 and whether it is present.
// Decoders differ: the API server's gives int64 for integers, encoding/json
// gives float64, and a decoder using UseNumber gives json.Number.
func (d *decoder) number(n node, key string) (float64, bool) {
	switch v := n.m[key].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case float32:
		return float64(v), true
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f, true
		}
		d.wrongType(n.at(key), v, "a number")
	case nil:
	default:
		d.wrongType(n.at(key), v, "a number")
	}
	return 0, false
}

// integer is number for members that must be whole: a fraction is a wrong
// type, as the schema's "type: integer" says, and a whole number beyond
// int64 reads as absent, since no caller could use it.
func (d *decoder) integer(n node, key string) (int64, bool) {
	f, ok := d.number(n, key)
	switch {
	case !ok:
		return 0, false
	case f != math.Trunc(f):
		d.wrongType(n.at(key), n.m[key], "an integer")
		return 0, false
	case math.Abs(f) >= 1<<63:
		return 0, false
	}
	return int64(f), true
}

// object returns a child object; its m is nil when absent.
func (d *decoder) object(n node, key string) node {
	child := node{path: n.at(key), index: -1}
	switch v := n.m[key].(type) {
	case map[string]any:
		child.m = v
	case nil:
	default:
		d.wrongType(child.path, v, "an object")
	}
	return child
}

// list returns an array member; nil when absent.
func (d *decoder) list(n node, key string) []any {
	switch v := n.m[key].(type) {
	case []any:
		return v
	case nil:
	default:
		d.wrongType(n.at(key), v, "an array")
	}
	return nil
}

// element returns item i of the list at path as an object.
func (d *decoder) element(path string, i int, v any) node {
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(path+"["+strconv.Itoa(i)+"]", v, "an object")
	}
	return node{m: m, path: path, index: i}
}

// stringMap copies an object of strings, so that details never share a
// map with the object in the informer cache.
func (d *decoder) stringMap(n node, key string) map[string]string {
	child := d.object(n, key)
	if child.m == nil {
		return nil
	}
	out := make(map[string]string, len(child.m))
	for k, v := range child.m {
		s, ok := v.(string)
		if !ok {
			d.wrongType(child.at(k), v, "a string")
			return nil
		}
		out[k] = s
	}
	return out
}

// describe names the JSON type of a decoded value.
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, float32, int64, int32, int, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a Go %T", v)
}
