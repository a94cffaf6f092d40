// Package sharedtest helps tests use the shared test data (real Debian
// images as OCI layouts, real advisory feeds): finding it, cataloguing its
// images, importing its feeds, and an oracle that compares Debian versions
// with the real dpkg, independently of Vigil's own version code.
package sharedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// Dir returns the shared test data directory ($VIGIL_SHARED, else
// ../../../shared from a package directory), or skips the test when it
// lacks any of the files named (relative to it).
func Dir(t testing.TB, need ...string) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../shared"
	}
	for _, n := range append([]string{"images/debian-app/index.json"}, need...) {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Skipf("shared test data not found at %s (set VIGIL_SHARED): %v", dir, err)
		}
	}
	return dir
}

// Inventory catalogues an OCI layout directory with every cataloger.
func Inventory(t testing.TB, dir string) *sbom.Inventory {
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

// Import parses one feed file with its real parser and applies it, failing
// the test if any record is skipped.
func Import(t testing.TB, db *vulndb.DB, u feed.Updater, file string) {
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

// Tracker is the part of a Debian security tracker dump the oracles read,
// decoded here, independently of feed/debian.
type Tracker map[string]map[string]struct {
	Releases map[string]struct {
		Status       string `json:"status"`
		FixedVersion string `json:"fixed_version"`
		Urgency      string `json:"urgency"`
	} `json:"releases"`
}

// ReadTracker reads a tracker dump.
func ReadTracker(t testing.TB, file string) Tracker {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var tr Tracker
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return tr
}

// dpkgAnswers remembers dpkg's answers for the test binary: the oracles of
// several tests ask about the same pairs.
var dpkgAnswers struct {
	sync.Mutex
	less map[[2]string]bool
}

// DpkgLess answers "a lt b" for every pair with the real dpkg; it skips
// the test when dpkg is not installed. Each distinct pair is asked once per
// test binary, in as many shells as there are CPUs.
func DpkgLess(t testing.TB, pairs [][2]string) map[[2]string]bool {
	t.Helper()
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: the oracle needs dpkg --compare-versions")
	}
	dpkgAnswers.Lock()
	defer dpkgAnswers.Unlock()
	if dpkgAnswers.less == nil {
		dpkgAnswers.less = map[[2]string]bool{}
	}
	var ask [][2]string
	seen := map[[2]string]bool{}
	for _, p := range pairs {
		if _, ok := dpkgAnswers.less[p]; !ok && !seen[p] {
			seen[p] = true
			ask = append(ask, p)
		}
	}
	shells := min(runtime.GOMAXPROCS(0), (len(ask)+63)/64)
	answers := make([][]string, shells)
	errs := make([]error, shells)
	var wg sync.WaitGroup
	for i := range shells {
		part := ask[i*len(ask)/shells : (i+1)*len(ask)/shells]
		wg.Go(func() {
			var script strings.Builder
			for _, p := range part {
				// Debian versions hold no shell metacharacters but quote anyway.
				fmt.Fprintf(&script, "if dpkg --compare-versions '%s' lt '%s'; then echo 1; else echo 0; fi\n", p[0], p[1])
			}
			cmd := exec.Command("sh")
			cmd.Stdin = strings.NewReader(script.String())
			out, err := cmd.Output()
			answers[i], errs[i] = strings.Fields(string(out)), err
			if err == nil && len(answers[i]) != len(part) {
				errs[i] = fmt.Errorf("%d answers for %d comparisons", len(answers[i]), len(part))
			}
		})
	}
	wg.Wait()
	for i := range shells {
		if errs[i] != nil {
			t.Fatalf("dpkg --compare-versions: %v", errs[i])
		}
		part := ask[i*len(ask)/shells : (i+1)*len(ask)/shells]
		for j, p := range part {
			dpkgAnswers.less[p] = answers[i][j] == "1"
		}
	}
	res := make(map[[2]string]bool, len(pairs))
	for _, p := range pairs {
		res[p] = dpkgAnswers.less[p]
	}
	return res
}

// Affected returns "package CVE" for every Debian package of inv that the
// tracker says is affected in a release ("bookworm"): open, or fixed in a
// version dpkg orders after the package's source version.
func Affected(t testing.TB, tr Tracker, release string, inv *sbom.Inventory) map[string]bool {
	t.Helper()
	type cand struct{ pkg, cve, ver, fixed string }
	var cs []cand
	var pairs [][2]string
	for _, p := range inv.Packages {
		if p.Ecosystem != sbom.Deb {
			continue
		}
		src, ver := p.SourceName, p.SourceVersion
		if src == "" {
			src = p.Name
		}
		if ver == "" {
			ver = p.Version
		}
		for cve, e := range tr[src] {
			r, ok := e.Releases[release]
			if !ok || (r.Status == "resolved" && r.FixedVersion == "0") {
				continue
			}
			c := cand{p.Name, cve, ver, ""}
			if r.Status == "resolved" {
				c.fixed = r.FixedVersion
				pairs = append(pairs, [2]string{ver, c.fixed})
			}
			cs = append(cs, c)
		}
	}
	less := DpkgLess(t, pairs)
	res := map[string]bool{}
	for _, c := range cs {
		if c.fixed == "" || less[[2]string{c.ver, c.fixed}] {
			res[c.pkg+" "+c.cve] = true
		}
	}
	return res
}
