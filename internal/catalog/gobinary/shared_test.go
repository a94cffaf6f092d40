package gobinary

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"
)

// sharedDir locates the project's shared test data: $VIGIL_SHARED, or
// shared/ beside the repository.
func sharedDir(t *testing.T) string {
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "images", "debian-app", "index.json")); err != nil {
		t.Skipf("shared test images not found under %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// TestDebianApp checks the Go binaries of the shared debian-app image
// against its ground truth: /app/goapp in layer 3 (truth/debian-app.lang.tsv)
// and /opt/legacy/bin/legacy-app in layer 2, which layer 3 deletes
// (truth/debian-app.absent.tsv lists its modules).
func TestDebianApp(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses two layers of the shared image")
	}
	shared := sharedDir(t)
	blobs := catalogtest.LayerBlobs(t, filepath.Join(shared, "images", "debian-app"))
	truth := func(name, path string) []string {
		b, err := os.ReadFile(filepath.Join(shared, "images", "truth", name))
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) >= 4 && f[0] == "golang" && f[3] == path {
				rows = append(rows, f[1]+"@"+f[2])
			}
		}
		slices.Sort(rows)
		return rows
	}
	for _, tc := range []struct {
		layer      int
		path       string
		truth      string
		exhaustive bool // the truth lists every module of the binary
	}{
		{2, "/app/goapp", "debian-app.lang.tsv", true},
		{1, "/opt/legacy/bin/legacy-app", "debian-app.absent.tsv", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			extracts := catalogtest.ExtractLayer(t, New(), blobs[tc.layer])
			pkgs, warns := catalogtest.CatalogExtracts(t, New(), extracts)
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			var got []string
			for _, p := range pkgs {
				if p.Locations[0] == tc.path {
					got = append(got, p.Name+"@"+p.Version)
				}
			}
			want := truth(tc.truth, tc.path)
			if len(want) == 0 {
				t.Fatal("no ground truth rows")
			}
			if tc.exhaustive {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("modules (-truth +got):\n%s", diff)
				}
				return
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("%s not found; got %q", w, got)
				}
			}
		})
	}
}
