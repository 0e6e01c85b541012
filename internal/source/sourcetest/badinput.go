package sourcetest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// Case is one input a parser must refuse, with the reason it must give.
type Case struct {
	Name, In, Reason string
	// Says is a part of the message, when the case checks one.
	Says string
}

// Garbage is n random bytes, the same for the same seed.
func Garbage(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// Reasons say which reason a parser gives to each kind of hostile input
// that BadJSON makes.
type Reasons struct {
	// Blank: nothing but white space.
	Blank string
	// Broken: not JSON (cut short, random bytes, nested without end).
	Broken string
	// Scalar: well-formed JSON whose top level is neither an object nor an
	// array: null, a string, a number, a boolean.
	Scalar string
}

// BadJSON is what every decoder of a JSON document is tried with: blank,
// broken and hostile bodies (1 MiB of random bytes, 10,000 open brackets,
// 100,000 nested arrays) and well-formed bodies of the wrong shape (a 1 MiB
// string). fixture, a valid document, is cut in half for one of them.
func BadJSON(fixture []byte, r Reasons) []Case {
	garbage := string(Garbage(3, 1<<20))
	return []Case{
		{Name: "empty", In: "", Reason: r.Blank},
		{Name: "only space", In: " \r\n\t", Reason: r.Blank},
		{Name: "truncated fixture", In: string(fixture[:len(fixture)/2]), Reason: r.Broken},
		{Name: "single quotes", In: `{'kind':'x'}`, Reason: r.Broken},
		{Name: "1 MiB random bytes", In: garbage, Reason: r.Broken},
		{Name: "1 MiB garbage after a brace", In: "{" + garbage, Reason: r.Broken},
		{Name: "1 MiB garbage after a bracket", In: "[" + garbage, Reason: r.Broken},
		{Name: "10000 open brackets", In: strings.Repeat("[", 10000), Reason: r.Broken},
		{Name: "100000 nested arrays", In: strings.Repeat("[", 100000) + strings.Repeat("]", 100000), Reason: r.Broken},
		{Name: "null", In: "null", Reason: r.Scalar},
		{Name: "string", In: `"results"`, Reason: r.Scalar},
		{Name: "number", In: "42", Reason: r.Scalar},
		{Name: "boolean", In: "true", Reason: r.Scalar},
		{Name: "1 MiB string", In: `"` + strings.Repeat("a", 1<<20) + `"`, Reason: r.Scalar},
	}
}

// Refuses runs each case through parse, which must refuse it with the
// case's reason, in a message naming tool (unless tool is empty) and
// saying what the case says, and return nothing: empty reports whether
// what parse returned beside the error is empty.
func Refuses(t *testing.T, tool string, cases []Case, parse func(in []byte) (empty bool, err error)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			empty, err := parse([]byte(c.In))
			if err == nil {
				t.Fatal("accepted")
			}
			if got := Reason(t, err); got != c.Reason {
				t.Errorf("reason %q; want %q (%v)", got, c.Reason, err)
			}
			if !strings.Contains(err.Error(), tool) {
				t.Errorf("error %q does not name the source %s", err, tool)
			}
			if c.Says != "" && !strings.Contains(err.Error(), c.Says) {
				t.Errorf("error %q does not say %q", err, c.Says)
			}
			if !empty {
				t.Error("a refused payload returned a result")
			}
		})
	}
}

// RefusesTruncations cuts data (white space trimmed) at every step-th
// byte, from from bytes on, and checks that parse refuses each cut as
// reason: a strict prefix of a document is broken, never a smaller
// document, or a payload cut short would resolve the findings it lost.
// step may grow with the cut, for large fixtures.
func RefusesTruncations(t *testing.T, name string, data []byte, from int, step func(n int) int, reason string, parse func([]byte) error) {
	t.Helper()
	data = bytes.TrimSpace(data)
	for n := from; n < len(data); n += step(n) {
		err := parse(data[:n])
		if err == nil {
			t.Fatalf("%s cut at %d bytes was accepted", name, n)
		}
		if r := Reason(t, err); r != reason {
			t.Fatalf("%s cut at %d bytes: %s (%v); want %s", name, n, r, err, reason)
		}
	}
}

// EveryByte is the step of RefusesTruncations that cuts at every byte.
func EveryByte(int) int { return 1 }
