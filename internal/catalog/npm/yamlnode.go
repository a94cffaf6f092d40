package npm

import (
	"gopkg.in/yaml.v3"
)

// The YAML lockfiles are read as yaml.Node trees and walked by hand:
// decoding a mapping into a Go map makes yaml.v3 compare every key with
// every other (quadratic: minutes for a hostile file of a few MiB), while
// parsing into nodes is linear. Aliases are not followed — the tools never
// write them, and following them is how small files blow up.

// root returns the top node of a document.
func root(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// pairs calls f for each key and value of a mapping node whose key is a
// scalar; anything else calls nothing.
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

// field returns the value of key in a mapping node, or nil; the first
// occurrence wins.
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

// scalar returns the text of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// stringMap reads a mapping of scalars ("name: range"), in file order.
func stringMap(n *yaml.Node) [][2]string {
	var out [][2]string
	pairs(n, func(k string, v *yaml.Node) {
		if v.Kind == yaml.ScalarNode {
			out = append(out, [2]string{k, v.Value})
		}
	})
	return out
}

// scalars reads a sequence of scalars.
func scalars(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}
