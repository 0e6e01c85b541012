package jsonerr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kube-zen/zen-watcher/internal/source"
)

func TestExplain(t *testing.T) {
	type report struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	cases := []struct {
		name, in, reason, says string
	}{
		{"syntax", `{"results":[}`, source.ReasonInvalidJSON, "parsing tool JSON at byte 13"},
		{"cut short", `{"results":[`, source.ReasonInvalidJSON, "at byte 12: unexpected end"},
		{"wrong type", `{"results":[{"id":5}]}`, source.ReasonWrongType, "results.id at byte 19 is a JSON number, want a string"},
		{"top-level element", `[1]`, source.ReasonWrongType, "top-level array element"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r report
			var err error
			if c.in[0] == '[' {
				var list []report
				err = json.Unmarshal([]byte(c.in), &list)
			} else {
				err = json.Unmarshal([]byte(c.in), &r)
			}
			got := Explain("tool", err)
			if source.ReasonOf(got) != c.reason || !strings.Contains(got.Error(), c.says) {
				t.Errorf("got %v (%s); want %s saying %q", got, source.ReasonOf(got), c.reason, c.says)
			}
		})
	}
}

func TestTopLevel(t *testing.T) {
	cases := []struct{ in, reason, says string }{
		{`"x"`, source.ReasonUnknownShape, "top level is a string, want an object"},
		{` true`, source.ReasonUnknownShape, "top level is a boolean"},
		{`null`, source.ReasonUnknownShape, "top level is null"},
		{`-5`, source.ReasonUnknownShape, "top level is a number"},
		{`nul`, source.ReasonInvalidJSON, "parsing tool JSON"},
		{``, source.ReasonInvalidJSON, "parsing tool JSON"},
	}
	for _, c := range cases {
		err := TopLevel("tool", []byte(c.in), "an object")
		if source.ReasonOf(err) != c.reason || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: got %v; want %s saying %q", c.in, err, c.reason, c.says)
		}
	}
}

func TestFirstByte(t *testing.T) {
	for in, want := range map[string]byte{"": 0, " \r\n\t": 0, " \n{": '{', "[": '[', "\t\"": '"'} {
		if got := FirstByte([]byte(in)); got != want {
			t.Errorf("FirstByte(%q) = %q; want %q", in, got, want)
		}
	}
}
