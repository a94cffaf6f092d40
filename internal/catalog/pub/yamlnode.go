package pub

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// YAML is read into yaml.Node trees and walked by hand. Parsing into
// nodes is linear in the input; decoding into Go maps is not (yaml.v3
// compares each key with the others), and it expands aliases, the way a
// small file blows up ("billion laughs"). pub never writes anchors or
// aliases, so a file holding an alias is refused outright. yaml.v3 itself
// refuses nesting deeper than 10,000 levels.

var errAlias = errors.New("YAML aliases, which pub never writes, refused")

// decodeYAML parses the first document of data. It returns nil for a
// document without content (an empty file or only comments).
func decodeYAML(data []byte) (*yaml.Node, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8 text")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if hasAlias(&doc) {
		return nil, errAlias
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

// hasAlias reports whether the tree under n holds an alias node. The walk
// uses its own stack: nesting may be 10,000 deep.
func hasAlias(n *yaml.Node) bool {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			return true
		}
		stack = append(stack, n.Content...)
	}
	return false
}

// pairs calls f for each key and value of a mapping node whose key is a
// scalar, in file order.
func pairs(n *yaml.Node, f func(key string, val *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode {
			f(k.Value, n.Content[i+1])
		}
	}
}

// field returns the value of key in a mapping node, nil when there is
// none; the first occurrence wins.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// str returns the text of a string scalar. A number or boolean
// (version: 1.0) is not one: pub refuses those where it wants a string.
func str(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	return n.Value, true
}

// isNull reports whether n is an empty or null scalar ("key:" alone).
func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kind names the kind of a node for messages.
func kind(n *yaml.Node) string {
	switch {
	case n == nil:
		return "missing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a " + n.ShortTag() + " scalar"
	}
	return "not a value"
}
