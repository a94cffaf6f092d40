package apk

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

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

// run catalogs data as the installed database of an image with distro.
func run(t *testing.T, data []byte, distro *sbom.Distro) golden {
	t.Helper()
	var got golden
	in := catalog.Input{
		FS:     fstest.MapFS{dbPath: {Data: data, Mode: 0o644}},
		Paths:  []string{dbPath},
		Distro: distro,
		Warn:   func(msg string) { got.Warnings = append(got.Warnings, msg) },
	}
	pkgs, err := New().Catalog(context.Background(), in)
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	got.Packages = pkgs
	return got
}

// TestFixtures catalogs real installed databases (see testdata/README.md)
// and compares with testdata/<fixture>/expected.json; -update rewrites it.
func TestFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		distro  *sbom.Distro
	}{
		// Alpine 3.4 era, with old free-form licences, a stanza without a
		// version and sub-packages whose origin differs from their name.
		{"trivy-apk", &sbom.Distro{ID: "alpine", VersionID: "3.4.6"}},
		// Alpine 3.19 era, with SPDX licences.
		{"syft-multiple", &sbom.Distro{ID: "alpine", VersionID: "3.19.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.fixture, dbPath))
			if err != nil {
				t.Fatal(err)
			}
			got := run(t, data, tt.distro)
			goldenPath := filepath.Join("testdata", tt.fixture, "expected.json")
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
				t.Errorf("packages differ from %s (-want +got):\n%s", goldenPath, diff)
			}
		})
	}
}

