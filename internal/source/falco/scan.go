package falco

import "bytes"

// The framing of a body between its values: where the next value starts,
// and where reading goes on after one that is not JSON. The values
// themselves are read by the JSON library (see decode.go).

// skipSpace returns the position of the first byte at or after pos that is
// not JSON white space, or len(data).
func skipSpace(data []byte, pos int) int {
	for pos < len(data) {
		switch data[pos] {
		case ' ', '\t', '\r', '\n':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// resync returns where reading goes on after a broken value that starts at
// pos: the next line that starts with '{', or the end of the body. The
// lines skipped belong to the broken value, so the continuation lines of a
// broken pretty-printed object (indented, or a closing brace after other
// text) do not each count as an item, while every NDJSON line after a
// broken one is still read.
func resync(data []byte, pos int) int {
	for {
		nl := bytes.IndexByte(data[pos:], '\n')
		if nl < 0 {
			return len(data)
		}
		pos += nl + 1
		if pos < len(data) && data[pos] == '{' {
			return pos
		}
	}
}

// lineEnd is the end of the line pos is on, its '\n' included.
func lineEnd(data []byte, pos int) int {
	if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
		return pos + nl + 1
	}
	return len(data)
}
