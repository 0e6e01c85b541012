package fields

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
	"github.com/kube-zen/zen-watcher/internal/source/sourcetest"
)

// payload is a report as the API server's decoder gives it: int64 for
// whole numbers, float64 for the rest.
func payload() map[string]any {
	return map[string]any{
		"name":  "web",
		"empty": "",
		"null":  nil,
		"ok":    true,
		"count": int64(3),
		"ratio": 7.5,
		"meta": map[string]any{
			"labels": map[string]any{"app": "web", "tier": "front"},
			"bad":    map[string]any{"app": "web", "replicas": int64(2)},
		},
		"results": []any{
			map[string]any{"policy": "p0"},
			"not an object",
			map[string]any{
				"policy":   int64(1),
				"messages": []any{"a", "b"},
				"mixed":    []any{"a", false},
				"seconds":  1.5,
			},
		},
	}
}

func TestDecoder(t *testing.T) {
	const prefix = "wrong-type: reading tool Kind ns/name: "
	tests := []struct {
		name    string
		read    func(d *Decoder, root Node) any
		want    any
		wantErr string // after prefix; "" when none
	}{
		// Strings.
		{"string", func(d *Decoder, r Node) any { return d.String(r, "name") }, "web", ""},
		{"empty string", func(d *Decoder, r Node) any { return d.String(r, "empty") }, "", ""},
		{"absent string", func(d *Decoder, r Node) any { return d.String(r, "nope") }, "", ""},
		{"null string", func(d *Decoder, r Node) any { return d.String(r, "null") }, "", ""},
		{"string is a number", func(d *Decoder, r Node) any { return d.String(r, "count") }, "",
			"count is a number, want a string"},
		{"string is an object", func(d *Decoder, r Node) any { return d.String(r, "meta") }, "",
			"meta is an object, want a string"},
		{"text", func(d *Decoder, r Node) any { return d.Text(r, "name") }, "web", ""},
		{"absent text", func(d *Decoder, r Node) any { return d.Text(r, "nope") }, "", ""},
		{"text is a boolean", func(d *Decoder, r Node) any { return d.Text(r, "ok") }, "",
			"ok is a boolean, want a string"},

		// Booleans.
		{"bool", func(d *Decoder, r Node) any { v, ok := d.Bool(r, "ok"); return [2]bool{v, ok} },
			[2]bool{true, true}, ""},
		{"absent bool", func(d *Decoder, r Node) any { v, ok := d.Bool(r, "nope"); return [2]bool{v, ok} },
			[2]bool{false, false}, ""},
		{"null bool", func(d *Decoder, r Node) any { v, ok := d.Bool(r, "null"); return [2]bool{v, ok} },
			[2]bool{false, false}, ""},
		{"bool is a string", func(d *Decoder, r Node) any { v, ok := d.Bool(r, "name"); return [2]bool{v, ok} },
			[2]bool{false, false}, "name is a string, want a boolean"},

		// Numbers.
		{"number from int64", func(d *Decoder, r Node) any { return num(d.Number(r, "count")) }, 3.0, ""},
		{"number from float64", func(d *Decoder, r Node) any { return num(d.Number(r, "ratio")) }, 7.5, ""},
		{"absent number", func(d *Decoder, r Node) any { return num(d.Number(r, "nope")) }, nil, ""},
		{"null number", func(d *Decoder, r Node) any { return num(d.Number(r, "null")) }, nil, ""},
		{"number is a string", func(d *Decoder, r Node) any { return num(d.Number(r, "name")) }, nil,
			"name is a string, want a number"},
		{"float keeps float64", func(d *Decoder, r Node) any { return flt(d.Float(r, "ratio")) }, 7.5, ""},
		{"float from int64", func(d *Decoder, r Node) any { return flt(d.Float(r, "count")) }, 3.0, ""},
		{"absent float", func(d *Decoder, r Node) any { return flt(d.Float(r, "nope")) }, nil, ""},
		{"float is an array", func(d *Decoder, r Node) any { return flt(d.Float(r, "results")) }, nil,
			"results is an array, want a number"},
		{"integer", func(d *Decoder, r Node) any { return integer(d.Integer(r, "count")) }, int64(3), ""},
		{"absent integer", func(d *Decoder, r Node) any { return integer(d.Integer(r, "nope")) }, nil, ""},
		{"integer is a fraction", func(d *Decoder, r Node) any { return integer(d.Integer(r, "ratio")) }, nil,
			"ratio is a number, want an integer"},
		{"integer is a boolean", func(d *Decoder, r Node) any { return integer(d.Integer(r, "ok")) }, nil,
			"ok is a boolean, want a number"},

		// Objects and lists, and the paths of what is inside them.
		{"nested string", func(d *Decoder, r Node) any {
			return d.String(d.Object(d.Object(r, "meta"), "labels"), "app")
		}, "web", ""},
		{"absent object reads as empty", func(d *Decoder, r Node) any {
			return d.String(d.Object(d.Object(r, "nope"), "labels"), "app")
		}, "", ""},
		{"null object reads as empty", func(d *Decoder, r Node) any { return d.String(d.Object(r, "null"), "app") },
			"", ""},
		{"object is a string", func(d *Decoder, r Node) any { return d.String(d.Object(r, "name"), "app") }, "",
			"name is a string, want an object"},
		{"wrong type three objects deep", func(d *Decoder, r Node) any {
			return d.String(d.Object(d.Object(r, "meta"), "labels"), "app") + d.String(d.Object(d.Object(d.Object(r, "meta"), "labels"), "app"), "x")
		}, "web", "meta.labels.app is a string, want an object"},
		{"nested wrong type", func(d *Decoder, r Node) any {
			return d.String(d.Object(d.Object(r, "meta"), "labels"), "tier") + d.String(d.Object(r, "meta"), "labels")
		}, "front", "meta.labels is an object, want a string"},
		{"list", func(d *Decoder, r Node) any { return len(d.List(r, "results")) }, 3, ""},
		{"absent list", func(d *Decoder, r Node) any { return d.List(r, "nope") == nil }, true, ""},
		{"null list", func(d *Decoder, r Node) any { return d.List(r, "null") == nil }, true, ""},
		{"list is an object", func(d *Decoder, r Node) any { return d.List(r, "meta") == nil }, true,
			"meta is an object, want an array"},
		{"element member", func(d *Decoder, r Node) any {
			return d.String(d.Element("results", 0, d.List(r, "results")[0]), "policy")
		}, "p0", ""},
		{"element member of the wrong type", func(d *Decoder, r Node) any {
			return d.String(d.Element("results", 2, d.List(r, "results")[2]), "policy")
		}, "", "results[2].policy is a number, want a string"},
		{"element of a nested list", func(d *Decoder, r Node) any {
			n := d.Element("spec.results", 2, d.List(r, "results")[2])
			return d.String(n, "policy")
		}, "", "spec.results[2].policy is a number, want a string"},
		{"element is not an object", func(d *Decoder, r Node) any {
			return d.String(d.Element("results", 1, d.List(r, "results")[1]), "policy")
		}, "", "results[1] is a string, want an object"},
		{"object inside an element", func(d *Decoder, r Node) any {
			n := d.Element("results", 2, d.List(r, "results")[2])
			return integer(d.Integer(d.Object(n, "policy"), "seconds"))
		}, nil, "results[2].policy is a number, want an object"},
		{"integer inside an element", func(d *Decoder, r Node) any {
			return integer(d.Integer(d.Element("results", 2, d.List(r, "results")[2]), "seconds"))
		}, nil, "results[2].seconds is a number, want an integer"},

		// Copies of string arrays and objects.
		{"strings", func(d *Decoder, r Node) any {
			return d.Strings(d.Element("results", 2, d.List(r, "results")[2]), "messages")
		}, []string{"a", "b"}, ""},
		{"absent strings", func(d *Decoder, r Node) any { return d.Strings(r, "nope") }, []string(nil), ""},
		{"null strings", func(d *Decoder, r Node) any { return d.Strings(r, "null") }, []string(nil), ""},
		{"strings is a string", func(d *Decoder, r Node) any { return d.Strings(r, "name") }, []string(nil),
			"name is a string, want an array"},
		{"strings holds a boolean", func(d *Decoder, r Node) any {
			return d.Strings(d.Element("results", 2, d.List(r, "results")[2]), "mixed")
		}, []string(nil), "results[2].mixed[1] is a boolean, want a string"},
		{"string map", func(d *Decoder, r Node) any { return d.StringMap(d.Object(r, "meta"), "labels") },
			map[string]string{"app": "web", "tier": "front"}, ""},
		{"absent string map", func(d *Decoder, r Node) any { return d.StringMap(r, "nope") },
			map[string]string(nil), ""},
		{"null string map", func(d *Decoder, r Node) any { return d.StringMap(r, "null") },
			map[string]string(nil), ""},
		{"string map is an array", func(d *Decoder, r Node) any { return d.StringMap(r, "results") },
			map[string]string(nil), "results is an array, want an object"},
		{"string map holds a number", func(d *Decoder, r Node) any { return d.StringMap(d.Object(r, "meta"), "bad") },
			map[string]string(nil), "meta.bad.replicas is a number, want a string"},

		// Only the first wrong type is kept.
		{"first error wins", func(d *Decoder, r Node) any {
			return d.String(r, "count") + d.String(r, "ok") + d.String(r, "name")
		}, "web", "count is a number, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder("tool", "Kind ns/name")
			got := tt.read(d, Root(payload()))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			err := d.Err()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			if got, want := err.Error(), prefix+tt.wantErr; got != want {
				t.Errorf("error\n got %q\nwant %q", got, want)
			}
			if r := sourcetest.Reason(t, err); r != source.ReasonWrongType {
				t.Errorf("error %v has reason %s, want %s", err, r, source.ReasonWrongType)
			}
		})
	}
}

