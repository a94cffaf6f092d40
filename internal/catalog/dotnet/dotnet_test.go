package dotnet

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRootfs catalogs testdata/rootfs (real deps.json and packages.lock.json files,
// see testdata/README.md), once directly, compared with the golden files,
// and once through the whole pipeline on a dir: target, which must find the
// same packages.
func TestRootfs(t *testing.T) {
	catalogtest.CheckRootfs(t, filepath.Join("testdata", "rootfs"), []catalog.Cataloger{NewDeps(), NewLock()}, catalogtest.Rows, *update)
}
