package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The cataloger is used through the interface by the core.
var _ catalog.Cataloger = (*Cataloger)(nil)

// golden is the expected output of cataloging one fixture.
type golden struct {
	Packages []sbom.Package `json:"packages"`
	Warnings []string       `json:"warnings"`
}

// run catalogs the files (image path → content) as an image with distro.
func run(t testing.TB, files map[string][]byte, distro *sbom.Distro) (golden, error) {
	t.Helper()
	var got golden
	fsys := fstest.MapFS{}
	var paths []string
	for p, data := range files {
		fsys[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		paths = append(paths, p)
	}
	in := catalog.Input{
		FS:     fsys,
		Paths:  paths,
		Distro: distro,
		Warn:   func(msg string) { got.Warnings = append(got.Warnings, msg) },
	}
	pkgs, err := New().Catalog(context.Background(), in)
	got.Packages = pkgs
	return got, err
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, goldenPath string, got golden) {
	t.Helper()
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var want golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", goldenPath, diff)
	}
}

// sharedDir returns the shared fixtures directory, or skips the test.
func sharedDir(t *testing.T, rel string) string {
	t.Helper()
	root := os.Getenv("VIGIL_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared")
	}
	dir := filepath.Join(root, "fixtures", rel)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared fixture %s not available (set VIGIL_SHARED to the shared directory): %v", rel, err)
	}
	return dir
}

// readFixture returns the database at dir/dbPath as a one-file image.
func readFixture(t testing.TB, dir, dbPath string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(dbPath)))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{dbPath: data}
}

type fixture struct {
	name   string
	dir    string // holds the database at its in-image path
	dbPath string
	distro *sbom.Distro
	golden string
}

// fixtures lists the real databases in testdata.
func fixtures() []fixture {
	return []fixture{
		{
			// Made by rpm 4.18 with testdata/make-rpmdb.sh.
			name:   "sqlite",
			dir:    "testdata/sqlite",
			dbPath: "var/lib/rpm/rpmdb.sqlite",
			distro: &sbom.Distro{ID: "rhel", VersionID: "9.3"},
			golden: "testdata/sqlite/expected.json",
		},
		{
			// From syft's test data (see testdata/README.md).
			name:   "bdb",
			dir:    "testdata/bdb",
			dbPath: "var/lib/rpm/Packages",
			distro: &sbom.Distro{ID: "centos", VersionID: "7"},
			golden: "testdata/bdb/expected.json",
		},
	}
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			got, err := run(t, readFixture(t, fx.dir, fx.dbPath), fx.distro)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, fx.golden, got)
		})
	}
}

// sharedExpected is the shape of the shared fixtures' *.expected.json.
type sharedExpected struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// TestSharedFixtures reads the real NDB and Berkeley DB databases of the
// shared fixtures, checks the package list against the one their origin
// project asserts, and the full output against a golden file here.
func TestSharedFixtures(t *testing.T) {
	tests := []struct {
		name   string
		dir    string
		dbPath string
		distro *sbom.Distro
		golden string
	}{
		{
			"ndb-sle15-bci", "rpm/go-rpmdb__ndb-sle15-bci", "usr/lib/sysimage/rpm/Packages.db",
			&sbom.Distro{ID: "sles", VersionID: "15.3"}, "testdata/shared-ndb-sle15-bci.expected.json",
		},
		{
			// The same database as testdata/bdb, so the same golden file.
			"bdb-syft", "rpm/syft__bdb-Packages", "var/lib/rpm/Packages",
			&sbom.Distro{ID: "centos", VersionID: "7"}, "testdata/bdb/expected.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := sharedDir(t, tt.dir)
			got, err := run(t, readFixture(t, dir, tt.dbPath), tt.distro)
			if err != nil {
				t.Fatal(err)
			}

			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tt.dbPath)) + ".expected.json")
			if err != nil {
				t.Fatal(err)
			}
			var expected []sharedExpected
			if err := json.Unmarshal(b, &expected); err != nil {
				t.Fatal(err)
			}
			var want, have []string
			for _, e := range expected {
				want = append(want, e.Name+" "+e.Version)
			}
			for _, p := range got.Packages {
				have = append(have, p.Name+" "+p.RPM.Version+"-"+p.RPM.Release)
			}
			if diff := cmp.Diff(want, have, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("packages differ from the origin's list (-want +got):\n%s", diff)
			}

			checkGolden(t, tt.golden, got)
		})
	}
}

