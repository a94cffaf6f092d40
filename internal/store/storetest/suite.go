package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
)

// Run runs the conformance suite on fresh stores of backend b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store, clock *Clock)
	}{
		{"ImageRoundTrip", testImageRoundTrip},
		{"ReverseIndex", testReverseIndex},
		{"Rekey", testRekey},
		{"ReplaceAndDelete", testReplaceAndDelete},
		{"PendingPostings", testPendingPostings},
		{"ListImages", testListImages},
		{"Evaluation", testEvaluation},
		{"EventsReadBack", testEventsReadBack},
		{"JobsDedupe", testJobsDedupe},
		{"JobsClaimedOnce", testJobsClaimedOnce},
		{"JobsLeaseExpiry", testJobsLeaseExpiry},
		{"JobsRetry", testJobsRetry},
		{"Tokens", testTokens},
		{"Tags", testTags},
		{"Locks", testLocks},
		{"Blobs", testBlobs},
		{"SchemaTooNew", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := b.DSN(t)
			clock := &Clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
			s := Open(t, dsn, store.Options{Now: clock.Now})
			if tc.fn == nil {
				testSchemaTooNew(t, s, dsn)
				return
			}
			tc.fn(t, s, clock)
		})
	}
}

// Clock is a settable clock for stores under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Inventory makes a Debian 12 inventory: the named (binary, source,
// version) packages, the first base ones in layer 0.
func Inventory(base int, pkgs ...[3]string) *sbom.Inventory {
	inv := &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Distro:        &sbom.Distro{ID: "debian", VersionID: "12", Codename: "bookworm"},
		BaseImage:     sbom.BaseImage{Source: sbom.BaseFromAnnotation, Name: "debian:12", Digest: "sha256:base", Layers: 1},
		Layers:        []sbom.Layer{{Index: 0, DiffID: "sha256:l0", Base: true}, {Index: 1, DiffID: "sha256:l1"}},
	}
	for i, p := range pkgs {
		layer := 1
		if i < base {
			layer = 0
		}
		inv.Packages = append(inv.Packages, sbom.Package{
			Ecosystem: sbom.Deb, Name: p[0], SourceName: p[1], Version: p[2], SourceVersion: p[2], Arch: "amd64",
			PURL:      fmt.Sprintf("pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12", p[0], p[2]),
			Locations: []string{"/var/lib/dpkg/status"}, FoundBy: "dpkg",
			Layer: sbom.LayerRef{Index: layer, DiffID: inv.Layers[layer].DiffID}, InBase: layer == 0,
		})
	}
	return inv
}

// DebKeys indexes Debian packages under ("Debian:12", source name), as the
// matcher looks them up.
func DebKeys(inv *sbom.Inventory, p *sbom.Package) []store.Key {
	n := p.SourceName
	if n == "" {
		n = p.Name
	}
	return []store.Key{{Ecosystem: "Debian:" + inv.Distro.VersionID, Name: n}}
}

func put(t *testing.T, s *store.Store, digest, repo string, inv *sbom.Inventory) store.Image {
	t.Helper()
	im, err := s.PutImage(context.Background(), &store.NewImage{
		Digest: sbom.Digest(digest), Repository: repo, Tag: "latest", Reference: repo + ":latest",
		Origin: store.OriginSBOM, Inventory: inv, Keys: DebKeys,
	})
	if err != nil {
		t.Fatalf("PutImage(%s): %v", digest, err)
	}
	return im
}

var (
	openssl   = [3]string{"libssl3", "openssl", "3.0.11-1~deb12u2"}
	opensslB  = [3]string{"openssl", "openssl", "3.0.11-1~deb12u2"}
	openssl15 = [3]string{"libssl3", "openssl", "3.0.15-1~deb12u1"}
	zlib      = [3]string{"zlib1g", "zlib", "1:1.2.13.dfsg-1"}
	curl      = [3]string{"curl", "curl", "7.88.1-10+deb12u5"}
)

// testRekey derives the packages' keys again with another function: the
// packages whose keys differ get the new ones (and only them), the others
// keep theirs, and a second pass changes nothing.
func testRekey(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(1, zlib, openssl))
	put(t, s, "sha256:b", "r/b", Inventory(0, curl))
	names := func(k store.Key) []string {
		t.Helper()
		pkgs, err := s.PackagesByKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range pkgs {
			out = append(out, p.Name)
		}
		slices.Sort(out)
		return out
	}
	// The new derivation: openssl's binaries also under their own name,
	// curl under nothing, zlib as before.
	rekey := func(p store.IndexedPackage) []store.Key {
		switch p.SourceName {
		case "openssl":
			return []store.Key{{Ecosystem: "Debian:12", Name: "openssl"}, {Ecosystem: "Debian:12", Name: p.Name}, {Ecosystem: "Debian:12", Name: "openssl"}}
		case "curl":
			return nil
		}
		return []store.Key{{Ecosystem: "Debian:12", Name: p.SourceName}}
	}
	n, err := s.RekeyPackages(ctx, rekey)
	if err != nil || n != 2 {
		t.Fatalf("RekeyPackages = %d, %v; want 2 (libssl3, curl)", n, err)
	}
	for k, want := range map[store.Key][]string{
		{Ecosystem: "Debian:12", Name: "openssl"}: {"libssl3"},
		{Ecosystem: "Debian:12", Name: "libssl3"}: {"libssl3"},
		{Ecosystem: "Debian:12", Name: "zlib"}:    {"zlib1g"},
		{Ecosystem: "Debian:12", Name: "curl"}:    nil,
	} {
		if diff := cmp.Diff(want, names(k)); diff != "" {
			t.Errorf("PackagesByKey(%v) after rekeying (-want +got):\n%s", k, diff)
		}
	}
	if n, err := s.RekeyPackages(ctx, rekey); n != 0 || err != nil {
		t.Errorf("second RekeyPackages = %d, %v; want 0", n, err)
	}
}

