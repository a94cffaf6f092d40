// Package yamlnode walks yaml.v3 node trees, which the catalogers of YAML
// lockfiles read instead of decoding into Go values: decoding a mapping
// into a Go map makes yaml.v3 compare every key with every other
// (quadratic: minutes for a hostile file of a few MiB) and expands
// aliases, while parsing into nodes is linear and leaves aliases as they
// are.
package yamlnode

import "gopkg.in/yaml.v3"

// Root returns the top node of a document.
func Root(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// Pairs calls f for each key and value of a mapping node whose key is a
// scalar, in file order; anything else calls nothing.
func Pairs(n *yaml.Node, f func(key string, val *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode {
			f(k.Value, n.Content[i+1])
		}
	}
}

// Field returns the value of key in a mapping node, nil when there is
// none; the first occurrence wins.
func Field(n *yaml.Node, key string) *yaml.Node {
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

// Scalar returns the text of a scalar node, "" for anything else.
func Scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// HasAlias reports whether the tree under n holds an alias node. The walk
// keeps its own stack: yaml.v3 allows nesting 10,000 deep.
func HasAlias(n *yaml.Node) bool {
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
