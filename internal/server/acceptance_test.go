package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/debian"
	"github.com/vigilproject/vigil/internal/feed/osv"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// The shared images, pushed once to an in-process registry, their
// inventories taken directly, and a vulnerability database of the real
// Debian data: made once for all the tests that need them.
var (
	sharedOnce sync.Once
	shared     struct {
		err      error
		registry *httptest.Server
		host     string
		inv      map[string]*sbom.Inventory // by image name
		digest   map[string]string
		db       *vulndb.DB
	}
)

var sharedImages = []string{"debian-app", "debian-minbase"}

func closeShared() {
	if shared.registry != nil {
		shared.registry.Close()
	}
	if shared.db != nil {
		shared.db.Close()
	}
}

// setupShared returns the shared fixtures, or skips without the data.
func setupShared(t testing.TB) {
	t.Helper()
	dir := sharedDir(t)
	sharedOnce.Do(func() { shared.err = buildShared(dir) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
}

func buildShared(dir string) error {
	ctx := context.Background()
	shared.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	shared.host = strings.TrimPrefix(shared.registry.URL, "http://")
	shared.inv = map[string]*sbom.Inventory{}
	shared.digest = map[string]string{}
	for _, img := range sharedImages {
		path := filepath.Join(dir, "images", img)
		ii, err := layout.ImageIndexFromPath(path)
		if err != nil {
			return err
		}
		m, err := ii.IndexManifest()
		if err != nil {
			return err
		}
		v1img, err := ii.Image(m.Manifests[0].Digest)
		if err != nil {
			return err
		}
		ref, err := name.ParseReference(shared.host+"/shared/"+img+":1", name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(ref, v1img, remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("pushing %s: %w", img, err)
		}
		shared.digest[img] = m.Manifests[0].Digest.String()
		// The inventory `vigil sbom oci-dir:…` makes.
		im, err := image.Open(ctx, "oci-dir:"+path, image.Options{})
		if err != nil {
			return err
		}
		inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: all.Catalogers()})
		im.Close()
		if err != nil {
			return err
		}
		shared.inv[img] = inv
	}
	db, err := vulndb.Open(ctx, filepath.Join(scratch, "debian.db"), vulndb.Options{})
	if err != nil {
		return err
	}
	shared.db = db
	feeds := filepath.Join(dir, "vulnfeeds")
	if err := importFeed(db, debian.New(nil, ""), filepath.Join(feeds, "debian-derived/tracker.json")); err != nil {
		return err
	}
	u, err := osv.New(nil, "Debian", osv.Options{})
	if err != nil {
		return err
	}
	return importFeed(db, u, filepath.Join(feeds, "debian-derived/osv/Debian/all.zip"))
}

// importFeed parses one recorded feed file with its real parser and
// stores it.
func importFeed(db *vulndb.DB, u feed.Updater, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := u.Parse(context.Background(), f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	st, err := db.Apply(context.Background(), b, feed.SourceState{Source: b.Source})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if st.Skipped > 0 {
		return fmt.Errorf("%s: %d records skipped: %v", file, st.Skipped, st.SkippedErrors)
	}
	return nil
}

// TestAcceptance registers the shared images by reference from a registry
// on 127.0.0.1, lets the workers pull, catalogue and assess them, and
// checks what the API then says: each stored inventory is the one
// `vigil sbom` makes of the image, and the impact of a CVE that the Debian
// tracker says hits debian-app but not debian-minbase is exactly
// debian-app, with the packages and fixed versions the tracker and dpkg
// give.
func TestAcceptance(t *testing.T) {
	setupShared(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: the expected findings need dpkg --compare-versions")
	}
	want := expectImpact(t)
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{
				dsn:        be.DSN(t),
				advisories: func() images.Advisories { return shared.db },
				allow:      []string{shared.host},
				run:        true,
			})
			jobs := map[string]int64{}
			for _, img := range sharedImages {
				add := decode[api.AddImageResponse](t, e.call("POST", "/v1/images", e.write, api.AddImageRequest{Reference: shared.host + "/shared/" + img + ":1"}), 202)
				if add.Job == nil || add.Job.Kind != "index" {
					t.Fatalf("%s: %+v", img, add)
				}
				jobs[img] = add.Job.ID
			}
			for _, img := range sharedImages {
				js := e.waitJob(jobs[img], 5*time.Minute)
				if js.state != "done" || !strings.Contains(js.result, shared.digest[img]) {
					t.Fatalf("%s: job %+v, want done with digest %s", img, js, shared.digest[img])
				}
				j := decode[api.Job](t, e.call("GET", fmt.Sprintf("/v1/jobs/%d", jobs[img]), e.read, nil), 200)
				if j.State != "done" || j.Attempts != 1 {
					t.Errorf("%s: job %+v", img, j)
				}
			}
			e.waitIdle(2 * time.Minute)

			for _, img := range sharedImages {
				d := decode[api.ImageDetail](t, e.call("GET", "/v1/images/"+shared.digest[img], e.read, nil), 200)
				im := d.Image
				if im.Origin != "registry" || im.Repository != shared.host+"/shared/"+img || im.Tag != "1" || im.Distro != "debian-12" || im.Assessed == nil || d.Assessment == nil {
					t.Errorf("%s: %+v", img, im)
				}
				var got sbom.Inventory
				if err := json.Unmarshal(d.Inventory, &got); err != nil {
					t.Fatal(err)
				}
				direct := *shared.inv[img]
				if got.Source.Kind != image.KindRegistry || got.Source.Reference != shared.host+"/shared/"+img+":1" {
					t.Errorf("%s: source %+v", img, got.Source)
				}
				// Where the image was read from differs, and so does the
				// ref.name annotation, which only a layout's index carries;
				// nothing else may.
				got.Source.Kind, got.Source.Reference, got.Source.RepoDigests = direct.Source.Kind, direct.Source.Reference, direct.Source.RepoDigests
				direct.Source.Annotations = maps.Clone(direct.Source.Annotations)
				delete(direct.Source.Annotations, "org.opencontainers.image.ref.name")
				if len(direct.Source.Annotations) == 0 {
					direct.Source.Annotations = nil
				}
				if diff := gocmp.Diff(&direct, &got); diff != "" {
					t.Errorf("%s: stored inventory differs from vigil sbom's (-sbom +stored):\n%s", img, diff)
				}
				if im.Packages != len(direct.Packages) || im.Layers != len(direct.Layers) {
					t.Errorf("%s: %d packages in %d layers, want %d in %d", img, im.Packages, im.Layers, len(direct.Packages), len(direct.Layers))
				}
				var findings []map[string]any
				if err := json.Unmarshal(d.Assessment.Findings, &findings); err != nil {
					t.Fatal(err)
				}
				n := im.Findings.Critical + im.Findings.High + im.Findings.Medium + im.Findings.Low + im.Findings.Negligible + im.Findings.Unknown
				if len(findings) == 0 || n > len(findings) {
					t.Errorf("%s: %d findings, summary counts %d", img, len(findings), n)
				}
			}

			// The impact query, by the CVE and by its Debian alias.
			for _, id := range []string{want.id, "DEBIAN-" + want.id} {
				im := decode[api.Impact](t, e.call("GET", "/v1/vulnerabilities/"+url.PathEscape(id)+"/impact", e.read, nil), 200)
				if im.ID != want.id || !slices.Contains(im.Aliases, want.id) {
					t.Errorf("impact %s: id %s, aliases %v", id, im.ID, im.Aliases)
				}
				if len(im.Images) != 1 || im.Images[0].Digest != shared.digest["debian-app"] {
					t.Fatalf("impact %s: images %+v, want only debian-app", id, im.Images)
				}
				var got []string
				for _, p := range im.Images[0].Packages {
					got = append(got, fmt.Sprintf("%s %s fixed=%s", p.Name, p.Version, strings.Join(p.Fixed, ",")))
					if p.Status != "fixed" || p.FixWhere != "application" || p.Ecosystem != "deb" || p.Layer == 0 || p.InBase || !strings.HasPrefix(p.Advisory, "debian/") {
						t.Errorf("impact %s: package %+v", id, p)
					}
				}
				if diff := gocmp.Diff(want.packages, got); diff != "" {
					t.Errorf("impact %s: packages (-tracker +server):\n%s", id, diff)
				}
			}
			// A CVE of no stored package hits nothing; one of the shared
			// base hits both.
			if want.both != "" {
				path := "/v1/vulnerabilities/" + want.both + "/impact"
				im := decode[api.Impact](t, e.call("GET", path, e.read, nil), 200)
				if len(im.Images) != 2 || im.Total != 2 || im.Next != "" {
					t.Errorf("impact %s: %d images of %d, next %q: want both", want.both, len(im.Images), im.Total, im.Next)
				}
				// One page at a time.
				var paged []string
				for q := "?limit=1"; ; {
					p := decode[api.Impact](t, e.call("GET", path+q, e.read, nil), 200)
					if len(p.Images) != 1 || p.Total != 2 {
						t.Fatalf("impact %s%s: %d images of %d", want.both, q, len(p.Images), p.Total)
					}
					paged = append(paged, p.Images[0].Digest)
					if p.Next == "" {
						break
					}
					q = "?limit=1&after=" + url.QueryEscape(p.Next)
				}
				if len(paged) != 2 || paged[0] == paged[1] {
					t.Errorf("impact %s in pages: %v", want.both, paged)
				}
				if r := e.call("GET", path+"?after=nope", e.read, nil); r.status != 400 {
					t.Errorf("impact with a bad cursor: %d %s", r.status, r.body)
				}
			} else {
				t.Error("the tracker names no CVE hitting both images: the paging check proved nothing")
			}

			// The package query for one of the affected packages, every
			// version.
			purl := store.PURLBase(want.purl)
			pl := decode[api.PackageList](t, e.call("GET", "/v1/packages?purl="+url.QueryEscape(purl), e.read, nil), 200)
			if len(pl.Packages) != 1 || len(pl.Packages[0].Images) != 1 || pl.Packages[0].Images[0].Digest != shared.digest["debian-app"] || pl.Packages[0].Distro != "debian-12" {
				t.Errorf("packages %s: %+v", purl, pl)
			}

			// Filters over real findings.
			l := decode[api.ImageList](t, e.call("GET", "/v1/images?repository="+url.QueryEscape(shared.host+"/shared/*")+"&severity=negligible", e.read, nil), 200)
			if len(l.Images) != 2 {
				t.Errorf("list with findings: %d images", len(l.Images))
			}
			r := e.call("GET", "/metrics", "", nil)
			for _, s := range []string{"vigil_images 2\n", `vigil_jobs{state="done"}`, "vigil_feed_age_seconds ", "vigil_advisories_version "} {
				if !strings.Contains(string(r.body), s) {
					t.Errorf("metrics lack %q", s)
				}
			}
		})
	}
}

