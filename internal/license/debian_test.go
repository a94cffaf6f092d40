package license

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/debian.golden.json")

const goldenPath = "testdata/debian.golden.json"

// TestDebianGolden runs Debian over real copyright files from Debian 12
// packages and compares with the recorded results.
func TestDebianGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/copyright/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d fixtures, want the committed dozen or more", len(files))
	}
	got := make(map[string][]Declared)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Debian(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got[filepath.Base(path)] = d
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]Declared
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results differ from %s; rerun with -update if intended (-want +got):\n%s", goldenPath, diff)
	}
}

// TestDebianFixtures pins what matters in a few of the fixtures, so that a
// wrong golden file cannot go unnoticed.
func TestDebianFixtures(t *testing.T) {
	tests := []struct {
		pkg  string
		want []Declared // a prefix of the result
	}{
		{"zlib1g", []Declared{{SPDX: "Zlib", Value: "Zlib"}}},
		{"bash", []Declared{
			{SPDX: "GPL-3.0-or-later", Value: "GPL-3+"},
			{SPDX: "GPL-3.0-or-later WITH Bison-exception-2.2", Value: "GPL-3+ with Bison exception"},
		}},
		{"libssl3", []Declared{
			{SPDX: "Apache-2.0", Value: "Apache-2.0"},
			{SPDX: "Artistic-1.0 OR GPL-1.0-or-later", Value: "Artistic or GPL-1+"},
		}},
		{"libsqlite3-0", []Declared{{Value: "public-domain"}, {SPDX: "GPL-2.0-or-later", Value: "GPL-2+"}}},
		// Not machine-readable: found through /usr/share/common-licenses.
		{"libc6", []Declared{{SPDX: "LGPL-2.1-only", Value: "LGPL-2.1"}, {SPDX: "GPL-2.0-only", Value: "GPL-2"}}},
		{"base-files", []Declared{{Value: "GPL"}}},
		// Not machine-readable and naming no licence the heuristics know.
		{"python3", nil},
	}
	for _, tt := range tests {
		f, err := os.Open(filepath.Join("testdata/copyright", tt.pkg))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Debian(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.pkg, err)
		}
		if len(got) > len(tt.want) {
			got = got[:len(tt.want)]
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.pkg, diff)
		}
	}
}