// TestDecoderNumberTypes covers what each JSON decoder gives for a number:
// the API server's int64, encoding/json's float64, UseNumber's json.Number,
// and the other Go types a hand-built object may hold.
func TestDecoderNumberTypes(t *testing.T) {
	tests := []struct {
		name        string
		v           any
		number      any // Number's value, nil when absent
		integer     any // Integer's value, nil when absent
		numberErr   string
		integerErr  string
		floatStored bool // Float returns the stored interface value
	}{
		{"float64", 2.0, 2.0, int64(2), "", "", true},
		{"float64 fraction", 2.5, 2.5, nil, "", "n is a number, want an integer", true},
		{"int64", int64(-4), -4.0, int64(-4), "", "", false},
		{"int", 5, 5.0, int64(5), "", "", false},
		{"int32", int32(6), 6.0, int64(6), "", "", false},
		{"float32", float32(0.5), 0.5, nil, "", "n is a number, want an integer", false},
		{"json.Number", json.Number("12"), 12.0, int64(12), "", "", false},
		{"json.Number fraction", json.Number("1.25"), 1.25, nil, "", "n is a number, want an integer", false},
		{"json.Number not a number", json.Number("x"), nil, nil,
			"n is a number, want a number", "n is a number, want a number", false},
		{"beyond int64", 1e19, 1e19, nil, "", "", true},
		{"below int64", -1e19, -1e19, nil, "", "", true},
		{"Go type", make(chan int), nil, nil,
			"n is a Go chan int, want a number", "n is a Go chan int, want a number", false},
	}
	const prefix = "wrong-type: reading tool Kind ns/name: "
	check := func(t *testing.T, what string, err error, want string) {
		t.Helper()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: unexpected error: %v", what, err)
		case want != "" && (err == nil || err.Error() != prefix+want):
			t.Errorf("%s: error %v, want %q", what, err, prefix+want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := Root(map[string]any{"n": tt.v})

			d := NewDecoder("tool", "Kind ns/name")
			if got := num(d.Number(root, "n")); !reflect.DeepEqual(got, tt.number) {
				t.Errorf("Number = %#v, want %#v", got, tt.number)
			}
			check(t, "Number", d.Err(), tt.numberErr)

			d = NewDecoder("tool", "Kind ns/name")
			if got := flt(d.Float(root, "n")); !reflect.DeepEqual(got, tt.number) {
				t.Errorf("Float = %#v, want %#v", got, tt.number)
			}
			check(t, "Float", d.Err(), tt.numberErr)

			d = NewDecoder("tool", "Kind ns/name")
			if got := integer(d.Integer(root, "n")); !reflect.DeepEqual(got, tt.integer) {
				t.Errorf("Integer = %#v, want %#v", got, tt.integer)
			}
			check(t, "Integer", d.Err(), tt.integerErr)

			if tt.floatStored {
				allocs := testing.AllocsPerRun(100, func() {
					_, _ = NewDecoder("tool", "Kind ns/name").Float(root, "n")
				})
				if allocs != 0 {
					t.Errorf("Float of a stored float64 allocates %v times, want 0", allocs)
				}
			}
		})
	}
}