func testImageRoundTrip(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	inv := Inventory(1, zlib, openssl, curl)
	im := put(t, s, "sha256:aaa", "registry.example/app", inv)
	want := store.Image{
		Digest: "sha256:aaa", Repository: "registry.example/app", Tag: "latest", Reference: "registry.example/app:latest",
		Origin: store.OriginSBOM, Distro: "debian-12", Base: inv.BaseImage, Layers: 2, Packages: 3,
		Registered: clock.Now(), Indexed: clock.Now(),
	}
	if diff := cmp.Diff(want, im, cmpopts.IgnoreFields(store.Image{}, "Size")); diff != "" {
		t.Errorf("PutImage (-want +got):\n%s", diff)
	}
	if im.Size <= 0 {
		t.Errorf("Size = %d, want > 0", im.Size)
	}
	got, err := s.Image(ctx, "sha256:aaa")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(im, got); diff != "" {
		t.Errorf("Image (-put +got):\n%s", diff)
	}
	gotInv, err := s.Inventory(ctx, "sha256:aaa")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inv, gotInv); diff != "" {
		t.Errorf("Inventory (-want +got):\n%s", diff)
	}
	for _, d := range []sbom.Digest{"sha256:nope", ""} {
		if _, err := s.Image(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Image(%q) = %v, want ErrNotFound", d, err)
		}
		if _, err := s.Inventory(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Inventory(%q) = %v, want ErrNotFound", d, err)
		}
	}
	if _, err := s.PutImage(ctx, &store.NewImage{Digest: "sha256:x"}); err == nil {
		t.Error("PutImage without an inventory succeeded")
	}
}

