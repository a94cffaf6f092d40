package sbomfile_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/sbomfile"
	"github.com/vigilproject/vigil/internal/sharedtest"
)

// TestVigilJSONSharedImages reads back, field for field, the Vigil JSON
// inventories of the shared real images, as `vigil sbom -f json` writes
// them.
func TestVigilJSONSharedImages(t *testing.T) {
	shared := sharedtest.Dir(t, "images/debian-app", "images/debian-minbase")
	for _, name := range []string{"debian-minbase", "debian-app"} {
		t.Run(name, func(t *testing.T) {
			want := sharedtest.Inventory(t, filepath.Join(shared, "images", name))
			var buf bytes.Buffer
			if err := report.WriteInventory(&buf, want, report.FormatJSON, report.Options{}); err != nil {
				t.Fatal(err)
			}
			got, err := sbomfile.Read(context.Background(), name+".json", &buf)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}