func TestParseDebianCopyright(t *testing.T) {
	long := strings.Repeat("x", maxLine+10)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "machine-readable",
			in: `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo
License: GPL-2+

Files: *
Copyright: 2020 A
License: GPL-2+
 This text mentions /usr/share/common-licenses/GPL-3 and is not read.
 .
 License: BSD-2-clause

Files: lib/*
Copyright: 2020 B
license:   MIT  or
 Apache-2.0

Files: x/*
License:
 text with no synopsis

# A comment line: License: Ignored
Files: y/*
License: gpl-2+

License: GPL-1+   or   Artistic
 text
`,
			want: []string{"GPL-2+", "MIT or", "GPL-1+ or Artistic"},
		},
		{
			name: "draft DEP-5 header",
			in:   "Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\nName: x\n\nFiles: *\nLicense: LGPL-2.1+\n",
			want: []string{"LGPL-2.1+"},
		},
		{
			name: "Format outside the header stanza does not count",
			in:   "Upstream: x\n\nFormat: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: The code is licensed under the GPL\nLicense: BSD-3-clause\n",
			want: []string{"BSD-3-clause"},
		},
		{
			name: "leading blank lines, CRLF and BOM",
			in:   "\xef\xbb\xbf\r\n\r\nFormat: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\r\n\r\nFiles: *\r\nLicense: Zlib\r\n",
			want: []string{"Zlib"},
		},
		{
			name: "free text",
			in: `This package was debianized by someone.

On Debian systems, the complete text of the GNU General Public
License can be found in ` + "`/usr/share/common-licenses/GPL-2'." + `
The LGPL is in /usr/share/common-licenses/LGPL-2.1, see also
/usr/share/common-licenses/GPL-2 and /usr/share/common-licenses/Apache-2.0.
License: The main library is licensed under the LGPL
License: GPL-2+ or Artistic, and BSD-3-clause
License: GPL-2+ with OpenSSL exception
  License: MIT
License: Expat,
/usr/share/common-licenses/
`,
			want: []string{"GPL-2", "LGPL-2.1", "Apache-2.0", "GPL-2+ or Artistic, and BSD-3-clause", "GPL-2+ with OpenSSL exception"},
		},
		{
			name: "over-long line skipped",
			in:   "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: " + long + "\nLicense: ISC\n",
			want: []string{"ISC"},
		},
		{
			name: "over-long synopsis dropped",
			in:   "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nLicense: " + strings.Repeat("a", maxSynopsis+1) + "\nLicense: ISC",
			want: []string{"ISC"},
		},
		{
			name: "invalid UTF-8 replaced",
			in:   "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nLicense: caf\xe9\n",
			want: []string{"caf\uFFFD"},
		},
		{name: "empty", in: ""},
		{name: "only blank lines", in: "\n\n  \n\t\n"},
		{name: "no newline at all", in: "License: MIT", want: []string{"MIT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDebianCopyright(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDebianCopyrightSizeLimit(t *testing.T) {
	head := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nLicense: ISC\n"
	const padLine = " padding line in a stanza\n"
	pad := strings.Repeat(padLine, MaxCopyrightSize/len(padLine)+1)
	in := head + pad + "License: MIT\n"
	got, err := ParseDebianCopyright(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ISC"}, got); diff != "" {
		t.Errorf("a licence past the size limit was read (-want +got):\n%s", diff)
	}
}

func TestParseDebianCopyrightReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("Format: copyright-format/1.0\n\nLicense: MIT\n"), iotest.ErrReader(boom))
	_, err := ParseDebianCopyright(r)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap %v", err, boom)
	}
	if _, err := Debian(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("Debian: err = %v, want it to wrap %v", err, boom)
	}
}

// TestParseDebianCopyrightSmallReads checks that results do not depend on
// how the reader splits its data.
func TestParseDebianCopyrightSmallReads(t *testing.T) {
	b, err := os.ReadFile("testdata/copyright/perl-base")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseDebianCopyright(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDebianCopyright(iotest.OneByteReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSynopsisLike(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"GPL-2+", true},
		{"GPL-1+ or Artistic", true},
		{"GPL-2+ or Artistic-2.0, and BSD-3-clause", true},
		{"GPL-2+, LGPL-2.1+", true},
		{"GPL-3+ with OpenSSL exception", true},
		{"BSD-3-clause-Cambridge with BINARY LIBRARY-LIKE PACKAGES exception", true},
		{"GPL-3+ with OpenSSL exception, and MIT", true},
		{"The main library is licensed under", false},
		{"see below", false},
		{"GPL-2+ or", false},
		{"or GPL-2+", false},
		{"GPL-2+ with OpenSSL", false},
		{"GPL-2+ with exception", false},
		{"GPL-2+,", false},
		{"A, or, B", false},
		{"A and with B", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := synopsisLike(tt.in); got != tt.want {
			t.Errorf("synopsisLike(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDebianCopyright(f *testing.F) {
	files, err := filepath.Glob("testdata/copyright/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Format: copyright-format\n\nLicense: GPL-2+ or Artistic, and MIT\n"))
	f.Add([]byte("/usr/share/common-licenses/GPL-2.\nLicense: MIT\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseDebianCopyright(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		seen := make(map[string]bool)
		for _, v := range got {
			if v == "" || strings.TrimSpace(v) != v || strings.ContainsAny(v, "\n\r") || !utf8.ValidString(v) {
				t.Fatalf("bad name %q", v)
			}
			if k := strings.ToLower(v); seen[k] {
				t.Fatalf("duplicate name %q in %q", v, got)
			} else {
				seen[k] = true
			}
		}
		d, err := Debian(bytes.NewReader(b))
		if err != nil || len(d) != len(got) {
			t.Fatalf("Debian gave %d results, %v; ParseDebianCopyright %d", len(d), err, len(got))
		}
	})
}
