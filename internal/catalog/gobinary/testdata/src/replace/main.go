// Command replace is a fixture for Vigil's go-binary cataloger: its go.mod
// replaces one module by another module path, one by another version of
// itself and one by a local directory.
package main

import (
	"os"

	"example.com/vigil/local"
	"golang.org/x/text/width"
	"gopkg.in/yaml.v2"
)

func main() {
	out, _ := yaml.Marshal(map[string]string{"w": width.Narrow.String("Ａ"), "l": local.Name})
	os.Stdout.Write(out)
}