func testReverseIndex(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(1, zlib, openssl, opensslB))
	put(t, s, "sha256:b", "r/b", Inventory(2, openssl, zlib, curl))
	put(t, s, "sha256:c", "r/c", Inventory(0, openssl15))
	put(t, s, "sha256:d", "r/d", Inventory(0, curl))

	got, err := s.InventoriesWithPackage(ctx, "Debian:12", "openssl")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]sbom.Digest{"sha256:a", "sha256:b", "sha256:c"}, got); diff != "" {
		t.Errorf("InventoriesWithPackage(openssl) (-want +got):\n%s", diff)
	}
	if got, _ := s.InventoriesWithPackage(ctx, "Debian:11", "openssl"); len(got) != 0 {
		t.Errorf("InventoriesWithPackage(Debian:11) = %v, want none", got)
	}

	pkgs, err := s.PackagesByKey(ctx, store.Key{Ecosystem: "Debian:12", Name: "openssl"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ids := map[string]int64{}
	for _, p := range pkgs {
		names = append(names, p.Name+"@"+p.Version)
		ids[p.Name+"@"+p.Version] = p.ID
		if p.Distro != "debian;12;bookworm" || p.SourceName != "openssl" {
			t.Errorf("package %+v: want distro debian-12, source openssl", p)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"libssl3@3.0.11-1~deb12u2", "libssl3@3.0.15-1~deb12u1", "openssl@3.0.11-1~deb12u2"}, names); diff != "" {
		t.Errorf("PackagesByKey (-want +got):\n%s", diff)
	}
	uses, err := s.PackageUses(ctx, []int64{ids["libssl3@3.0.11-1~deb12u2"]})
	if err != nil {
		t.Fatal(err)
	}
	type use struct {
		Digest sbom.Digest
		Layer  int
		InBase bool
	}
	var us []use
	for _, u := range uses {
		us = append(us, use{u.Digest, u.LayerIndex, u.InBase})
	}
	slices.SortFunc(us, func(a, b use) int { return cmpStr(string(a.Digest), string(b.Digest)) })
	if diff := cmp.Diff([]use{{"sha256:a", 1, false}, {"sha256:b", 0, true}}, us); diff != "" {
		t.Errorf("PackageUses (-want +got):\n%s", diff)
	}
	// The same package reached through several keys, in different chunks
	// of the query, comes once.
	many := []store.Key{{Ecosystem: "Debian:12", Name: "openssl"}}
	for i := range 250 {
		many = append(many, store.Key{Ecosystem: "Debian:12", Name: fmt.Sprintf("none%d", i)})
	}
	many = append(many, store.Key{Ecosystem: "Debian:12", Name: "openssl"})
	if again, err := s.PackagesByKey(ctx, many...); err != nil || len(again) != len(pkgs) {
		t.Errorf("PackagesByKey over 252 keys = %d packages, %v; want %d", len(again), err, len(pkgs))
	}
	byPURL, err := s.PackagesByPURL(ctx, "pkg:deb/debian/libssl3")
	if err != nil {
		t.Fatal(err)
	}
	if len(byPURL) != 2 {
		t.Errorf("PackagesByPURL(libssl3) = %d packages, want 2", len(byPURL))
	}
	if got := store.PURLBase("pkg:npm/%40scope/name@1.2.3?x=y#sub"); got != "pkg:npm/%40scope/name" {
		t.Errorf("PURLBase = %q", got)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testReplaceAndDelete(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(0, openssl, zlib))
	put(t, s, "sha256:b", "r/b", Inventory(0, openssl))
	clock.Advance(time.Minute)
	// The same digest indexed again (say, by newer catalogers) replaces
	// its inventory and index rows, and keeps its registration time.
	im, err := s.PutImage(ctx, &store.NewImage{Digest: "sha256:a", Origin: store.OriginRegistry, Inventory: Inventory(0, openssl15, curl), Keys: DebKeys})
	if err != nil {
		t.Fatal(err)
	}
	if im.Repository != "r/a" || im.Packages != 2 || !im.Indexed.After(im.Registered) {
		t.Errorf("re-put image = %+v: want repository kept, 2 packages, indexed after registered", im)
	}
	if got, _ := s.InventoriesWithPackage(ctx, "Debian:12", "zlib"); len(got) != 0 {
		t.Errorf("zlib still indexed in %v after the re-put", got)
	}
	if got, _ := s.InventoriesWithPackage(ctx, "Debian:12", "curl"); !slices.Equal(got, []sbom.Digest{"sha256:a"}) {
		t.Errorf("curl indexed in %v, want sha256:a", got)
	}
	if err := s.DeleteImage(ctx, "sha256:a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteImage(ctx, "sha256:a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteImage = %v, want ErrNotFound", err)
	}
	if _, err := s.Inventory(ctx, "sha256:a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Inventory after delete = %v", err)
	}
	if got, _ := s.InventoriesWithPackage(ctx, "Debian:12", "openssl"); !slices.Equal(got, []sbom.Digest{"sha256:b"}) {
		t.Errorf("openssl indexed in %v after delete, want sha256:b", got)
	}
}

// testPendingPostings checks that the reverse index answers the same
// whether an image's postings are still pending, partly indexed, indexed
// by IndexPending or by the image's first assessment, and after a
// re-registration or a deletion in either state.
func testPendingPostings(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(1, zlib, openssl, curl))
	put(t, s, "sha256:b", "r/b", Inventory(2, openssl, zlib, curl))
	put(t, s, "sha256:c", "r/c", Inventory(0, openssl15, curl))
	type use struct {
		Digest  sbom.Digest
		Package string
		Layer   int
		InBase  bool
	}
	names := map[int64]string{}
	var ids []int64
	for _, k := range []string{"openssl", "zlib", "curl"} {
		ps, err := s.PackagesByKey(ctx, store.Key{Ecosystem: "Debian:12", Name: k})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			names[p.ID] = p.Name + "@" + p.Version
			ids = append(ids, p.ID)
		}
	}
	uses := func() []use {
		t.Helper()
		us, err := s.PackageUses(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		var out []use
		for _, u := range us {
			out = append(out, use{u.Digest, names[u.PackageID], u.LayerIndex, u.InBase})
		}
		slices.SortFunc(out, func(a, b use) int {
			return cmpStr(string(a.Digest)+" "+a.Package, string(b.Digest)+" "+b.Package)
		})
		return out
	}
	want := []use{
		{"sha256:a", "curl@7.88.1-10+deb12u5", 1, false}, {"sha256:a", "libssl3@3.0.11-1~deb12u2", 1, false}, {"sha256:a", "zlib1g@1:1.2.13.dfsg-1", 0, true},
		{"sha256:b", "curl@7.88.1-10+deb12u5", 1, false}, {"sha256:b", "libssl3@3.0.11-1~deb12u2", 0, true}, {"sha256:b", "zlib1g@1:1.2.13.dfsg-1", 0, true},
		{"sha256:c", "curl@7.88.1-10+deb12u5", 1, false}, {"sha256:c", "libssl3@3.0.15-1~deb12u1", 1, false},
	}
	check := func(state string, want []use) {
		t.Helper()
		if diff := cmp.Diff(want, uses()); diff != "" {
			t.Errorf("%s: PackageUses (-want +got):\n%s", state, diff)
		}
	}
	check("pending", want)
	if n, err := s.IndexPending(ctx, 1); err != nil || n != 1 {
		t.Fatalf("IndexPending(1) = %d, %v; want 1", n, err)
	}
	check("one indexed", want)
	// The first assessment indexes the image's own postings.
	if _, err := s.AssessImage(ctx, "sha256:c", 1); err != nil {
		t.Fatal(err)
	}
	check("one indexed, one assessed", want)
	if n, err := s.IndexPending(ctx, 10); err != nil || n != 1 {
		t.Fatalf("IndexPending(10) = %d, %v; want the 1 left", n, err)
	}
	if n, err := s.IndexPending(ctx, 10); err != nil || n != 0 {
		t.Fatalf("IndexPending with none pending = %d, %v", n, err)
	}
	check("all indexed", want)
	// Registered again, an indexed image's postings are pending again and
	// its old ones gone; deleting a pending image leaves nothing behind.
	put(t, s, "sha256:a", "r/a", Inventory(0, curl))
	want = slices.Concat([]use{{"sha256:a", "curl@7.88.1-10+deb12u5", 1, false}}, want[3:])
	check("re-registered", want)
	if err := s.DeleteImage(ctx, "sha256:c"); err != nil {
		t.Fatal(err)
	}
	put(t, s, "sha256:d", "r/d", Inventory(0, zlib))
	if err := s.DeleteImage(ctx, "sha256:d"); err != nil {
		t.Fatal(err)
	}
	check("deleted", want[:4])
	if n, err := s.IndexPending(ctx, 10); err != nil || n != 1 {
		t.Fatalf("IndexPending after the re-registration = %d, %v; want 1", n, err)
	}
	check("indexed again", want[:4])
	if got, _ := s.InventoriesWithPackage(ctx, "Debian:12", "zlib"); !slices.Equal(got, []sbom.Digest{"sha256:b"}) {
		t.Errorf("zlib indexed in %v, want sha256:b", got)
	}
}

