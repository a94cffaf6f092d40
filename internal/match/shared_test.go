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

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/debian"
	"github.com/vigilproject/vigil/internal/feed/osv"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// sharedDir returns the shared test data directory, or skips.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../shared"
	}
	for _, need := range []string{"images/debian-app/index.json", "vulnfeeds/debian-derived/tracker.json"} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			t.Skipf("shared test data not found at %s (set VIGIL_SHARED): %v", dir, err)
		}
	}
	return dir
}

// importFile parses one feed file with its real parser and stores it.
func importFile(t testing.TB, db *vulndb.DB, u feed.Updater, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := u.Parse(context.Background(), f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	st, err := db.Apply(context.Background(), b, feed.SourceState{Source: b.Source})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if st.Skipped > 0 {
		t.Fatalf("%s: %d records skipped: %v", file, st.Skipped, st.SkippedErrors)
	}
}

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
	importFile(t, db, debian.New(nil, ""), filepath.Join(feeds, "debian-derived/tracker.json"))
	u, err := osv.New(nil, "Debian", osv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	importFile(t, db, u, filepath.Join(feeds, "debian-derived/osv/Debian/all.zip"))
	if full {
		for _, eco := range []string{"Go", "PyPI", "crates.io", "npm", "Maven", "Packagist", "NuGet", "RubyGems", "Ubuntu", "Alpine"} {
			u, err := osv.New(nil, eco, osv.Options{})
			if err != nil {
				t.Fatal(err)
			}
			importFile(t, db, u, filepath.Join(feeds, "osv", eco, "all.zip"))
		}
	}
	return db
}

func inventoryOf(t testing.TB, dir string) *sbom.Inventory {
	t.Helper()
	im, err := image.Open(context.Background(), "oci-dir:"+dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: all.Catalogers()})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// trackerFile is the part of the tracker dump the expectations use, read
// independently of feed/debian.
type trackerFile map[string]map[string]struct {
	Releases map[string]struct {
		Status       string `json:"status"`
		FixedVersion string `json:"fixed_version"`
		Urgency      string `json:"urgency"`
	} `json:"releases"`
}

// dpkgLess answers "a lt b" for every pair with the real dpkg, in one shell.
func dpkgLess(t *testing.T, pairs [][2]string) map[[2]string]bool {
	t.Helper()
	var script strings.Builder
	for _, p := range pairs {
		// Debian versions hold no shell metacharacters but quote anyway.
		fmt.Fprintf(&script, "if dpkg --compare-versions '%s' lt '%s'; then echo 1; else echo 0; fi\n", p[0], p[1])
	}
	cmd := exec.Command("sh")
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dpkg --compare-versions: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(pairs) {
		t.Fatalf("dpkg gave %d answers for %d comparisons", len(lines), len(pairs))
	}
	res := make(map[[2]string]bool, len(pairs))
	for i, p := range pairs {
		res[p] = lines[i] == "1"
	}
	return res
}

// TestDebianAccuracy holds the matcher to the distribution's own verdicts:
// for every Debian package of the real images, the tracker's bookworm
// entries for its source package decided with the real dpkg must be exactly
// the findings.
func TestDebianAccuracy(t *testing.T) {
	shared := sharedDir(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: the expectations need dpkg --compare-versions")
	}
	raw, err := os.ReadFile(filepath.Join(shared, "vulnfeeds/debian-derived/tracker.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr trackerFile
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	db := debianDB(t, shared, false)
	for _, img := range []string{"debian-minbase", "debian-app"} {
		t.Run(img, func(t *testing.T) {
			inv := inventoryOf(t, filepath.Join(shared, "images", img))
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
			less := dpkgLess(t, pairs)
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
	shared := sharedDir(b)
	db := debianDB(b, shared, true)
	inv := inventoryOf(b, filepath.Join(shared, "images", "debian-app"))
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
	shared := sharedDir(b)
	dir := filepath.Join(shared, "images", "debian-app")
	for b.Loop() {
		inventoryOf(b, dir)
	}
}