// impactWant is what the tracker says of the chosen CVE.
type impactWant struct {
	id       string
	packages []string // "name version fixed=V", sorted
	purl     string   // one affected package's PURL
	both     string   // a CVE hitting both images, when there is one
}

// expectImpact chooses, from the tracker, a CVE that affects packages of
// debian-app and none of debian-minbase, all fixed in bookworm, and lists debian-app's affected packages, every version
// comparison made by the real dpkg.
func expectImpact(t *testing.T) impactWant {
	t.Helper()
	tr := sharedtest.ReadTracker(t, filepath.Join(sharedDir(t), "vulnfeeds/debian-derived/tracker.json"))
	type hit struct{ pkg, version, fixed, purl string }
	// affected[image][cve]: the packages it hits; open[cve]: hit by an
	// entry without a fix.
	affected := map[string]map[string][]hit{}
	open := map[string]bool{}
	var pairs [][2]string
	type cand struct {
		img, cve string
		h        hit
	}
	var cands []cand
	for _, img := range sharedImages {
		affected[img] = map[string][]hit{}
		for _, p := range shared.inv[img].Packages {
			if p.Ecosystem != sbom.Deb {
				continue
			}
			src, ver := cmpOr(p.SourceName, p.Name), cmpOr(p.SourceVersion, p.Version)
			for cve, e := range tr[src] {
				r, ok := e.Releases["bookworm"]
				if !ok || !strings.HasPrefix(cve, "CVE-") {
					continue
				}
				switch {
				case r.Status == "resolved" && r.FixedVersion == "0":
				case r.Status == "resolved":
					cands = append(cands, cand{img, cve, hit{p.Name, p.Version, r.FixedVersion, p.PURL}})
					pairs = append(pairs, [2]string{ver, r.FixedVersion})
				default:
					affected[img][cve] = append(affected[img][cve], hit{p.Name, p.Version, "", p.PURL})
					open[cve] = true
				}
			}
		}
	}
	less := sharedtest.DpkgLess(t, pairs)
	for i, c := range cands {
		if less[pairs[i]] {
			affected[c.img][c.cve] = append(affected[c.img][c.cve], c.h)
		}
	}
	var ids []string
	for cve := range affected["debian-app"] {
		if !open[cve] && len(affected["debian-minbase"][cve]) == 0 {
			ids = append(ids, cve)
		}
	}
	// The one hitting most packages (several binaries of one source) is
	// the most telling; ties go to the lowest id.
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(len(affected["debian-app"][b])-len(affected["debian-app"][a]), strings.Compare(a, b))
	})
	if len(ids) == 0 {
		t.Fatal("the tracker names no CVE fixed in bookworm that hits debian-app and not debian-minbase")
	}
	w := impactWant{id: ids[0]}
	for _, h := range affected["debian-app"][w.id] {
		w.packages = append(w.packages, fmt.Sprintf("%s %s fixed=%s", h.pkg, h.version, h.fixed))
		w.purl = h.purl
	}
	slices.Sort(w.packages)
	var both []string
	for cve := range affected["debian-minbase"] {
		if len(affected["debian-app"][cve]) > 0 {
			both = append(both, cve)
		}
	}
	slices.Sort(both)
	if len(both) > 0 {
		w.both = both[0]
	}
	t.Logf("%s hits debian-app only: %v (of %d such CVEs); %s hits both", w.id, w.packages, len(ids), w.both)
	return w
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