// TestDecoderReadsWithoutAllocating checks that paths are only joined for
// messages: reading well-typed members of the root, of objects two deep and
// of list elements allocates nothing, and Text hands back the stored
// interface value instead of boxing a copy.
func TestDecoderReadsWithoutAllocating(t *testing.T) {
	root := Root(payload())
	d := NewDecoder("tool", "Kind ns/name")
	allocs := testing.AllocsPerRun(100, func() {
		_ = d.Text(root, "name")
		_ = d.String(d.Object(d.Object(root, "meta"), "labels"), "app")
		_, _ = d.Bool(root, "ok")
		_, _ = d.Integer(root, "count")
		for i, e := range d.List(root, "results") {
			if i != 1 {
				_ = d.String(d.Element("results", i, e), "absent")
			}
		}
	})
	if err := d.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if allocs != 0 {
		t.Errorf("reading well-typed members allocates %v times, want 0", allocs)
	}
}

func TestNodePath(t *testing.T) {
	d := NewDecoder("tool", "Kind ns/name")
	root := Root(payload())
	results := d.List(root, "results")
	tests := []struct {
		name string
		n    Node
		want string
	}{
		{"root", root, "key"},
		{"zero node", Node{}, "key"},
		{"object", d.Object(root, "meta"), "meta.key"},
		{"nested object", d.Object(d.Object(root, "meta"), "labels"), "meta.labels.key"},
		{"absent object", d.Object(root, "nope"), "nope.key"},
		{"element", d.Element("results", 2, results[2]), "results[2].key"},
		{"object in element", d.Object(d.Element("results", 0, results[0]), "scope"), "results[0].scope.key"},
		{"element of a nested list", d.Element("a.b", 0, results[0]), "a.b[0].key"},
		{"three objects deep", d.Object(d.Object(d.Object(root, "a"), "b"), "c"), "a.b.c.key"},
		{"two objects in an element", d.Object(d.Object(d.Element("results", 0, results[0]), "x"), "y"),
			"results[0].x.y.key"},
		{"element of a list in an object", d.Element(d.Object(root, "meta").Path("items"), 3, results[0]),
			"meta.items[3].key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.n.Path("key"); got != tt.want {
				t.Errorf("Path = %q, want %q", got, tt.want)
			}
		})
	}
	if err := d.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// num, flt and integer fold a getter's (value, present) into one value,
// nil when absent.
func num(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func flt(v any, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func integer(v int64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}
