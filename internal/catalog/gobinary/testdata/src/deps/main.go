// Command deps is a fixture for Vigil's go-binary cataloger: a tiny program
// linking two old modules.
package main

import (
	"os"

	"golang.org/x/text/width"
	"gopkg.in/yaml.v2"
)

func main() {
	out, _ := yaml.Marshal(map[string]string{"w": width.Narrow.String("Ａ")})
	os.Stdout.Write(out)
}
