package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// nested returns a map nested depth levels deep, with a string at the bottom.
func nested(depth int) map[string]any {
	m := map[string]any{"leaf": "bottom"}
	for range depth - 1 {
		m = map[string]any{"n": m}
	}
	return m
}

// manyKeys returns n keys k00000… each holding value.
func manyKeys(n int, value any) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[fmt.Sprintf("k%05d", i)] = value
	}
	return m
}

type tagged struct {
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"`
	skip  string
}

type unencodable struct {
	Name string
	Fn   func()
	Self map[string]any
}

// checkStorable asserts what every normalized details map must satisfy.
func checkStorable(t *testing.T, d map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("details do not encode: %v", err)
	}
	if len(b) > zenv1.MaxDetailsBytes {
		t.Errorf("details encode to %d bytes, limit %d", len(b), zenv1.MaxDetailsBytes)
	}
	if len(d) > maxDetailsKeys {
		t.Errorf("details have %d keys, limit %d", len(d), maxDetailsKeys)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if len(x) > zenv1.MaxStringLength || !utf8.ValidString(x) {
				t.Errorf("string of %d bytes, valid UTF-8 %v", len(x), utf8.ValidString(x))
			}
		case map[string]any:
			for k, e := range x {
				walk(k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(d)
	return b
}

func TestNormalizeDetails(t *testing.T) {
	cyclic := map[string]any{"name": "loop"}
	cyclic["self"] = cyclic
	cyclicList := []any{"x"}
	cyclicList = append(cyclicList, nil)
	cyclicList[1] = cyclicList
	ch := make(chan int)
	long := strings.Repeat("a", 2000)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 42

	tests := []struct {
		name      string
		in        map[string]any
		want      map[string]any // nil: checked by check only
		check     func(t *testing.T, d map[string]any)
		truncated bool
	}{
		{name: "nil stays nil", in: nil, want: nil},
		{name: "empty stays empty", in: map[string]any{}, want: map[string]any{}},
		{
			name: "plain values unchanged",
			in:   map[string]any{"s": "x", "f": 1.5, "i": 3, "b": true, "n": nil, "l": []any{"a", 2.0}, "m": map[string]any{"k": "v"}},
			want: map[string]any{"s": "x", "f": 1.5, "i": 3, "b": true, "n": nil, "l": []any{"a", 2.0}, "m": map[string]any{"k": "v"}},
		},
		{name: "string of exactly 1024 kept", in: map[string]any{"s": strings.Repeat("a", 1024)}, want: map[string]any{"s": strings.Repeat("a", 1024)}},
		{
			name:      "long strings cut with marker, at any depth",
			in:        map[string]any{"s": long, "m": map[string]any{"l": []any{long}}},
			want:      map[string]any{"s": strings.Repeat("a", 1010) + truncatedMarker, "m": map[string]any{"l": []any{strings.Repeat("a", 1010) + truncatedMarker}}},
			truncated: true,
		},
		{
			name: "cut on a rune boundary",
			in:   map[string]any{"s": strings.Repeat("é", 1000)},
			check: func(t *testing.T, d map[string]any) {
				s := d["s"].(string)
				if !strings.HasSuffix(s, truncatedMarker) || s != strings.Repeat("é", 505)+truncatedMarker {
					t.Errorf("got %d bytes ending %q", len(s), s[len(s)-20:])
				}
			},
			truncated: true,
		},
		{name: "1 MiB string", in: map[string]any{"s": strings.Repeat("x", 1<<20)}, truncated: true},
		{name: "invalid UTF-8 and NUL", in: map[string]any{"s": "a\xffb\x00c"}, want: map[string]any{"s": "a\uFFFDb\x00c"}},
		{
			name:      "long key cut with marker",
			in:        map[string]any{long: 1},
			want:      map[string]any{strings.Repeat("a", 1010) + truncatedMarker: 1},
			truncated: true,
		},
		{
			name:      "repaired key loses to the key it collides with",
			in:        map[string]any{"a\xff": 1, "a\uFFFD": 2},
			want:      map[string]any{"a\uFFFD": 2},
			truncated: true,
		},
		{
			name: "NaN and infinities become text",
			in:   map[string]any{"nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1), "f32": float32(math.NaN()), "l": []any{math.NaN()}},
			want: map[string]any{"nan": "NaN", "inf": "+Inf", "ninf": "-Inf", "f32": "NaN", "l": []any{"NaN"}},
		},
		{
			name: "channels, funcs and complex numbers become text",
			in:   map[string]any{"ch": ch, "fn": func() {}, "c": complex(1, 2)},
			check: func(t *testing.T, d map[string]any) {
				if d["ch"] != fmt.Sprintf("%v", ch) || !strings.HasPrefix(d["fn"].(string), "0x") || d["c"] != "(1+2i)" {
					t.Errorf("got %#v", d)
				}
			},
		},
		{
			name: "typed values become plain JSON values",
			in: map[string]any{
				"strs": []string{"a", "b"}, "smap": map[string]string{"k": "v"}, "time": at,
				"struct": tagged{Name: "n", Count: 2, skip: "x"}, "ptr": &n, "nilptr": (*int)(nil),
				"intkeys": map[int]string{1: "one"}, "bytes": []byte("hi"), "num": json.Number("12.5"),
				"badnum": json.Number("x1"), "ints": []int{1, 2}, "nilmap": map[string]any(nil),
			},
			want: map[string]any{
				"strs": []any{"a", "b"}, "smap": map[string]any{"k": "v"}, "time": "2025-01-02T03:04:05Z",
				"struct": map[string]any{"name": "n", "count": 2.0}, "ptr": 42, "nilptr": nil,
				"intkeys": map[string]any{"1": "one"}, "bytes": "aGk=", "num": json.Number("12.5"),
				"badnum": "x1", "ints": []any{1, 2}, "nilmap": nil,
			},
		},
		{
			name: "struct JSON rejects is copied field by field",
			in:   map[string]any{"u": unencodable{Name: "n", Fn: func() {}, Self: cyclic}},
			check: func(t *testing.T, d map[string]any) {
				u := d["u"].(map[string]any)
				if u["Name"] != "n" || !strings.HasPrefix(u["Fn"].(string), "0x") {
					t.Errorf("got %#v", u)
				}
			},
			truncated: true, // the cycle inside is cut
		},
		{
			name: "nesting of 1000 levels is cut",
			in:   nested(1000),
			check: func(t *testing.T, d map[string]any) {
				depth := 0
				var v any = d
				for {
					m, ok := v.(map[string]any)
					if !ok {
						break
					}
					v, depth = m["n"], depth+1
				}
				if v != tooDeepMarker || depth != maxDetailsDepth {
					t.Errorf("bottom %v at depth %d, want %q at %d", v, depth, tooDeepMarker, maxDetailsDepth)
				}
			},
			truncated: true,
		},
		{name: "nesting within the limit kept", in: nested(maxDetailsDepth), want: nested(maxDetailsDepth)},
		{name: "map that contains itself", in: map[string]any{"c": cyclic}, truncated: true},
		{name: "list that contains itself", in: map[string]any{"c": cyclicList}, truncated: true},
		{name: "64 keys kept", in: manyKeys(64, 1), want: manyKeys(64, 1)},
		{
			name: "65 keys: first 63 in order plus _truncated",
			in:   manyKeys(65, 1),
			check: func(t *testing.T, d map[string]any) {
				want := manyKeys(63, 1)
				want[detailsTruncatedKey] = true
				if !reflect.DeepEqual(d, want) {
					t.Errorf("got keys %v", slices.Sorted(func(yield func(string) bool) {
						for k := range d {
							yield(k)
						}
					}))
				}
			},
			truncated: true,
		},
		{
			name: "10,000 keys of 1 KiB",
			in:   manyKeys(10_000, strings.Repeat("v", 1024)),
			check: func(t *testing.T, d map[string]any) {
				if d[detailsTruncatedKey] != true || d["k00000"] == nil {
					t.Errorf("want the first keys and _truncated, got %d keys", len(d))
				}
			},
			truncated: true,
		},
		{
			name: "over 32 KiB keeps the sorted prefix that fits",
			in:   manyKeys(40, strings.Repeat("v", 1000)),
			check: func(t *testing.T, d map[string]any) {
				if d[detailsTruncatedKey] != true || d["k00000"] == nil || d["k00039"] != nil {
					t.Errorf("got %d keys", len(d))
				}
			},
			truncated: true,
		},
		{
			name:      "a single value too large is skipped, later keys kept",
			in:        map[string]any{"a": manyKeys(100, strings.Repeat("v", 1000)), "b": "small"},
			want:      map[string]any{"b": "small", detailsTruncatedKey: true},
			truncated: true,
		},
		{name: "_truncated from the tool kept when nothing is cut", in: map[string]any{"_truncated": "tool"}, want: map[string]any{"_truncated": "tool"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := normFinding()
			f.Resource, f.Details = nil, tt.in
			out, m := normalizeOne(t, f)
			got := out[0].Details
			if tt.in == nil {
				if got != nil {
					t.Fatalf("nil details became %#v", got)
				}
				return
			}
			checkStorable(t, got)
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("details =\n%#v\nwant\n%#v", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			wantCount := 0.0
			if tt.truncated {
				wantCount = 1
			}
			if c := testutil.ToFloat64(m.FindingsTruncated.WithLabelValues("trivy")); c != wantCount {
				t.Errorf("truncated = %v, want %v", c, wantCount)
			}
		})
	}
}
