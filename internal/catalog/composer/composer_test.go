package composer

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// row is a package as the golden files show it.
type row struct {
	Name, Version, PURL string
	Licenses            []sbom.License `json:",omitempty"`
	Locations           []string
	Dev                 bool `json:",omitempty"`
	FoundBy             string
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		out = append(out, row{Name: p.Name, Version: p.Version, PURL: p.PURL, Dev: p.Dev, Licenses: p.Licenses, Locations: p.Locations, FoundBy: p.FoundBy})
	}
	return out
}

// TestRootfs catalogs testdata/rootfs (real installed.json and composer.lock files,
// see testdata/README.md), once directly, compared with the golden files,
// and once through the whole pipeline on a dir: target, which must find the
// same packages.
func TestRootfs(t *testing.T) {
	catalogtest.CheckRootfs(t, filepath.Join("testdata", "rootfs"), []catalog.Cataloger{NewInstalled(), NewLock()}, rows, *update)
}