func finding(id string, sev advisory.Severity, fixed, kev bool) advisory.Finding {
	f := advisory.Finding{ID: id, PackageName: "libssl3", InstalledVersion: "1", Severity: sev, Status: advisory.StatusAffected}
	if fixed {
		f.Fix.Versions = []string{"2"}
	}
	if kev {
		f.KEV = &advisory.KEV{CVE: id}
	}
	return f
}

// evaluate applies findings to the one unevaluated package of each
// image given, at a database version, and returns the events recorded.
func evaluate(t *testing.T, s *store.Store, version int64, fs map[sbom.Digest][]advisory.Finding) []store.Event {
	t.Helper()
	ctx := context.Background()
	ev := store.Evaluation{Version: version, Findings: map[int64][]advisory.Finding{}}
	for d, f := range fs {
		ps, err := s.UnevaluatedPackages(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			ev.Findings[p.ID] = f
		}
	}
	evs, err := s.ApplyEvaluation(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// testEvaluation follows one shared package's findings through
// evaluations: counts of the images holding it, the events of the
// assessed ones only, no event twice, and stale evaluations ignored.
func testEvaluation(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(1, openssl, zlib))
	put(t, s, "sha256:b", "r/b", Inventory(0, openssl))
	pkgs, err := s.PackagesByKey(ctx, store.Key{Ecosystem: "Debian:12", Name: "openssl"})
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("PackagesByKey = %v, %v", pkgs, err)
	}
	ssl := pkgs[0].ID
	apply := func(version int64, fs ...advisory.Finding) []store.Event {
		t.Helper()
		evs, err := s.ApplyEvaluation(ctx, store.Evaluation{Version: version, Findings: map[int64][]advisory.Finding{ssl: fs}})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	types := func(evs []store.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, string(e.Digest)+" "+e.Type+" "+e.VulnID)
		}
		return out
	}
	// Baseline: A's packages evaluated and A assessed; B never assessed.
	if evs := apply(1, finding("CVE-1", advisory.SeverityHigh, false, false)); len(evs) != 0 {
		t.Errorf("first evaluation recorded %v, want no event (no image assessed yet)", types(evs))
	}
	evaluate(t, s, 1, map[sbom.Digest][]advisory.Finding{"sha256:a": nil})
	im, err := s.AssessImage(ctx, "sha256:a", 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Summary{High: 1, Max: advisory.SeverityHigh}); im.Summary != want || im.DBVersion != 1 || !im.Assessed.Equal(clock.Now()) {
		t.Errorf("baseline of A = %+v (db %d, at %v), want %+v", im.Summary, im.DBVersion, im.Assessed, want)
	}

	clock.Advance(time.Minute)
	// Version 2: a fix appears for CVE-1, CVE-2 is new, critical and
	// fixable: A goes bad. B, not assessed, gets no event.
	evs := apply(2, finding("CVE-1", advisory.SeverityHigh, true, false), finding("CVE-2", advisory.SeverityCritical, true, false))
	want := []string{"sha256:a finding.fix_available CVE-1", "sha256:a finding.new CVE-2", "sha256:a image.went_bad "}
	if diff := cmp.Diff(want, types(evs)); diff != "" {
		t.Errorf("events of version 2 (-want +got):\n%s", diff)
	}
	im, _ = s.Image(ctx, "sha256:a")
	if want := (store.Summary{Critical: 1, High: 1, Fixable: 2, Max: advisory.SeverityCritical}); im.Summary != want || im.DBVersion != 2 {
		t.Errorf("A after version 2 = %+v (db %d), want %+v at 2", im.Summary, im.DBVersion, want)
	}
	// The same evaluation again records nothing; an older one is ignored.
	if evs := apply(2, finding("CVE-1", advisory.SeverityHigh, true, false), finding("CVE-2", advisory.SeverityCritical, true, false)); len(evs) != 0 {
		t.Errorf("the same evaluation twice recorded %v", types(evs))
	}
	if evs := apply(1); len(evs) != 0 {
		t.Errorf("a stale evaluation recorded %v", types(evs))
	}
	// Version 3: CVE-2 withdrawn, CVE-1 now critical and known exploited:
	// A stays bad (KEV), so no image event.
	evs = apply(3, finding("CVE-1", advisory.SeverityCritical, true, true))
	want = []string{"sha256:a finding.severity_changed CVE-1", "sha256:a finding.kev_added CVE-1", "sha256:a finding.resolved CVE-2"}
	if diff := cmp.Diff(want, types(evs)); diff != "" {
		t.Errorf("events of version 3 (-want +got):\n%s", diff)
	}
	evs = apply(4)
	want = []string{"sha256:a finding.resolved CVE-1", "sha256:a image.recovered "}
	if diff := cmp.Diff(want, types(evs)); diff != "" {
		t.Errorf("events of version 4 (-want +got):\n%s", diff)
	}
	got, err := s.Events(ctx, 0, 100)
	if err != nil || len(got) != 8 {
		t.Errorf("Events = %d, %v; want the 8 recorded", len(got), err)
	}
	if e := got[1]; e.Data.Package == nil || e.Data.Package.Name != "libssl3" || e.Data.Vulnerability.ID != "CVE-2" || e.Data.DBVersion != 2 || e.Repository != "r/a" {
		t.Errorf("event data %+v", e)
	}
	if _, err := s.AssessImage(ctx, "sha256:nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AssessImage(unknown) = %v", err)
	}
}