// sqliteHeaders returns the package headers stored in the SQLite fixture, in
// rpm's order, read with SQL rather than through readDB.
func sqliteHeaders(t testing.TB) [][]byte {
	t.Helper()
	dir := t.TempDir()
	name := filepath.Join(dir, "rpmdb.sqlite")
	data, err := os.ReadFile("testdata/sqlite/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT blob FROM Packages ORDER BY hnum")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var blobs [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return blobs
}

// makeNDB lays out package headers as rpm's NDB backend does (one slot page
// after the file header, then one blob per package), so that the NDB reader
// is tested on every run; the real NDB database of the shared fixtures
// checks that the layout is right.
func makeNDB(blobs [][]byte) []byte {
	le := binary.LittleEndian
	buf := make([]byte, ndbSlotPageBytes)
	le.PutUint32(buf[0:], ndbHeaderMagic)
	le.PutUint32(buf[4:], ndbDBVersion)
	le.PutUint32(buf[8:], 1) // generation
	le.PutUint32(buf[12:], 1)
	for off := ndbHeaderSlots * ndbSlotSize; off < ndbSlotPageBytes; off += ndbSlotSize {
		le.PutUint32(buf[off:], ndbSlotMagic)
	}
	for i, blob := range blobs {
		pkg := uint32(i + 1)
		start := len(buf)
		head := make([]byte, ndbBlobHeadSize)
		le.PutUint32(head[0:], ndbBlobMagic)
		le.PutUint32(head[4:], pkg)
		le.PutUint32(head[12:], uint32(len(blob)))
		buf = append(buf, head...)
		buf = append(buf, blob...)
		buf = append(buf, make([]byte, 16)...) // blob tail
		for len(buf)%ndbBlockSize != 0 {
			buf = append(buf, 0)
		}
		slot := buf[(ndbHeaderSlots+i)*ndbSlotSize:]
		le.PutUint32(slot[4:], pkg)
		le.PutUint32(slot[8:], uint32(start/ndbBlockSize))
		le.PutUint32(slot[12:], uint32((len(buf)-start)/ndbBlockSize))
	}
	return buf
}

// TestFormatsAgree checks that the same headers give the same packages
// whichever database format holds them.
func TestFormatsAgree(t *testing.T) {
	distro := &sbom.Distro{ID: "opensuse-leap", VersionID: "15.6"}
	sqlite, err := run(t, readFixture(t, "testdata/sqlite", "var/lib/rpm/rpmdb.sqlite"), distro)
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := run(t, map[string][]byte{"usr/lib/sysimage/rpm/Packages.db": makeNDB(sqliteHeaders(t))}, distro)
	if err != nil {
		t.Fatal(err)
	}
	if len(ndb.Packages) != 4 {
		t.Errorf("got %d packages from NDB, want 4", len(ndb.Packages))
	}
	ignoreLoc := cmpopts.IgnoreFields(sbom.Package{}, "Locations")
	if diff := cmp.Diff(sqlite, ndb, ignoreLoc); diff != "" {
		t.Errorf("NDB and SQLite differ (-sqlite +ndb):\n%s", diff)
	}
}

// TestPackage checks the mapping of one real package field by field,
// independently of the golden files.
func TestPackage(t *testing.T) {
	got, err := run(t, readFixture(t, "testdata/sqlite", "var/lib/rpm/rpmdb.sqlite"), &sbom.Distro{ID: "rhel", VersionID: "9.3"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sbom.Package{}
	for _, p := range got.Packages {
		byName[p.Name] = p
	}
	if _, ok := byName["gpg-pubkey"]; ok {
		t.Error("gpg-pubkey pseudo-package was not skipped")
	}
	two := 2
	want := sbom.Package{
		Ecosystem:     sbom.RPM,
		Name:          "libvigil-hello",
		Version:       "2:1.0-3.el9",
		Arch:          "x86_64",
		SourceName:    "vigil-hello",
		SourceVersion: "2:1.0-3.el9",
		PURL:          "pkg:rpm/redhat/libvigil-hello@1.0-3.el9?arch=x86_64&distro=rhel-9.3&epoch=2&upstream=vigil-hello-1.0-3.el9.src.rpm",
		Licenses:      []sbom.License{{SPDX: "LGPL-2.0-or-later", Value: "LGPLv2+"}},
		Locations:     []string{"/var/lib/rpm/rpmdb.sqlite"},
		Files:         []string{"/usr/lib64/libvigil-hello.so.1"},
		FoundBy:       "rpm",
		RPM: &sbom.RPMMetadata{
			Epoch:     &two,
			Version:   "1.0",
			Release:   "3.el9",
			SourceRPM: "vigil-hello-1.0-3.el9.src.rpm",
			Vendor:    "Vigil Project",
			Size:      4,
		},
	}
	if diff := cmp.Diff(want, byName["libvigil-hello"]); diff != "" {
		t.Errorf("libvigil-hello (-want +got):\n%s", diff)
	}

	hello := byName["vigil-hello"]
	// The owned directory /usr/share/vigil-hello is left out; the symlink
	// and the %ghost file are kept.
	wantFiles := []string{"/usr/bin/vigil-hello", "/usr/bin/vigil-hi", "/usr/share/vigil-hello/greeting.txt", "/var/log/vigil-hello.log"}
	if diff := cmp.Diff(wantFiles, hello.Files); diff != "" {
		t.Errorf("vigil-hello files (-want +got):\n%s", diff)
	}

	mod := byName["vigil-module"]
	if mod.Version != "18.19.0-1.module+el8.9.0+19521+ad008a3a" {
		t.Errorf("vigil-module version %q: a zero epoch should be left out", mod.Version)
	}
	if mod.RPM.Epoch == nil || *mod.RPM.Epoch != 0 {
		t.Errorf("vigil-module metadata epoch %v, want the recorded 0", mod.RPM.Epoch)
	}
	if mod.RPM.Modularity != "nodejs:18:8090020231023:ad008a3a" {
		t.Errorf("vigil-module modularity label %q", mod.RPM.Modularity)
	}
	if mod.Files != nil {
		t.Errorf("vigil-module files %q, want none", mod.Files)
	}
	if strings.Contains(mod.PURL, "epoch=") {
		t.Errorf("vigil-module PURL %q has a zero epoch", mod.PURL)
	}

	data := byName["vigil-data"]
	if data.RPM.Epoch != nil || data.Version != "0.9.1-1.fc40" {
		t.Errorf("vigil-data: epoch %v version %q, want no epoch and 0.9.1-1.fc40", data.RPM.Epoch, data.Version)
	}
}

// TestMultipleDatabases checks that a package in two databases (an old one
// left beside the new) is reported once, with both locations.
func TestMultipleDatabases(t *testing.T) {
	data, err := os.ReadFile("testdata/sqlite/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	got, err := run(t, map[string][]byte{
		"var/lib/rpm/rpmdb.sqlite":          data,
		"usr/lib/sysimage/rpm/rpmdb.sqlite": data,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Packages) != 4 {
		t.Fatalf("got %d packages, want 4", len(got.Packages))
	}
	want := []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite"}
	for _, p := range got.Packages {
		if diff := cmp.Diff(want, p.Locations, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("%s locations (-want +got):\n%s", p.Name, diff)
		}
		if strings.HasPrefix(p.PURL, "pkg:rpm//") || strings.Contains(p.PURL, "distro=") {
			t.Errorf("%s: PURL %q without a distro should have neither namespace nor distro", p.Name, p.PURL)
		}
	}
}

// badCopies returns damaged copies of the fixture databases.
func badCopies(t testing.TB) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	dbs := map[string][]byte{
		"var/lib/rpm/rpmdb.sqlite":         readFixture(t, "testdata/sqlite", "var/lib/rpm/rpmdb.sqlite")["var/lib/rpm/rpmdb.sqlite"],
		"var/lib/rpm/Packages":             readFixture(t, "testdata/bdb", "var/lib/rpm/Packages")["var/lib/rpm/Packages"],
		"usr/lib/sysimage/rpm/Packages.db": makeNDB(sqliteHeaders(t)),
	}
	for p, data := range dbs {
		out["first half of "+p] = map[string][]byte{p: data[:len(data)/2]}
		out["first 100 bytes of "+p] = map[string][]byte{p: data[:100]}
		out["zero-length "+p] = map[string][]byte{p: {}}
		out["garbage at "+p] = map[string][]byte{p: bytes.Repeat([]byte("not an rpm database "), 100)}
		zeroed := bytes.Clone(data)
		clear(zeroed[len(zeroed)/4 : len(zeroed)/2])
		out["second quarter zeroed in "+p] = map[string][]byte{p: zeroed}
	}
	return out
}

// TestCorrupt checks that damaged databases give an error naming the file,
// never a panic, a hang or a partial list passed off as complete.
func TestCorrupt(t *testing.T) {
	for name, files := range badCopies(t) {
		t.Run(name, func(t *testing.T) {
			var dbPath string
			for p := range files {
				dbPath = p
			}
			got, err := run(t, files, nil)
			if err == nil {
				// Zeroing a region a reader never looks at is harmless;
				// anything else must fail.
				if !strings.HasPrefix(name, "second quarter zeroed") {
					t.Fatalf("no error; got %d packages", len(got.Packages))
				}
				return
			}
			if !strings.Contains(err.Error(), "/"+dbPath) {
				t.Errorf("error %q does not name /%s", err, dbPath)
			}
			if got.Packages != nil {
				t.Errorf("packages returned with an error: %d", len(got.Packages))
			}
		})
	}
}

// TestCorruptShared truncates the shared fixtures' real databases.
func TestCorruptShared(t *testing.T) {
	dir := sharedDir(t, "rpm")
	for _, p := range []string{
		"go-rpmdb__ndb-sle15-bci/usr/lib/sysimage/rpm/Packages.db",
		"syft__bdb-Packages/var/lib/rpm/Packages",
	} {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		dbPath := p[strings.IndexByte(p, '/')+1:]
		_, err = run(t, map[string][]byte{dbPath: data[:len(data)/2]}, nil)
		if err == nil || !strings.Contains(err.Error(), "/"+dbPath) {
			t.Errorf("%s cut in half: error %v, want one naming /%s", p, err, dbPath)
		}
	}
}

func TestUnreadable(t *testing.T) {
	in := catalog.Input{FS: fstest.MapFS{}, Paths: []string{"var/lib/rpm/Packages"}}
	_, err := New().Catalog(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "/var/lib/rpm/Packages") {
		t.Errorf("missing file: error %v, want one naming it", err)
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode fs.FileMode
		want bool
	}{
		{"var/lib/rpm/rpmdb.sqlite", 0o644, true},
		{"usr/lib/sysimage/rpm/rpmdb.sqlite", 0o644, true},
		{"usr/lib/sysimage/rpm/Packages.db", 0o644, true},
		{"var/lib/rpm/Packages.db", 0o644, true},
		{"var/lib/rpm/Packages", 0o644, true},
		{"var/lib/rpm/Packages", fs.ModeSymlink | 0o777, false},
		{"var/lib/rpm/Packages", fs.ModeDir | 0o755, false},
		{"/var/lib/rpm/Packages", 0o644, false},
		{"var/lib/rpm/rpmdb.sqlite-wal", 0o644, false},
		{"var/lib/rpm/Name", 0o644, false},
		{"usr/lib/sysimage/rpm/Packages", 0o644, false},
		{"root/.rpmdb/rpmdb.sqlite", 0o644, false},
		{"var/lib/rpmmanifest/container-manifest-2", 0o644, true},
		{"var/lib/rpmmanifest/container-manifest-1", 0o644, false},
	}
	c := New()
	for _, tt := range tests {
		if got := c.Wants(tt.path, tt.mode, 4096); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct {
		in           string
		name, verRel string
		ok           bool
	}{
		{"openssl-3.0.7-24.el9.src.rpm", "openssl", "3.0.7-24.el9", true},
		{"python-setuptools-53.0.0-12.el9.src.rpm", "python-setuptools", "53.0.0-12.el9", true},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610-1.3.9", true},
		{"kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", "kernel", "5.14.0-362.8.1.el9_3", true},
		{"nodejs-18.19.0-1.module+el8.9.0+19521+ad008a3a.src.rpm", "nodejs", "18.19.0-1.module+el8.9.0+19521+ad008a3a", true},
		{"openssl-3.0.7-24.el9.x86_64.rpm", "", "", false},
		{"openssl-3.0.7.src.rpm", "", "", false},
		{"-1.0-1.src.rpm", "", "", false},
		{"foo--1.src.rpm", "", "", false},
		{"foo-1.0-.src.rpm", "", "", false},
		{".src.rpm", "", "", false},
		{"(none)", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		name, verRel, ok := parseSourceRPM(tt.in)
		if name != tt.name || verRel != tt.verRel || ok != tt.ok {
			t.Errorf("parseSourceRPM(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, verRel, ok, tt.name, tt.verRel, tt.ok)
		}
	}
}

func TestEVR(t *testing.T) {
	zero, one := 0, 1
	tests := []struct {
		epoch *int
		want  string
	}{
		{nil, "3.0.7-24.el9"},
		{&zero, "3.0.7-24.el9"},
		{&one, "1:3.0.7-24.el9"},
	}
	for _, tt := range tests {
		if got := evr(tt.epoch, "3.0.7-24.el9"); got != tt.want {
			t.Errorf("evr(%v) = %q, want %q", tt.epoch, got, tt.want)
		}
	}
}

func TestLicenseSPDX(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		// Already SPDX (Fedora ≥ 2022, SUSE).
		{"MIT", "MIT"},
		{"Apache-2.0 AND (MIT OR BSD-3-Clause)", "Apache-2.0 AND (MIT OR BSD-3-Clause)"},
		{"GPL-2.0-or-later WITH GCC-exception-2.0", "GPL-2.0-or-later WITH GCC-exception-2.0"},
		{"LGPL-2.1-or-later", "LGPL-2.1-or-later"},
		// Fedora legacy abbreviations (RHEL, CentOS, Amazon Linux).
		{"GPLv2", "GPL-2.0-only"},
		{"GPLv2+", "GPL-2.0-or-later"},
		{"GPLv3+", "GPL-3.0-or-later"},
		{"GPL+", "GPL-1.0-or-later"},
		{"LGPLv2+", "LGPL-2.0-or-later"},
		{"ASL 2.0", "Apache-2.0"},
		{"GPLv2+ and MIT", "GPL-2.0-or-later AND MIT"},
		{"GPLv2+ or LGPLv3+", "GPL-2.0-or-later OR LGPL-3.0-or-later"},
		{"(GPLv2+ or ASL 2.0) and zlib", "(GPL-2.0-or-later OR Apache-2.0) AND Zlib"},
		{"MIT and ASL 2.0 and Boost", "MIT AND Apache-2.0 AND BSL-1.0"},
		// Ambiguous or non-licences: no SPDX expression.
		{"BSD", ""},
		{"LGPLv2", ""},
		{"Public Domain", ""},
		{"GPLv2 with exceptions", ""},
		{"ASL 2.0 and Public Domain", ""},
		{"GPLv2+ and BSD", ""},
		{"Python", "Python-2.0"},
		{"GPL+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0"},
		{"Redistributable, no modification permitted", ""},
		{"GPLv2+,", ""},
		{"GPLv2 and", ""},
		{"(GPLv2", ""},
		{"", ""},
		{"   ", ""},
		// Over-long tags are not checked (the validator is superlinear).
		{strings.Repeat("MIT AND ", 600) + "MIT", ""},
	}
	for _, tt := range tests {
		if got := licenseSPDX(tt.value); got != tt.want {
			t.Errorf("licenseSPDX(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestNamespace(t *testing.T) {
	tests := map[string]string{
		"rhel":                "redhat",
		"centos":              "centos",
		"rocky":               "rocky",
		"almalinux":           "almalinux",
		"fedora":              "fedora",
		"amzn":                "amazon",
		"ol":                  "oracle",
		"sles":                "suse",
		"sle-micro":           "suse",
		"opensuse-leap":       "opensuse",
		"opensuse-tumbleweed": "opensuse",
		"mariner":             "mariner",
		"azurelinux":          "azurelinux",
		"RHEL":                "redhat",
	}
	for id, want := range tests {
		if got := namespace(id); got != want {
			t.Errorf("namespace(%q) = %q, want %q", id, got, want)
		}
	}
}

// FuzzReadDB feeds damaged databases to the reader: it must return headers
// or an error, never panic, hang or allocate without bound. Seeds are the
// Berkeley DB fixture and a small NDB database; the SQLite fixture is left
// out because SQLite guards its own format and each execution would copy it.
func FuzzReadDB(f *testing.F) {
	bdb, err := os.ReadFile("testdata/bdb/var/lib/rpm/Packages")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bdb)
	f.Add(makeNDB(sqliteHeaders(f)[:2]))
	f.Fuzz(func(t *testing.T, data []byte) {
		headers, err := readDB(context.Background(), data, func(string) {})
		if err != nil {
			return
		}
		for _, h := range headers {
			h.license = "" // FuzzLicenseSPDX covers licences, which are slow to check
			toPackage(h, "/var/lib/rpm/Packages", nil, func(string) {})
		}
	})
}

// FuzzParseHeader feeds damaged headers to the header parser.
func FuzzParseHeader(f *testing.F) {
	for _, b := range sqliteHeaders(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := parseHeader(blob)
		if err != nil {
			return
		}
		if h.name == "" {
			t.Fatal("header without a name accepted")
		}
		h.license = "" // FuzzLicenseSPDX covers licences, which are slow to check
		toPackage(h, "/var/lib/rpm/rpmdb.sqlite", &sbom.Distro{ID: "rhel", VersionID: "9"}, func(string) {})
	})
}

// FuzzSourceRPM checks that what parseSourceRPM returns rebuilds its input.
func FuzzSourceRPM(f *testing.F) {
	for _, s := range []string{"openssl-3.0.7-24.el9.src.rpm", "a-b-c-1-2.nosrc.rpm", "x.src.rpm", "--.src.rpm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, verRel, ok := parseSourceRPM(s)
		if !ok {
			return
		}
		if name == "" || !strings.Contains(verRel, "-") {
			t.Fatalf("parseSourceRPM(%q) = %q, %q", s, name, verRel)
		}
		if name+"-"+verRel+".src.rpm" != s && name+"-"+verRel+".nosrc.rpm" != s {
			t.Fatalf("parseSourceRPM(%q) = %q, %q does not rebuild the input", s, name, verRel)
		}
	})
}

// FuzzLicenseSPDX checks that licenseSPDX never panics and returns only
// expressions that are valid SPDX.
func FuzzLicenseSPDX(f *testing.F) {
	for _, s := range []string{"GPLv2+ and MIT", "(GPLv2+ or ASL 2.0) and zlib", "MIT AND (Apache-2.0 OR BSD-3-Clause)", "BSD", "((", "and or"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := licenseSPDX(s)
		if got != "" && spdx(got) != got {
			t.Fatalf("licenseSPDX(%q) = %q, which is not canonical SPDX", s, got)
		}
	})
}

// TestManifest reads an Azure Linux distroless image's package manifest:
// packages with versions, epochs and source packages, no files; the signing
// key pseudo-package is left out; a bad line is skipped with a warning
// naming it, the others kept.
func TestManifest(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "manifest", "container-manifest-2"))
	if err != nil {
		t.Fatal(err)
	}
	azl := &sbom.Distro{ID: "azurelinux", VersionID: "3.0"}
	got, err := run(t, map[string][]byte{manifestPath: good}, azl)
	if err != nil || len(got.Warnings) > 0 {
		t.Fatalf("Catalog: %v, warnings %q", err, got.Warnings)
	}
	type row struct{ Name, Version, Source, SourceVersion, Arch, PURL string }
	var rows []row
	for _, p := range got.Packages {
		rows = append(rows, row{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Arch, p.PURL})
		if len(p.Files) != 0 || len(p.Locations) != 1 || p.Locations[0] != "/"+manifestPath {
			t.Errorf("%s: files %v, locations %v", p.Name, p.Files, p.Locations)
		}
	}
	want := []row{
		{"filesystem", "1.1-21.azl3", "filesystem", "1.1-21.azl3", "x86_64", "pkg:rpm/azurelinux/filesystem@1.1-21.azl3?arch=x86_64&distro=azurelinux-3.0&upstream=filesystem-1.1-21.azl3.src.rpm"},
		{"glibc", "2.38-8.azl3", "glibc", "2.38-8.azl3", "x86_64", "pkg:rpm/azurelinux/glibc@2.38-8.azl3?arch=x86_64&distro=azurelinux-3.0&upstream=glibc-2.38-8.azl3.src.rpm"},
		{"openssl-libs", "1:3.3.0-2.azl3", "openssl", "1:3.3.0-2.azl3", "x86_64", "pkg:rpm/azurelinux/openssl-libs@3.3.0-2.azl3?arch=x86_64&distro=azurelinux-3.0&epoch=1&upstream=openssl-3.3.0-2.azl3.src.rpm"},
		{"tzdata", "2024a-1.azl3", "tzdata", "2024a-1.azl3", "noarch", "pkg:rpm/azurelinux/tzdata@2024a-1.azl3?arch=noarch&distro=azurelinux-3.0&upstream=tzdata-2024a-1.azl3.src.rpm"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	bad := append(slices.Clone(good), []byte("half\tline\nnoversion\tx\t1\t1\tv\t(none)\t1\tx86_64\t0\tsrc\nbadepoch\t1-1\t1\t1\tv\tone\t1\tx86_64\t0\tbadepoch-1-1.src.rpm\n\n")...)
	got, err = run(t, map[string][]byte{manifestPath: bad}, azl)
	if err != nil || len(got.Packages) != len(want) {
		t.Fatalf("Catalog of a damaged manifest: %v, %d packages", err, len(got.Packages))
	}
	wantWarn := []string{`rpm: /var/lib/rpmmanifest/container-manifest-2: 3 lines skipped, the first: line 6: 2 tab-separated fields, want 10`}
	if diff := cmp.Diff(wantWarn, got.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func FuzzParseManifest(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "manifest", "container-manifest-2"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("a\t1-1\t\t\t\t\t\t\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, _ := parseManifest(data)
		for _, h := range hs {
			if h.name == "" || h.version == "" || h.release == "" {
				t.Fatalf("header %+v from %q", h, data)
			}
		}
	})
}
