package python

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// maxTOMLNesting bounds the nesting of arrays and inline tables in a TOML
// document. The TOML parser recurses once per level, so a hostile file of
// nothing but "[" could exhaust the stack; real lockfiles nest four deep.
const maxTOMLNesting = 32

// decodeTOML decodes data into v after checking its nesting. The targets
// used in this package are structs of strings, slices and maps of
// toml.Primitive, never `any`, so decoding only walks the parts Vigil
// reads, however deep the rest of the document goes through dotted keys.
func decodeTOML(data []byte, v any) (toml.MetaData, error) {
	if n := tomlNesting(data); n > maxTOMLNesting {
		return toml.MetaData{}, fmt.Errorf("arrays or tables nested %d deep", n)
	}
	md, err := toml.Decode(string(data), v)
	if err != nil {
		return md, fmt.Errorf("invalid TOML: %w", err)
	}
	return md, nil
}

// tomlNesting returns the deepest nesting of "[" and "{" outside strings and
// comments. It errs towards counting: a string it cannot tell the end of
// ends at the line's end, as TOML's one-line strings must.
func tomlNesting(data []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case '"', '\'':
			i = skipTOMLString(data, i)
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return deepest
}

// skipTOMLString returns the index of the last byte of the string that
// starts at data[i].
func skipTOMLString(data []byte, i int) int {
	q := data[i]
	if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
		for j := i + 3; j+2 < len(data); j++ {
			if q == '"' && data[j] == '\\' {
				j++
				continue
			}
			if data[j] == q && data[j+1] == q && data[j+2] == q {
				return j + 2
			}
		}
		return len(data) - 1
	}
	for j := i + 1; j < len(data); j++ {
		switch {
		case q == '"' && data[j] == '\\':
			j++
		case data[j] == q:
			return j
		case data[j] == '\n':
			return j - 1
		}
	}
	return len(data) - 1
}