// testEventsReadBack checks that events read back equal the events
// recorded, field for field, although the part images share is stored
// once: two images holding one package in different layers.
func testEventsReadBack(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	put(t, s, "sha256:a", "r/a", Inventory(1, openssl, zlib))
	put(t, s, "sha256:b", "r/b", Inventory(0, zlib, openssl))
	pkgs, err := s.PackagesByKey(ctx, store.Key{Ecosystem: "Debian:12", Name: "openssl"})
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("PackagesByKey = %v, %v", pkgs, err)
	}
	ssl := pkgs[0].ID
	evaluate(t, s, 1, map[sbom.Digest][]advisory.Finding{"sha256:a": nil, "sha256:b": nil})
	for _, d := range []sbom.Digest{"sha256:a", "sha256:b"} {
		if _, err := s.AssessImage(ctx, d, 1); err != nil {
			t.Fatal(err)
		}
	}
	var recorded []store.Event
	for v, fs := range [][]advisory.Finding{
		{finding("CVE-1", advisory.SeverityHigh, false, false), finding("CVE-2", advisory.SeverityLow, true, false)},
		{finding("CVE-1", advisory.SeverityCritical, true, true)},
	} {
		evs, err := s.ApplyEvaluation(ctx, store.Evaluation{Version: int64(v + 2), Findings: map[int64][]advisory.Finding{ssl: fs}})
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, evs...)
	}
	if len(recorded) < 8 {
		t.Fatalf("recorded %d events, want at least 8", len(recorded))
	}
	got, err := s.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recorded, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("events read back (-recorded +read):\n%s", diff)
	}
	layers := map[sbom.Digest]int{}
	for _, e := range got {
		if e.Data.Package != nil {
			layers[e.Digest] = e.Data.Package.Layer
		}
	}
	if layers["sha256:a"] != 0 || layers["sha256:b"] != 1 {
		t.Errorf("layers of the package in the events = %v, want a:0 b:1", layers)
	}
}

