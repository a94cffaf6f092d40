package pub

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
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
	if yamlnode.HasAlias(&doc) {
		return nil, errAlias
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
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
