package npm

import (
	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
)

// The YAML lockfiles are walked as node trees (package yamlnode says why);
// aliases are not followed: the tools never write them, and following
// them is how small files blow up.

// stringMap reads a mapping of scalars ("name: range"), in file order.
func stringMap(n *yaml.Node) [][2]string {
	var out [][2]string
	yamlnode.Pairs(n, func(k string, v *yaml.Node) {
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