func testListImages(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	sevs := []advisory.Severity{advisory.SeverityCritical, advisory.SeverityHigh, advisory.SeverityLow, advisory.SeverityUnknown}
	for i := range 40 {
		repo := fmt.Sprintf("registry.example/team%d/app", i%3)
		d := fmt.Sprintf("sha256:%03d", i)
		put(t, s, d, repo, Inventory(0, [3]string{fmt.Sprintf("pkg%d", i), fmt.Sprintf("src%d", i), "1"}))
		var fs []advisory.Finding
		if sev := sevs[i%4]; sev != advisory.SeverityUnknown {
			fs = append(fs, finding("CVE-X", sev, i%2 == 0, i%5 == 0))
		}
		evaluate(t, s, 1, map[sbom.Digest][]advisory.Finding{sbom.Digest(d): fs})
		if i < 10 {
			clock.Advance(-48 * time.Hour)
		}
		if _, err := s.AssessImage(ctx, sbom.Digest(d), 1); err != nil {
			t.Fatal(err)
		}
		if i < 10 {
			clock.Advance(48 * time.Hour)
		}
		clock.Advance(time.Second)
	}
	count := func(f store.ImageFilter) (n int, pages int) {
		t.Helper()
		f.Limit = 7
		prev := ""
		for {
			p, err := s.ListImages(ctx, f)
			if err != nil {
				t.Fatalf("ListImages(%+v): %v", f, err)
			}
			pages++
			for _, im := range p.Images {
				if prev != "" && string(im.Digest) >= prev {
					t.Fatalf("ListImages not newest first: %s after %s", im.Digest, prev)
				}
				prev = string(im.Digest)
			}
			n += len(p.Images)
			if p.Next == "" {
				return n, pages
			}
			f.After = p.Next
		}
	}
	for _, tc := range []struct {
		name string
		f    store.ImageFilter
		want int
	}{
		{"all", store.ImageFilter{}, 40},
		{"repository", store.ImageFilter{Repository: "registry.example/team1/app"}, 13},
		{"prefix", store.ImageFilter{Repository: "registry.example/team*"}, 40},
		{"prefix-none", store.ImageFilter{Repository: "registry.example/team_*"}, 0},
		{"high", store.ImageFilter{MinSeverity: advisory.SeverityHigh}, 20},
		{"critical", store.ImageFilter{MinSeverity: advisory.SeverityCritical}, 10},
		{"fixable", store.ImageFilter{Fixable: true}, 20},
		{"kev", store.ImageFilter{KEV: true}, 6},
		{"base", store.ImageFilter{Base: "debian:12"}, 40},
		{"base-other", store.ImageFilter{Base: "alpine"}, 0},
		{"stale", store.ImageFilter{AssessedBefore: clock.Now().Add(-24 * time.Hour)}, 10},
		{"combined", store.ImageFilter{Repository: "registry.example/team0/app", MinSeverity: advisory.SeverityCritical}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, pages := count(tc.f)
			if n != tc.want {
				t.Errorf("%d images, want %d", n, tc.want)
			}
			if wantPages := max(1, (tc.want+6)/7); pages != wantPages && !(tc.want%7 == 0 && pages == wantPages+1) {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
	for _, bad := range []string{"garbage", "aQ", "aTA", "x!"} {
		if _, err := s.ListImages(ctx, store.ImageFilter{After: bad}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ListImages(After %q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

func testJobsDedupe(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	j1, created, err := s.Enqueue(ctx, store.NewJob{Kind: "index", Payload: []byte(`{"ref":"a"}`), Dedupe: "a"})
	if err != nil || !created {
		t.Fatalf("Enqueue = %v, %v", created, err)
	}
	j2, created, err := s.Enqueue(ctx, store.NewJob{Kind: "index", Payload: []byte(`{"ref":"a"}`), Dedupe: "a"})
	if err != nil || created || j2.ID != j1.ID {
		t.Fatalf("second Enqueue = job %d created %v err %v; want job %d again", j2.ID, created, err, j1.ID)
	}
	if _, created, _ := s.Enqueue(ctx, store.NewJob{Kind: "other", Dedupe: "a"}); !created {
		t.Error("a job of another kind with the same key was deduplicated")
	}
	j, err := s.Claim(ctx, "w1", []string{"index"}, time.Minute)
	if err != nil || j == nil || j.ID != j1.ID {
		t.Fatalf("Claim = %v, %v", j, err)
	}
	if err := s.Complete(ctx, j.ID, "w1", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	// Once done, the same key may run again.
	if _, created, _ := s.Enqueue(ctx, store.NewJob{Kind: "index", Dedupe: "a"}); !created {
		t.Error("a finished job still deduplicates")
	}
	got, err := s.Job(ctx, j1.ID)
	if err != nil || got.State != store.JobDone || string(got.Result) != `{"ok":true}` || got.Attempts != 1 {
		t.Errorf("Job = %+v, %v", got, err)
	}
	if _, err := s.Job(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Job(9999) = %v", err)
	}
}

// testJobsClaimedOnce has many workers race for many jobs: each job must be
// claimed exactly once.
func testJobsClaimedOnce(t *testing.T, s *store.Store, _ *Clock) {
	ctx := context.Background()
	const jobs, workers = 60, 6
	for i := range jobs {
		if _, _, err := s.Enqueue(ctx, store.NewJob{Kind: "k", Payload: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for {
				j, err := s.Claim(ctx, name, []string{"k"}, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				if prev, dup := seen[j.ID]; dup {
					errs <- fmt.Errorf("job %d claimed by %s and %s", j.ID, prev, name)
				}
				seen[j.ID] = name
				mu.Unlock()
				if err := s.Complete(ctx, j.ID, name, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
}

func testJobsLeaseExpiry(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	j0, _, _ := s.Enqueue(ctx, store.NewJob{Kind: "k", MaxAttempts: 2})
	j, _ := s.Claim(ctx, "dead", []string{"k"}, time.Minute)
	if j == nil || j.ID != j0.ID {
		t.Fatalf("Claim = %v", j)
	}
	if j2, _ := s.Claim(ctx, "other", []string{"k"}, time.Minute); j2 != nil {
		t.Fatalf("a leased job was claimed again: %+v", j2)
	}
	if err := s.Extend(ctx, j.ID, "dead", 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Minute)
	// The worker died: its job goes to the next claimer, and the dead
	// worker can no longer complete it.
	j2, err := s.Claim(ctx, "alive", []string{"k"}, time.Minute)
	if err != nil || j2 == nil || j2.ID != j.ID || j2.Attempts != 2 {
		t.Fatalf("Claim after expiry = %+v, %v", j2, err)
	}
	if err := s.Complete(ctx, j.ID, "dead", nil); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Complete by the dead worker = %v, want ErrLeaseLost", err)
	}
	if err := s.Extend(ctx, j.ID, "dead", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("Extend by the dead worker = %v, want ErrLeaseLost", err)
	}
	// The second worker dies too: no attempts are left.
	clock.Advance(2 * time.Minute)
	if j3, _ := s.Claim(ctx, "third", []string{"k"}, time.Minute); j3 != nil {
		t.Errorf("job claimed beyond its attempts: %+v", j3)
	}
	got, _ := s.Job(ctx, j.ID)
	if got.State != store.JobFailed {
		t.Errorf("job state %q, want failed", got.State)
	}
}

func testJobsRetry(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	j0, _, _ := s.Enqueue(ctx, store.NewJob{Kind: "k", MaxAttempts: 3})
	j, _ := s.Claim(ctx, "w", []string{"k"}, time.Minute)
	if err := s.Fail(ctx, j.ID, "w", errors.New("registry down"), clock.Now().Add(10*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if j2, _ := s.Claim(ctx, "w", []string{"k"}, time.Minute); j2 != nil {
		t.Fatal("job retried before its time")
	}
	clock.Advance(11 * time.Second)
	j, _ = s.Claim(ctx, "w", []string{"k"}, time.Minute)
	if j == nil || j.Error != "registry down" || j.Attempts != 2 {
		t.Fatalf("retry = %+v", j)
	}
	if err := s.Fail(ctx, j.ID, "w", errors.New("manifest unknown"), clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Job(ctx, j0.ID)
	if got.State != store.JobFailed || got.Error != "manifest unknown" {
		t.Errorf("permanently failed job = %+v", got)
	}
	if n, err := s.PruneJobs(ctx, clock.Now().Add(time.Second)); err != nil || n != 1 {
		t.Errorf("PruneJobs = %d, %v; want 1", n, err)
	}
	if _, err := s.Claim(ctx, "w", nil, time.Minute); err == nil {
		t.Error("Claim without kinds succeeded")
	}
}

func testTokens(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "ci", store.ScopeWrite, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.VerifyToken(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Scope != store.ScopeWrite {
		t.Fatalf("VerifyToken = %+v, %v", got, err)
	}
	expiring, _, _ := s.CreateToken(ctx, "tmp", store.ScopeRead, clock.Now().Add(time.Hour))
	if _, err := s.VerifyToken(ctx, expiring); err != nil {
		t.Errorf("fresh expiring token refused: %v", err)
	}
	clock.Advance(2 * time.Hour)
	for name, bad := range map[string]string{
		"expired": expiring, "unknown": store.TokenPrefix + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"no prefix": "Bearer x", "empty": "", "huge": store.TokenPrefix + string(make([]byte, 4096)),
		"altered": secret[:len(secret)-1] + map[bool]string{true: "y", false: "x"}[strings.HasSuffix(secret, "x")],
	} {
		if _, err := s.VerifyToken(ctx, bad); !errors.Is(err, store.ErrBadToken) {
			t.Errorf("VerifyToken(%s) = %v, want ErrBadToken", name, err)
		}
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, store.ErrBadToken) {
		t.Errorf("revoked token accepted: %v", err)
	}
	ts, _ := s.Tokens(ctx)
	if len(ts) != 2 || !ts[0].Revoked || ts[0].LastUsed.IsZero() {
		t.Errorf("Tokens = %+v", ts)
	}
	if _, _, err := s.CreateToken(ctx, "x", "root", time.Time{}); err == nil {
		t.Error("token of an unknown scope created")
	}
	if err := s.RevokeToken(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(999) = %v", err)
	}
	for _, c := range []struct {
		have, want string
		ok         bool
	}{{"admin", "write", true}, {"write", "write", true}, {"read", "write", false}, {"", "read", false}, {"write", "admin", false}} {
		if got := store.ScopeAllows(c.have, c.want); got != c.ok {
			t.Errorf("ScopeAllows(%q, %q) = %v", c.have, c.want, got)
		}
	}
}

func testTags(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	if _, err := s.SetTagDigest(ctx, "r/app", "1", "sha256:a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetTagDigest on an untracked tag = %v", err)
	}
	if err := s.TrackTag(ctx, "r/app", "1", "r/app:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.TrackTag(ctx, "r/app", "1", "r/app:1"); err != nil {
		t.Fatalf("tracking twice: %v", err)
	}
	due, _ := s.TagsCheckedBefore(ctx, clock.Now(), 10)
	if len(due) != 1 {
		t.Fatalf("TagsCheckedBefore = %v", due)
	}
	for i, d := range []sbom.Digest{"sha256:a", "sha256:a", "sha256:b"} {
		clock.Advance(time.Minute)
		mv, err := s.SetTagDigest(ctx, "r/app", "1", d)
		if err != nil {
			t.Fatal(err)
		}
		if (mv != nil) != (i == 2) {
			t.Errorf("step %d: move = %+v", i, mv)
		}
	}
	moves, _ := s.TagMoves(ctx, "r/app")
	want := []store.TagMove{{Repository: "r/app", Tag: "1", From: "sha256:a", To: "sha256:b", At: clock.Now()}}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("TagMoves (-want +got):\n%s", diff)
	}
	if due, _ := s.TagsCheckedBefore(ctx, clock.Now(), 10); len(due) != 0 {
		t.Errorf("just-checked tag is due: %v", due)
	}
}

func testLocks(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	l1, err := s.TryLock(ctx, "feeds", "r1", time.Minute)
	if err != nil || l1 == nil {
		t.Fatalf("TryLock = %v, %v", l1, err)
	}
	if l2, err := s.TryLock(ctx, "feeds", "r2", time.Minute); err != nil || l2 != nil {
		t.Fatalf("second holder got the lock: %v, %v", l2, err)
	}
	if l3, err := s.TryLock(ctx, "other", "r2", time.Minute); err != nil || l3 == nil {
		t.Fatalf("another lock name was refused: %v", err)
	} else {
		l3.Release(ctx)
	}
	if err := l1.Held(ctx); err != nil {
		t.Errorf("Held = %v", err)
	}
	if err := l1.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l2, err := s.TryLock(ctx, "feeds", "r2", time.Minute)
	if err != nil || l2 == nil {
		t.Fatalf("lock not free after release: %v", err)
	}
	defer l2.Release(ctx)
	if s.Dialect() == "sqlite" {
		// A holder that stops renewing loses the lease.
		clock.Advance(2 * time.Minute)
		l3, err := s.TryLock(ctx, "feeds", "r3", time.Minute)
		if err != nil || l3 == nil {
			t.Fatalf("expired lease not taken over: %v", err)
		}
		if err := l2.Held(ctx); !errors.Is(err, store.ErrLockLost) {
			t.Errorf("Held after takeover = %v, want ErrLockLost", err)
		}
	}
}

func testBlobs(t *testing.T, s *store.Store, clock *Clock) {
	ctx := context.Background()
	if _, ok, err := s.GetBlob(ctx, "layer/x"); ok || err != nil {
		t.Fatalf("GetBlob(absent) = %v, %v", ok, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := s.PutBlob(ctx, "layer/x", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	b, ok, err := s.GetBlob(ctx, "layer/x")
	if err != nil || !ok || string(b) != "one" {
		t.Errorf("GetBlob = %q, %v, %v; want the first write", b, ok, err)
	}

	// Pruning goes by last use: a write, or a read once the last use is
	// an hour old. "layer/x" is read after 2 h, "layer/y" only written,
	// "layer/z" written again after 2 h.
	for _, k := range []string{"layer/y", "layer/z"} {
		if err := s.PutBlob(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	start := clock.Now()
	clock.Advance(2 * time.Hour)
	if _, ok, err := s.GetBlob(ctx, "layer/x"); !ok || err != nil {
		t.Fatalf("GetBlob(layer/x) = %v, %v", ok, err)
	}
	if err := s.PutBlob(ctx, "layer/z", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneBlobs(ctx, "layer/", start); n != 0 || err != nil {
		t.Errorf("PruneBlobs(before the writes) = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneBlobs(ctx, "layer/", start.Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("PruneBlobs(an hour after the writes) = %d, %v; want 1 (layer/y)", n, err)
	}
	for k, want := range map[string]string{"layer/x": "one", "layer/y": "", "layer/z": "layer/z"} {
		b, ok, err := s.GetBlob(ctx, k)
		if err != nil || ok != (want != "") || string(b) != want {
			t.Errorf("after pruning GetBlob(%s) = %q, %v, %v; want %q", k, b, ok, err, want)
		}
	}
	// A read within the hour does not renew: layer/x was read at start+2h,
	// is read again at start+2h30, and goes with a prune at start+2h15.
	clock.Advance(30 * time.Minute)
	if _, ok, err := s.GetBlob(ctx, "layer/x"); !ok || err != nil {
		t.Fatalf("GetBlob(layer/x) = %v, %v", ok, err)
	}
	if err := s.PutBlob(ctx, "imagestack/x", []byte("stack")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneBlobs(ctx, "layer/", start.Add(2*time.Hour+15*time.Minute)); n != 2 || err != nil {
		t.Errorf("PruneBlobs(start+2h15) = %d, %v; want 2 (layer/x, layer/z)", n, err)
	}
	// Other prefixes are left alone; a prefix with LIKE wildcards is
	// taken literally.
	clock.Advance(24 * time.Hour)
	if n, err := s.PruneBlobs(ctx, "%", clock.Now()); n != 0 || err != nil {
		t.Errorf(`PruneBlobs("%%") = %d, %v; want 0`, n, err)
	}
	if b, ok, err := s.GetBlob(ctx, "imagestack/x"); !ok || err != nil || string(b) != "stack" {
		t.Errorf("imagestack/x after pruning layer/ = %q, %v, %v", b, ok, err)
	}
	if n, err := s.PruneBlobs(ctx, "imagestack/", clock.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Errorf("PruneBlobs(imagestack/) = %d, %v; want 1", n, err)
	}
}

func testSchemaTooNew(t *testing.T, s *store.Store, dsn string) {
	ctx := context.Background()
	if v, err := s.Schema(ctx); err != nil || v != store.SchemaVersion() {
		t.Fatalf("Schema = %d, %v; want %d", v, err, store.SchemaVersion())
	}
	// Opening again is a no-op migration.
	Open(t, dsn, store.Options{})
	if err := s.ExecForTest(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	if s2, err := store.Open(ctx, dsn, store.Options{}); !errors.Is(err, store.ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("Open on a newer schema = %v, want ErrSchemaTooNew", err)
	}
}
