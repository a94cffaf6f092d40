package match

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// TestWarnsOnMissingEcosystem: a language ecosystem with packages but no
// data at all in the database is said, not matched against nothing in
// silence; one with data is not.
func TestWarnsOnMissingEcosystem(t *testing.T) {
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "v.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add := func(source string, a advisory.Advisory) {
		t.Helper()
		seq := func(yield func(advisory.Advisory, error) bool) { yield(a, nil) }
		if _, err := db.Apply(ctx, feed.Batch{Source: source, Full: true, Advisories: seq}, feed.SourceState{Source: source}); err != nil {
			t.Fatal(err)
		}
	}
	add("osv/npm", advisory.Advisory{ID: "GHSA-aaaa-bbbb-cccc", Affected: []advisory.Affected{{Ecosystem: "npm", Package: "left-pad",
		Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "2.0.0"}}}}}}})
	inv := &sbom.Inventory{Packages: []sbom.Package{
		{Ecosystem: sbom.Golang, Name: "golang.org/x/net", Version: "v0.1.0"},
		{Ecosystem: sbom.Golang, Name: "golang.org/x/text", Version: "v0.3.0"},
		{Ecosystem: sbom.NPM, Name: "lodash", Version: "4.17.20"},
	}}
	res, err := Match(ctx, inv, db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	warned := strings.Join(res.Warnings, "\n")
	if !strings.Contains(warned, "no advisories for Go") || !strings.Contains(warned, "2 Go packages") {
		t.Errorf("warnings %q: want one about Go's missing data and its 2 packages", res.Warnings)
	}
	if strings.Contains(warned, "for npm") {
		t.Errorf("warnings %q: npm has data", res.Warnings)
	}
	add("osv/Go", advisory.Advisory{ID: "GO-2026-0001", Affected: []advisory.Affected{{Ecosystem: "Go", Package: "example.com/x",
		Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}}}}}}})
	if res, _ := Match(ctx, inv, db, Options{}); len(res.Warnings) != 0 {
		t.Errorf("warnings %q once Go has data, want none", res.Warnings)
	}
}
