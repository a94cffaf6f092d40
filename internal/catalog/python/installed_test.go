package python

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestInstalledWants(t *testing.T) {
	c := NewInstalled()
	tests := []struct {
		path string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/METADATA", 0o644, 3418, true},
		{"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/RECORD", 0o644, 4486, true},
		{"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/WHEEL", 0o644, 92, false},
		{"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/top_level.txt", 0o644, 8, false},
		{"usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/PKG-INFO", 0o644, 2891, true},
		{"usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/top_level.txt", 0o644, 8, true},
		{"usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/dependency_links.txt", 0o644, 1, false},
		{"venv/lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info/installed-files.txt", 0o644, 90, true},
		{"venv/lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info/SOURCES.txt", 0o644, 90, true},
		{"usr/lib/python3/dist-packages/pycairo-1.20.1.egg-info", 0o644, 3602, true},
		{"usr/lib/python3/dist-packages/pycairo-1.20.1.egg-info", fs.ModeSymlink | 0o777, 20, false},
		{"opt/eggs/six-1.16.0-py3.11.egg", 0o644, 9579, true},
		{"opt/eggs/six-1.16.0-py3.11.egg", 0o644, maxEggSize + 1, false},
		{"usr/share/games/easter.egg", 0o644, 100, false},
		{"opt/x.egg/EGG-INFO/PKG-INFO", 0o644, 600, true},
		{"opt/x/EGG-INFO/PKG-INFO", 0o644, 600, false},
		{"srv/src/PKG-INFO", 0o644, 600, false},
		{"METADATA", 0o644, 10, false},
		{"usr/lib/python3/dist-packages/huge-1.0.dist-info/METADATA", 0o644, maxMetadataSize + 1, false},
		{"usr/lib/python3/dist-packages/neg-1.0.dist-info/METADATA", 0o644, -1, false},
		{"usr/lib/python3/dist-packages/six.py", 0o644, 34549, false},
		{"usr/share/doc/python3-six/copyright", 0o644, 1000, false},
	}
	for _, tt := range tests {
		if got := c.Wants(tt.path, tt.mode, tt.size); got != tt.want {
			t.Errorf("Wants(%q, %v, %d) = %v, want %v", tt.path, tt.mode, tt.size, got, tt.want)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want metadata
	}{
		{
			name: "fields and body",
			in:   "Metadata-Version: 2.1\r\nName: charset-normalizer\r\nVersion: 3.0.1\r\nLicense: MIT\r\nClassifier: License :: OSI Approved :: MIT License\r\nClassifier: Topic :: Utilities\r\n\r\nName: not-this\nLicense: nor this\n",
			want: metadata{Name: "charset-normalizer", Version: "3.0.1", License: "MIT", LicenseClassifiers: []string{"License :: OSI Approved :: MIT License"}},
		},
		{
			name: "folded licence, case-insensitive keys, first value wins",
			in:   "\xef\xbb\xbfname: foo\nversion: 1.0\nVersion: 2.0\nLICENSE: Copyright (c) Foo\n        All rights reserved.\nLicense-Expression: MIT OR Apache-2.0\n",
			want: metadata{Name: "foo", Version: "1.0", License: "Copyright (c) Foo\nAll rights reserved.", LicenseExpression: "MIT OR Apache-2.0"},
		},
		{
			name: "a line that is not a field ends the header",
			in:   "Name: foo\nthis is prose\nVersion: 1\n",
			want: metadata{Name: "foo"},
		},
		{
			name: "stray blank line in a legacy header",
			in:   "Metadata-Version: 1.1\nName: louis\nVersion: 3.24.0\nSummary: bindings\n\n\nLicense: LGPLv2.1+\nDescription: UNKNOWN\n",
			want: metadata{Name: "louis", Version: "3.24.0", License: "LGPLv2.1+"},
		},
		{
			name: "blank line in a 2.1 header starts the body",
			in:   "Metadata-Version: 2.1\nName: pip\nVersion: 23.2.1\n\nLicense: words of the README\n",
			want: metadata{Name: "pip", Version: "23.2.1"},
		},
		{
			name: "legacy header followed by prose",
			in:   "Metadata-Version: 1.0\nName: x\nVersion: 1\n\nLicense is MIT\n",
			want: metadata{Name: "x", Version: "1"},
		},
		{name: "empty", in: "", want: metadata{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseMetadata([]byte(tt.in)), cmp.AllowUnexported(metadata{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLicenses(t *testing.T) {
	long := strings.Repeat("Permission is hereby granted, free of charge. ", 40)
	tests := []struct {
		name string
		m    metadata
		want []sbom.License
	}{
		{
			name: "License-Expression wins",
			m:    metadata{License: "BSD", LicenseExpression: "MIT AND (Apache-2.0 OR BSD-2-Clause)", LicenseClassifiers: []string{"License :: OSI Approved :: BSD License"}},
			want: []sbom.License{{SPDX: "MIT AND (Apache-2.0 OR BSD-2-Clause)", Value: "MIT AND (Apache-2.0 OR BSD-2-Clause)"}},
		},
		{
			name: "mappable field",
			m:    metadata{License: "Apache 2.0", LicenseClassifiers: []string{"License :: OSI Approved :: Apache Software License"}},
			want: []sbom.License{{SPDX: "Apache-2.0", Value: "Apache 2.0"}},
		},
		{
			name: "UNKNOWN field, classifier",
			m:    metadata{License: "UNKNOWN", LicenseClassifiers: []string{"License :: OSI Approved :: MIT License"}},
			want: []sbom.License{{SPDX: "MIT", Value: "License :: OSI Approved :: MIT License"}},
		},
		{
			name: "vague field, precise classifiers",
			m:    metadata{License: "BSD-ish", LicenseClassifiers: []string{"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)", "License :: OSI Approved"}},
			want: []sbom.License{{SPDX: "MPL-2.0", Value: "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)"}, {Value: "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)"}},
		},
		{
			name: "vague field, vague classifier: the field as declared",
			m:    metadata{License: "LGPL", LicenseClassifiers: []string{"License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)"}},
			want: []sbom.License{{Value: "LGPL"}},
		},
		{
			name: "no field, vague classifier",
			m:    metadata{LicenseClassifiers: []string{"License :: OSI Approved :: BSD License", "License :: OSI Approved :: BSD License"}},
			want: []sbom.License{{Value: "License :: OSI Approved :: BSD License"}},
		},
		{
			name: "whole licence text is clipped",
			m:    metadata{License: long},
			want: []sbom.License{{Value: long[:maxLicenseValue] + "…"}},
		},
		{name: "nothing", m: metadata{License: "None"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, licenses(tt.m)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"charset_normalizer": "charset-normalizer",
		"Zope.Interface":     "zope-interface",
		"PyYAML":             "pyyaml",
		"a__-._b":            "a-b",
		"six":                "six",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	record := "../../../bin/pip,sha256=x,226\n" +
		"\"pip/odd,name.py\",sha256=y,1\n" +
		"pip-23.2.1.dist-info/RECORD,,\n" +
		"../../../../../../../../etc/passwd,,\n" +
		"/usr/bin/absolute,,\n" +
		",,\n"
	got, err := parseRecord([]byte(record), "venv/lib/python3.11/site-packages")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/passwd", // ".." stops at the root
		"/usr/bin/absolute",
		"/venv/bin/pip",
		"/venv/lib/python3.11/site-packages/pip-23.2.1.dist-info/RECORD",
		"/venv/lib/python3.11/site-packages/pip/odd,name.py",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseSources(t *testing.T) {
	sources := "setup.py\nsix.py\nsix.egg-info/PKG-INFO\nsrc/pkg/__init__.py\npkg/data/x.json\ntests/test_six.py\nsixer.py\n"
	got := parseSources([]byte(sources), []byte("six\npkg\n../evil\n"), "site")
	want := []string{"/site/pkg/__init__.py", "/site/pkg/data/x.json", "/site/six.py"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := parseSources([]byte(sources), nil, "site"); got != nil {
		t.Errorf("without top_level.txt: %q", got)
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, data := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestInstalledBadInput feeds the cataloger broken and hostile files: each
// is a warning naming the file, and the good ones are still found.
func TestInstalledBadInput(t *testing.T) {
	// A long description just under the bound is read; one over it is not
	// wanted at all, silently.
	huge := "Metadata-Version: 2.1\nName: huge\nVersion: 1.0\n\n" + strings.Repeat("long description\n", (maxMetadataSize-100)/17)
	fsys := fstest.MapFS{
		"site/good-1.0.dist-info/METADATA":     {Data: []byte("Name: Good_Pkg\nVersion: 1.0\nLicense: MIT\n")},
		"site/good-1.0.dist-info/RECORD":       {Data: []byte("good/__init__.py,,\n\"unterminated,,\n")},
		"site/noname-1.0.dist-info/METADATA":   {Data: []byte("Version: 1.0\n")},
		"site/badname-1.0.dist-info/METADATA":  {Data: []byte("Name: bad name\nVersion: 1.0\n")},
		"site/badver-1.0.dist-info/METADATA":   {Data: []byte("Name: badver\nVersion: 1 0\n")},
		"site/huge-1.0.dist-info/METADATA":     {Data: []byte(huge)},
		"site/huger-1.0.dist-info/METADATA":    {Data: []byte(huge + strings.Repeat("x", 100))},
		"site/notzip-1.0.egg":                  {Data: []byte("not a zip")},
		"site/empty-1.0.egg":                   {Data: zipOf(t, map[string]string{"six.py": ""})},
		"site/ok-2.egg":                        {Data: zipOf(t, map[string]string{"EGG-INFO/PKG-INFO": "Name: ok\nVersion: 2\n"})},
		"site/binary-0.1.egg-info":             {Data: []byte{0, 1, 2, 3}},
		"site/dup-1.0.dist-info/METADATA":      {Data: []byte("Name: dup\nVersion: 1.0\n")},
		"site/dup-1.0.egg-info/PKG-INFO":       {Data: []byte("Name: dup\nVersion: 1.0\n")},
		"site/dup-1.0.egg-info/top_level.txt":  {Data: []byte("dup\n")},
		"site/dup-1.0.egg-info/SOURCES.txt":    {Data: []byte("dup/__init__.py\nsetup.py\n")},
		"site/other-2.0.egg-info/PKG-INFO":     {Data: []byte("Name: other\nVersion: 2.0\n")},
		"site/other-2.0.egg-info/SOURCES.txt":  {Data: []byte("other.py\n")}, // no top_level.txt: no files
		"site/other-2.0.egg-info/unknown.file": {Data: []byte("x")},
	}
	pkgs, warns := runCataloger(t, NewInstalled(), fsys)
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+"@"+p.Version+" "+p.Locations[0]+" "+strings.Join(p.Files, ","))
	}
	want := []string{
		"dup@1.0 /site/dup-1.0.dist-info/METADATA ",
		"dup@1.0 /site/dup-1.0.egg-info/PKG-INFO /site/dup/__init__.py",
		"good-pkg@1.0 /site/good-1.0.dist-info/METADATA /site/good/__init__.py",
		"huge@1.0 /site/huge-1.0.dist-info/METADATA ",
		"ok@2 /site/ok-2.egg ",
		"other@2.0 /site/other-2.0.egg-info/PKG-INFO ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantWarns := []string{
		"/site/badname-1.0.dist-info/METADATA: no valid Name and Version",
		"/site/badver-1.0.dist-info/METADATA: no valid Name and Version",
		"/site/binary-0.1.egg-info: no valid Name and Version",
		"/site/empty-1.0.egg: no EGG-INFO/PKG-INFO",
		"/site/good-1.0.dist-info/RECORD: parse error on line 2",
		"/site/noname-1.0.dist-info/METADATA: no valid Name and Version",
		"/site/notzip-1.0.egg: not a zip archive",
	}
	if len(warns) != len(wantWarns) {
		t.Fatalf("warnings = %q", warns)
	}
	for i, w := range wantWarns {
		if !strings.HasPrefix(warns[i], "python-installed: ") || !strings.Contains(warns[i], w) {
			t.Errorf("warning %d = %q, want it to contain %q", i, warns[i], w)
		}
	}
}

func TestReadEggLimits(t *testing.T) {
	big := strings.Repeat("x", maxMetadataSize+1)
	if _, err := readEgg(zipOf(t, map[string]string{eggMetadataPath: big})); err == nil {
		t.Error("oversized PKG-INFO accepted")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "rootfs", "opt", "eggs", "six-1.16.0-py3.11.egg"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := readEgg(data)
	if err != nil {
		t.Fatal(err)
	}
	if m := parseMetadata(b); m.Name != "six" || m.Version != "1.16.0" {
		t.Errorf("egg metadata = %+v", m)
	}
}

// TestParseMetadataLarge parses a header as large as the cataloger accepts,
// folded into one field line after line: it must stay linear.
func TestParseMetadataLarge(t *testing.T) {
	data := "Name: big\nVersion: 1\nLicense: start\n" + strings.Repeat(" more\n", maxMetadataSize/6)
	m := parseMetadata([]byte(data))
	if m.Name != "big" || len(m.License) > maxFolded+16 {
		t.Errorf("name %q, licence of %d bytes", m.Name, len(m.License))
	}
}
