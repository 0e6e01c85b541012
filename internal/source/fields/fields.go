package fields

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// Node is one JSON object inside a decoded payload, with its path for
// messages. The zero Node is an absent object: every member reads as
// absent.
//
// The path is kept in pieces (a base, an index into it, a key below that)
// and joined only for a message or when a caller asks, so that reading a
// well-typed payload formats no paths. The one exception is an object
// whose parent is itself a member object (c in a.b.c, or in
// results[0].b.c): Object joins the parent's path for it.
type Node struct {
	m map[string]any
	// base is the path of the list the Node is an element of, or of the
	// object it is a member of; "" at the root.
	base string
	// index is the Node's position in the list named by base, or -1.
	index int
	// key is the Node's name below base[index], or "" for the element or
	// root itself.
	key string
}

// Root is the top-level object m of a payload; its members' paths are
// their keys.
func Root(m map[string]any) Node {
	return Node{m: m, index: -1}
}

// path is where n is, as messages write it.
func (n Node) path() string {
	return join(n.base, n.index, n.key)
}

// Path is the path of member key of n as messages write it, such as
// results[3].resources.
func (n Node) Path(key string) string {
	if n.key == "" {
		return join(n.base, n.index, key)
	}
	return join(n.path(), -1, key)
}

// join writes base[index].key, leaving out what is absent.
func join(base string, index int, key string) string {
	switch {
	case base == "":
		return key
	case index < 0 && key == "":
		return base
	case index < 0:
		return base + "." + key
	case key == "":
		return base + "[" + strconv.Itoa(index) + "]"
	}
	return base + "[" + strconv.Itoa(index) + "]." + key
}

// Decoder reads members of the objects of one payload, checking their JSON
// types, and keeps the first wrong type it meets. Getters return the zero
// value for an absent or null member (CRDs leave most members optional) or
// for a member of the wrong type, so a caller reads all it needs and checks
// Err once.
type Decoder struct {
	tool string
	what string
	err  error
}

// NewDecoder returns a Decoder whose messages name the tool and what is
// read, for instance "VulnerabilityReport ns/name".
func NewDecoder(tool, what string) *Decoder {
	return &Decoder{tool: tool, what: what}
}

// Err is the first wrong type met, as a *source.ParseError with
// source.ReasonWrongType, or nil.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) wrongType(path string, v any, want string) {
	if d.err == nil {
		d.err = source.Errorf(source.ReasonWrongType, "reading %s %s: %s is %s, want %s",
			d.tool, d.what, path, describe(v), want)
	}
}

// Text returns a string member as the interface value it is stored in, so
// that details reuse it instead of boxing a copy; "" when absent.
func (d *Decoder) Text(n Node, key string) any {
	raw := n.m[key]
	switch v := raw.(type) {
	case string:
		return raw // not v: converting v back to an interface allocates
	case nil:
	default:
		d.wrongType(n.Path(key), v, "a string")
	}
	return ""
}

// String is Text as a Go string.
func (d *Decoder) String(n Node, key string) string {
	s, _ := d.Text(n, key).(string)
	return s
}

// Bool returns a boolean member and whether it is present.
func (d *Decoder) Bool(n Node, key string) (value, present bool) {
	switch v := n.m[key].(type) {
	case bool:
		return v, true
	case nil:
	default:
		d.wrongType(n.Path(key), v, "a boolean")
	}
	return false, false
}

// Number returns a numeric member as a float64 and whether it is present.
// Decoders differ: the API server's gives int64 for integers, encoding/json
// gives float64, and a decoder using UseNumber gives json.Number.
func (d *Decoder) Number(n Node, key string) (float64, bool) {
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
		d.wrongType(n.Path(key), v, "a number")
	case nil:
	default:
		d.wrongType(n.Path(key), v, "a number")
	}
	return 0, false
}

// Float is Number as an interface value holding a float64, the stored one
// when it is a float64 already, to save an allocation per entry.
func (d *Decoder) Float(n Node, key string) (any, bool) {
	raw := n.m[key]
	if _, ok := raw.(float64); ok {
		return raw, true
	}
	f, ok := d.Number(n, key)
	if !ok {
		return nil, false
	}
	return f, true
}

// Integer is Number for members that must be whole: a fraction is a wrong
// type, as a schema's "type: integer" says, and a whole number beyond
// int64 reads as absent, since no caller could use it.
func (d *Decoder) Integer(n Node, key string) (int64, bool) {
	f, ok := d.Number(n, key)
	switch {
	case !ok:
		return 0, false
	case f != math.Trunc(f):
		d.wrongType(n.Path(key), n.m[key], "an integer")
		return 0, false
	case math.Abs(f) >= 1<<63:
		return 0, false
	}
	return int64(f), true
}

// Object returns a child object; when absent, a Node with no members that
// still carries the child's path.
func (d *Decoder) Object(n Node, key string) Node {
	child := Node{base: n.base, index: n.index, key: key}
	if n.key != "" {
		child.base, child.index = n.path(), -1
	}
	switch v := n.m[key].(type) {
	case map[string]any:
		child.m = v
	case nil:
	default:
		d.wrongType(child.path(), v, "an object")
	}
	return child
}

// List returns an array member; nil when absent.
func (d *Decoder) List(n Node, key string) []any {
	switch v := n.m[key].(type) {
	case []any:
		return v
	case nil:
	default:
		d.wrongType(n.Path(key), v, "an array")
	}
	return nil
}

// Element returns v, item i of the list at path, as an object. path is
// formatted into a message only when v is not an object or one of its
// members has the wrong type.
func (d *Decoder) Element(path string, i int, v any) Node {
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(path+"["+strconv.Itoa(i)+"]", v, "an object")
	}
	return Node{m: m, base: path, index: i}
}

// Strings copies an array of strings, so that details never share a slice
// with the object in the informer cache; nil when absent.
func (d *Decoder) Strings(n Node, key string) []string {
	items := d.List(n, key)
	if items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, v := range items {
		s, ok := v.(string)
		if !ok {
			d.wrongType(n.Path(key)+"["+strconv.Itoa(i)+"]", v, "a string")
			return nil
		}
		out = append(out, s)
	}
	return out
}

// StringMap copies an object of strings, so that details never share a
// map with the object in the informer cache; nil when absent.
func (d *Decoder) StringMap(n Node, key string) map[string]string {
	child := d.Object(n, key)
	if child.m == nil {
		return nil
	}
	out := make(map[string]string, len(child.m))
	for k, v := range child.m {
		s, ok := v.(string)
		if !ok {
			d.wrongType(child.Path(k), v, "a string")
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