// TestPackage checks one stanza field by field, independently of the golden
// files, so that a wrong golden file cannot hide a wrong mapping.
func TestPackage(t *testing.T) {
	const db = "C:Q1Zchg/48QO2ZPQLqEmj9aUcaci+s=\n" +
		"P:libcrypto3\nV:3.3.2-r0\nA:aarch64\nS:1714530\nI:4300800\n" +
		"T:Crypto library from openssl\nU:https://www.openssl.org/\n" +
		"L:Apache-2.0\no:openssl\nm:Ariadne Conill <ariadne@dereferenced.org>\n" +
		"t:1725980012\nc:d7b8d3c6d45b5ab0c3f3ac4b4b8c5b8d5ec9c2bd\n" +
		"D:so:libc.musl-aarch64.so.1\np:so:libcrypto.so.3=3\n" +
		"R:top-level-file\n" +
		"F:usr/lib\nR:libcrypto.so.3\na:0:0:755\nZ:Q1abc=\n" +
		"F:usr/lib/engines-3\nR:afalg.so\n"
	want := sbom.Package{
		Ecosystem:     sbom.APK,
		Name:          "libcrypto3",
		Version:       "3.3.2-r0",
		Arch:          "aarch64",
		SourceName:    "openssl",
		SourceVersion: "3.3.2-r0",
		PURL:          "pkg:apk/wolfi/libcrypto3@3.3.2-r0?arch=aarch64&distro=wolfi-20230201&upstream=openssl",
		Licenses:      []sbom.License{{SPDX: "Apache-2.0", Value: "Apache-2.0"}},
		Locations:     []string{"/lib/apk/db/installed"},
		Files:         []string{"/top-level-file", "/usr/lib/libcrypto.so.3", "/usr/lib/engines-3/afalg.so"},
		FoundBy:       "apk",
		APK: &sbom.APKMetadata{
			Origin:        "openssl",
			Commit:        "d7b8d3c6d45b5ab0c3f3ac4b4b8c5b8d5ec9c2bd",
			Maintainer:    "Ariadne Conill <ariadne@dereferenced.org>",
			URL:           "https://www.openssl.org/",
			Description:   "Crypto library from openssl",
			InstalledSize: 4300800,
			Checksum:      "Q1Zchg/48QO2ZPQLqEmj9aUcaci+s=",
			Depends:       []string{"so:libc.musl-aarch64.so.1"},
			Provides:      []string{"so:libcrypto.so.3=3"},
		},
	}
	got := run(t, []byte(db), &sbom.Distro{ID: "wolfi", VersionID: "20230201"})
	if diff := cmp.Diff(golden{Packages: []sbom.Package{want}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPURL(t *testing.T) {
	tests := []struct {
		name   string
		db     string
		distro *sbom.Distro
		want   string
	}{
		{
			name:   "alpine release",
			db:     "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n",
			distro: &sbom.Distro{ID: "alpine", VersionID: "3.20.3"},
			want:   "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
		},
		{
			name:   "unknown distro defaults to the alpine namespace without a distro qualifier",
			db:     "P:musl\nV:1.2.5-r0\nA:x86_64\n",
			distro: nil,
			want:   "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64",
		},
		{
			name:   "release without a version",
			db:     "P:glibc\nV:2.40-r3\nA:x86_64\no:glibc\n",
			distro: &sbom.Distro{ID: "chainguard"},
			want:   "pkg:apk/chainguard/glibc@2.40-r3?arch=x86_64&distro=chainguard",
		},
		{
			name:   "no arch and characters that need escaping",
			db:     "P:py3-foo+bar\nV:1.0_rc1-r0\no:py-foo\n",
			distro: &sbom.Distro{ID: "alpine", VersionID: "edge"},
			want:   "pkg:apk/alpine/py3-foo%2Bbar@1.0_rc1-r0?distro=alpine-edge&upstream=py-foo",
		},
		{
			name:   "apk names are lower-cased as the purl apk type requires",
			db:     "P:PyYAML\nV:6.0-r0\nA:x86_64\n",
			distro: &sbom.Distro{ID: "Alpine", VersionID: "3.18.0"},
			want:   "pkg:apk/alpine/pyyaml@6.0-r0?arch=x86_64&distro=Alpine-3.18.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, []byte(tt.db), tt.distro)
			if len(got.Packages) != 1 {
				t.Fatalf("got %d packages, want 1 (warnings %q)", len(got.Packages), got.Warnings)
			}
			if got.Packages[0].PURL != tt.want {
				t.Errorf("PURL = %q, want %q", got.Packages[0].PURL, tt.want)
			}
		})
	}
}

func TestSPDX(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"MIT", "MIT"},
		{"MIT AND BSD-2-Clause", "MIT AND BSD-2-Clause"},
		{"GPL-2.0-only", "GPL-2.0-only"},
		{"( Apache-2.0 OR MIT ) AND MPL-2.0", "(Apache-2.0 OR MIT) AND MPL-2.0"},
		{"GPL-2.0-or-later WITH Linux-syscall-note", "GPL-2.0-or-later WITH Linux-syscall-note"},
		// SPDX identifiers match case-insensitively; the canonical case is kept.
		{"zlib", "Zlib"},
		{"openssl", "OpenSSL"},
		// Old Alpine names are not SPDX, and are not guessed at.
		{"GPL2", "GPL-2.0-only"},
		{"GPL", ""},
		{"MIT BSD GPL2+", ""},
		{"Public-Domain", ""},
		{"MIT or", ""},
		{"(MIT", ""},
		// Over-long values are not checked (the validator is superlinear).
		{strings.Repeat("MIT AND ", 600) + "MIT", ""},
	}
	for _, tt := range tests {
		if got := spdx(tt.value); got != tt.want {
			t.Errorf("spdx(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	long := "T:" + strings.Repeat("x", maxLine) + "\n"
	tests := []struct {
		name         string
		db           string
		wantNames    []string
		wantWarnings []string
	}{
		{
			name:      "empty database",
			db:        "",
			wantNames: nil,
		},
		{
			name:      "blank lines only",
			db:        "\n\n\n",
			wantNames: nil,
		},
		{
			name:      "missing version and missing name are skipped, the rest kept",
			db:        "P:a\nV:1-r0\n\nP:noversion\nA:x86_64\n\nC:Q1x=\nV:2-r0\n\nP:b\nV:1-r0\n",
			wantNames: []string{"a", "b"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 4: package "noversion" without V:, skipped`,
				`apk: /lib/apk/db/installed line 7: package without P: (version "2-r0"), skipped`,
			},
		},
		{
			name:      "garbage lines are skipped",
			db:        "P:a\nthis is not a field\nV:1-r0\nx\n:\n\nP:b\nV:2-r0\n",
			wantNames: []string{"a", "b"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 2: not a "K:value" line, skipped`,
				`apk: /lib/apk/db/installed line 4: not a "K:value" line, skipped`,
				`apk: /lib/apk/db/installed line 5: not a "K:value" line, skipped`,
			},
		},
		{
			name:      "a stanza of garbage only is not a package",
			db:        "garbage\n\nP:a\nV:1-r0\n",
			wantNames: []string{"a"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 1: not a "K:value" line, skipped`,
			},
		},
		{
			name:      "over-long line",
			db:        "P:a\n" + long + "V:1-r0\n",
			wantNames: []string{"a"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 2: line of 1048578 bytes is longer than 1048576, skipped`,
			},
		},
		{
			name:      "lost blank line between packages",
			db:        "P:a\nV:1-r0\nP:b\nV:2-r0\n",
			wantNames: []string{"a", "b"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 3: P: without a blank line before it; starting a new package`,
			},
		},
		{
			name:      "bad installed size keeps the package",
			db:        "P:a\nV:1-r0\nI:lots\n",
			wantNames: []string{"a"},
			wantWarnings: []string{
				`apk: /lib/apk/db/installed line 3: installed size "lots" is not a number, ignored`,
			},
		},
		{
			name:      "CRLF line ends and no final newline",
			db:        "P:a\r\nV:1-r0\r\n\r\nP:b\r\nV:2-r0",
			wantNames: []string{"a", "b"},
		},
		{
			name:      "sorted by name, version and arch",
			db:        "P:z\nV:1\n\nP:a\nV:2\nA:x86_64\n\nP:a\nV:2\nA:aarch64\n\nP:a\nV:10\n",
			wantNames: []string{"a 10 ", "a 2 aarch64", "a 2 x86_64", "z 1 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, []byte(tt.db), nil)
			var names []string
			for _, p := range got.Packages {
				if strings.Contains(tt.name, "sorted") {
					names = append(names, p.Name+" "+p.Version+" "+p.Arch)
				} else {
					names = append(names, p.Name)
				}
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, got.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	in := catalog.Input{
		FS:    fstest.MapFS{},
		Paths: []string{dbPath},
		Warn:  func(string) {},
	}
	_, err := New().Catalog(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "/lib/apk/db/installed") {
		t.Errorf("Catalog of a missing file: error %v, want one naming the file", err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := bytes.Repeat([]byte("P:a\nV:1\n\n"), 10000)
	in := catalog.Input{
		FS:    fstest.MapFS{dbPath: {Data: data}},
		Paths: []string{dbPath},
	}
	if _, err := New().Catalog(ctx, in); err == nil {
		t.Error("Catalog with a canceled context succeeded")
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		mode fs.FileMode
		want bool
	}{
		{"lib/apk/db/installed", 0o644, true},
		{"/lib/apk/db/installed", 0o644, false},
		{"lib/apk/db/installed", fs.ModeSymlink | 0o777, false},
		{"lib/apk/db/installed", fs.ModeDir | 0o755, false},
		{"lib/apk/db/installed.bak", 0o644, false},
		{"usr/lib/apk/db/installed", 0o644, false},
		{"lib/apk/db/scripts.tar", 0o644, false},
	}
	c := New()
	for _, tt := range tests {
		if got := c.Wants(tt.path, tt.mode, 100); got != tt.want {
			t.Errorf("Wants(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
}

// FuzzParse checks that no input makes the parser panic and that whatever it
// keeps is a package with a name and a version, reported in input order.
func FuzzParse(f *testing.F) {
	for _, fixture := range []string{"trivy-apk", "syft-multiple"} {
		data, err := os.ReadFile(filepath.Join("testdata", fixture, dbPath))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("P:a\nV:1\nF:\nR:x\nF:../../..\nR:../etc/passwd\n\nP:\nV:\n"))
	f.Add([]byte("P:a\r\nV:1\r\nI:-5\r\n\r\n\r\nX\n:\nP:b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parse(context.Background(), data, "/"+dbPath, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		line := 0
		for _, r := range recs {
			if r.name == "" || r.version == "" {
				t.Fatalf("kept a record without name or version: %+v", r)
			}
			if r.line <= line {
				t.Fatalf("records out of order: line %d after %d", r.line, line)
			}
			line = r.line
			for _, f := range r.files {
				if !strings.HasPrefix(f, "/") || strings.Contains(f, "/../") {
					t.Fatalf("file %q is not a clean absolute path", f)
				}
			}
		}
	})
}
