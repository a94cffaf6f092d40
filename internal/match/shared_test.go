package match

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/feed/debian"
	"github.com/vigilproject/vigil/internal/feed/osv"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// debianDB imports the Debian 12 tracker and its OSV form; full adds every
// OSV archive of the shared data.
func debianDB(t testing.TB, shared string, full bool) *vulndb.DB {
	t.Helper()
	db, err := vulndb.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	feeds := filepath.Join(shared, "vulnfeeds")
	sharedtest.Import(t, db, debian.New(nil, ""), filepath.Join(feeds, "debian-derived/tracker.json"))
	u, err := osv.New(nil, "Debian", osv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sharedtest.Import(t, db, u, filepath.Join(feeds, "debian-derived/osv/Debian/all.zip"))
	if full {
		for _, eco := range []string{"Go", "PyPI", "crates.io", "npm", "Maven", "Packagist", "NuGet", "RubyGems", "Ubuntu", "Alpine"} {
			u, err := osv.New(nil, eco, osv.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sharedtest.Import(t, db, u, filepath.Join(feeds, "osv", eco, "all.zip"))
		}
	}
	return db
}

func TestDebianAccuracy(t *testing.T) {
	shared := sharedtest.Dir(t, "vulnfeeds/debian-derived/tracker.json")
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: the expectations need dpkg --compare-versions")
	}
	raw, err := os.ReadFile(filepath.Join(shared, "vulnfeeds/debian-derived/tracker.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr sharedtest.Tracker
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	db := debianDB(t, shared, false)
	for _, img := range []string{"debian-minbase", "debian-app"} {
		t.Run(img, func(t *testing.T) {
			inv := sharedtest.Inventory(t, filepath.Join(shared, "images", img))
			// Expectations, with every version comparison left to dpkg.
			type exp struct{ pkg, cve, fixed, status string }
			var exps []exp
			need := map[[2]string]bool{}
			for _, p := range inv.Packages {
				if p.Ecosystem != sbom.Deb {
					continue
				}
				src, ver := cmpOr(p.SourceName, p.Name), cmpOr(p.SourceVersion, p.Version)
				for cve, e := range tr[src] {
					r, ok := e.Releases["bookworm"]
					if !ok {
						continue
					}
					switch {
					case r.Status == "resolved" && r.FixedVersion == "0":
					case r.Status == "resolved":
						exps = append(exps, exp{p.Name + "\t" + ver, cve, r.FixedVersion, "fixed"})
						need[[2]string{ver, r.FixedVersion}] = true
					default:
						exps = append(exps, exp{p.Name + "\t" + ver, cve, "", r.Status})
					}
				}
			}
			pairs := slices.Collect(func(yield func([2]string) bool) {
				for p := range need {
					if !yield(p) {
						return
					}
				}
			})
			less := sharedtest.DpkgLess(t, pairs)
			var want []string
			for _, e := range exps {
				_, ver, _ := strings.Cut(e.pkg, "\t")
				if e.fixed != "" && !less[[2]string{ver, e.fixed}] {
					continue
				}
				name, _, _ := strings.Cut(e.pkg, "\t")
				want = append(want, fmt.Sprintf("%s %s fix=%s", name, e.cve, e.fixed))
			}
			slices.Sort(want)

			res, err := Match(context.Background(), inv, db, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.PackageEcosystem != string(sbom.Deb) {
					continue
				}
				got = append(got, fmt.Sprintf("%s %s fix=%s", f.PackageName, f.ID, strings.Join(f.Fix.Versions, ",")))
				if f.Source != "debian" || f.Ecosystem != "Debian:12" || !slices.Contains(f.Aliases, "DEBIAN-"+f.ID) {
					t.Errorf("%s %s: source %s %s, aliases %v: want the tracker's entry grouped with OSV's", f.PackageName, f.ID, f.Source, f.Ecosystem, f.Aliases)
				}
			}
			slices.Sort(got)
			if len(want) == 0 {
				t.Fatal("no expected findings: the test would prove nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-tracker+dpkg +vigil):\n%s", diff)
			}
			t.Logf("%s: %d Debian findings agree with the tracker and dpkg (%d comparisons); warnings %q", img, len(got), len(pairs), res.Warnings)
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var benchOnce sync.Once

// BenchmarkMatch matches debian-app's inventory against every shared feed;
// BenchmarkInventory is the inventory step it is compared with.
func BenchmarkMatch(b *testing.B) {
	shared := sharedtest.Dir(b, "vulnfeeds/debian-derived/tracker.json")
	db := debianDB(b, shared, true)
	inv := sharedtest.Inventory(b, filepath.Join(shared, "images", "debian-app"))
	ctx := context.Background()
	var n int
	for b.Loop() {
		res, err := Match(ctx, inv, db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(res.Findings)
	}
	benchOnce.Do(func() { b.Logf("%d packages, %d findings", len(inv.Packages), n) })
}

func BenchmarkInventory(b *testing.B) {
	shared := sharedtest.Dir(b, "vulnfeeds/debian-derived/tracker.json")
	dir := filepath.Join(shared, "images", "debian-app")
	for b.Loop() {
		sharedtest.Inventory(b, dir)
	}
}
