package gobinary

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// rustFixtures are the ELF files of the cargo package's testdata: the
// cargo-auditable format is read there, and found through this cataloger.
const rustFixtures = "../cargo/testdata/auditable"

func golden(t *testing.T, name string, got any) {
	t.Helper()
	path := filepath.Join("testdata", name)
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// extractFile runs Extract over a file as the core would: one stream.
func extractFile(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return New().Extract(context.Background(), path, f, st.Size())
}

func TestBinaries(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []sbom.Package // must be among the results, exactly
	}{
		{"deps", "testdata/bin/deps", []sbom.Package{
			{Ecosystem: sbom.Golang, Name: "golang.org/x/text", Version: "v0.3.5", PURL: "pkg:golang/golang.org/x/text@v0.3.5",
				Locations: []string{"/app/deps"}, FoundBy: "go-binary",
				Go: &sbom.GoMetadata{GoVersion: "go1.26.8", Sum: "h1:i6eZZ+zk0SOf0xgBpEpPD18qWcJda6q1sxt3S0kzyUQ="}},
			{Ecosystem: sbom.Golang, Name: "stdlib", Version: "1.26.8", PURL: "pkg:golang/stdlib@1.26.8",
				Locations: []string{"/app/deps"}, FoundBy: "go-binary", Go: &sbom.GoMetadata{GoVersion: "go1.26.8"}},
		}},
		{"replace", "testdata/bin/replace", []sbom.Package{
			{Ecosystem: sbom.Golang, Name: "github.com/golang/text", Version: "v0.3.5", PURL: "pkg:golang/github.com/golang/text@v0.3.5",
				Locations: []string{"/app/replace"}, FoundBy: "go-binary",
				Go: &sbom.GoMetadata{GoVersion: "go1.26.8", Replace: "github.com/golang/text@v0.3.5", Sum: "h1:ohhPA4cGdIMkmMvhC+HU6qBl8zeOoM8M8o8N6mbcL3U="}},
			{Ecosystem: sbom.Golang, Name: "gopkg.in/yaml.v2", Version: "v2.2.2", PURL: "pkg:golang/gopkg.in/yaml.v2@v2.2.2",
				Locations: []string{"/app/replace"}, FoundBy: "go-binary",
				Go: &sbom.GoMetadata{GoVersion: "go1.26.8", Replace: "gopkg.in/yaml.v2@v2.2.2", Sum: "h1:ZCJp+EgiOT7lHqUV2J862kp8Qj64Jo6az82+3Td9dZw="}},
			{Ecosystem: sbom.Golang, Name: "example.com/vigil/local", Version: "(devel)", PURL: "pkg:golang/example.com/vigil/local",
				Locations: []string{"/app/replace"}, FoundBy: "go-binary",
				Go: &sbom.GoMetadata{GoVersion: "go1.26.8", Replace: "./local"}},
		}},
		{"cgo", "testdata/bin/cgo", []sbom.Package{
			{Ecosystem: sbom.Golang, Name: "stdlib", Version: "1.26.8", PURL: "pkg:golang/stdlib@1.26.8",
				Locations: []string{"/app/cgo"}, FoundBy: "go-binary", Go: &sbom.GoMetadata{GoVersion: "go1.26.8"}},
		}},
		{"rust-auditable", filepath.Join(rustFixtures, "rust-auditable"), []sbom.Package{
			{Ecosystem: sbom.Cargo, Name: "regex", Version: "1.10.2", PURL: "pkg:cargo/regex@1.10.2",
				Locations: []string{"/app/rust-auditable"}, FoundBy: "cargo-auditable"},
			{Ecosystem: sbom.Cargo, Name: "rust-regex", Version: "0.0.1", PURL: "pkg:cargo/rust-regex@0.0.1",
				Locations: []string{"/app/rust-auditable"}, FoundBy: "cargo-auditable"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := extractFile(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if data == nil {
				t.Fatal("nothing extracted")
			}
			pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{"app/" + tc.name: data})
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			for _, w := range tc.want {
				found := false
				for _, p := range pkgs {
					if p.Name == w.Name && p.Version == w.Version {
						found = true
						if diff := cmp.Diff(w, p); diff != "" {
							t.Errorf("%s (-want +got):\n%s", w.Name, diff)
						}
					}
				}
				if !found {
					t.Errorf("%s@%s not found", w.Name, w.Version)
				}
			}
			for _, p := range pkgs {
				if p.Go != nil && p.Go.Main {
					if p.Go.Settings["GOOS"] != "linux" || p.Go.Settings["GOARCH"] != "amd64" || p.Go.Settings["-trimpath"] != "true" {
						t.Errorf("main module settings = %v", p.Go.Settings)
					}
					if p.Version != "(devel)" {
						t.Errorf("main module version = %q", p.Version)
					}
				} else if p.Go != nil && p.Go.Settings != nil {
					t.Errorf("%s: settings on a dependency", p.Name)
				}
			}
			golden(t, filepath.Join("golden", tc.name+".json"), pkgs)
		})
	}
}

// TestGroundTruth compares the extracted module information with what
// `go version -m` printed for each fixture when it was built.
func TestGroundTruth(t *testing.T) {
	for _, name := range []string{"deps", "replace", "cgo"} {
		t.Run(name, func(t *testing.T) {
			txt, err := os.ReadFile(filepath.Join("testdata", "bin", name+".version-m.txt"))
			if err != nil {
				t.Fatal(err)
			}
			first, rest, _ := strings.Cut(string(txt), "\n")
			var lines []string
			for l := range strings.SplitSeq(rest, "\n") {
				lines = append(lines, strings.TrimPrefix(l, "\t"))
			}
			want, err := debug.ParseBuildInfo(strings.Join(lines, "\n"))
			if err != nil {
				t.Fatal(err)
			}
			want.GoVersion = strings.TrimPrefix(first, name+": ")

			data, err := extractFile(t, filepath.Join("testdata", "bin", name))
			if err != nil {
				t.Fatal(err)
			}
			var s summary
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			got, err := debug.ParseBuildInfo(s.Go.ModInfo)
			if err != nil {
				t.Fatal(err)
			}
			got.GoVersion = s.Go.Version
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("build info (-go version -m +extracted):\n%s", diff)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestCost checks how much of a file is read and kept: what makes the
// cataloger cheap on images full of executables.
func TestCost(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	read := func(data []byte) (*result, int64) {
		t.Helper()
		cr := &countingReader{r: bytes.NewReader(data)}
		res, err := scan(context.Background(), cr, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		return res, cr.n
	}

	script := []byte("#!/bin/sh\n" + strings.Repeat("echo hello world\n", 200))
	if res, n := read(script); n > identSize || res.isGo {
		t.Errorf("script: read %d bytes, want at most %d", n, identSize)
	}

	bin, err := os.ReadFile("testdata/bin/deps")
	if err != nil {
		t.Fatal(err)
	}
	at := int64(bytes.Index(bin, buildInfoMagic))
	res, n := read(bin)
	if !res.isGo {
		t.Fatal("deps: not found to be a Go binary")
	}
	// Reading stops in the chunk after the build info, well before the end.
	if n > at+2*chunkSize || n >= int64(len(bin)) {
		t.Errorf("Go binary: read %d of %d bytes, build info at %d", n, len(bin), at)
	}
	if res.kept > 4096 {
		t.Errorf("Go binary: kept %d bytes", res.kept)
	}

	// A plain ELF executable is read through (its section headers are at
	// the end) but only its headers and unloaded tail are kept.
	hello, err := os.ReadFile(filepath.Join(rustFixtures, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	big := elfWithLoadedBulk(t, hello, 8<<20)
	res, n = read(big)
	if res.isGo || len(res.crates) > 0 {
		t.Errorf("plain ELF: found %+v", res)
	}
	if n != int64(len(big)) {
		t.Errorf("plain ELF: read %d of %d bytes", n, len(big))
	}
	if res.kept > 64<<10 {
		t.Errorf("plain ELF of %d bytes: kept %d bytes", len(big), res.kept)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// elfWithLoadedBulk returns a copy of an ELF executable grown by n bytes
// of loaded data: the first PT_LOAD segment and everything after it move
// n bytes down the file, as if the program had a large text segment.
func elfWithLoadedBulk(t *testing.T, elfFile []byte, n int) []byte {
	t.Helper()
	h, ok := parseELFHeader(elfFile)
	if !ok || !h.is64 {
		t.Fatal("fixture is not a 64-bit ELF file")
	}
	// Insert the bulk at the end of the last loaded segment's data and
	// shift what follows (the unloaded sections and section headers).
	var loadEnd uint64
	for i := 0; i < h.phnum; i++ {
		p := elfFile[h.phoff+uint64(i*h.phentsize):]
		if h.bo.Uint32(p) == ptLoad {
			loadEnd = max(loadEnd, h.bo.Uint64(p[8:])+h.bo.Uint64(p[32:]))
		}
	}
	// Pad to keep page congruence, then grow the last segment's file size.
	n = (n + 4095) &^ 4095
	out := append(append(append([]byte(nil), elfFile[:loadEnd]...), make([]byte, n)...), elfFile[loadEnd:]...)
	for i := 0; i < h.phnum; i++ {
		p := out[h.phoff+uint64(i*h.phentsize):]
		if h.bo.Uint32(p) == ptLoad && h.bo.Uint64(p[8:])+h.bo.Uint64(p[32:]) == loadEnd {
			h.bo.PutUint64(p[32:], h.bo.Uint64(p[32:])+uint64(n))
			h.bo.PutUint64(p[40:], h.bo.Uint64(p[40:])+uint64(n))
		}
	}
	h.bo.PutUint64(out[40:], h.shoff+uint64(n))
	for i := 0; i < h.shnum; i++ {
		s := out[h.shoff+uint64(n)+uint64(i*h.shentsize):]
		if off := h.bo.Uint64(s[24:]); off >= loadEnd {
			h.bo.PutUint64(s[24:], off+uint64(n))
		}
	}
	return out
}

func TestWants(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		mode fs.FileMode
		size int64
		want bool
	}{
		{0o755, 2 << 20, true},
		{0o100, 2 << 20, true},
		{0o644, 2 << 20, false},
		{0o755, 100, false},
		{0o755, 2 << 30, false},
		{fs.ModeSymlink | 0o777, 2 << 20, false},
		{fs.ModeDir | 0o755, 2 << 20, false},
	} {
		if got := c.Wants("usr/bin/x", tc.mode, tc.size); got != tc.want {
			t.Errorf("Wants(%v, %d) = %v, want %v", tc.mode, tc.size, got, tc.want)
		}
	}
}

func TestStdlibVersion(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"go1.22.5", "1.22.5", true},
		{"go1.21.0", "1.21.0", true},
		{"go1.20", "1.20.0", true},
		{"go1.21rc2", "1.21.0-rc.2", true},
		{"go1.9beta1", "1.9.0-beta.1", true},
		{"go1.22.5 X:boringcrypto", "1.22.5", true},
		{"go1.22.5-bigcorp", "1.22.5", true},
		{"go1.26.8", "1.26.8", true},
		{"devel go1.23-4f5e0b2 Tue Jan 2 15:04:05 2024 +0000", "", false},
		{"go1", "", false},
		{"go1.x", "", false},
		{"go1.22rc", "", false},
		{"go1.22.5abc", "", false},
		{"", "", false},
	} {
		got, ok := stdlibVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("stdlibVersion(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestModulePURL(t *testing.T) {
	for _, tc := range []struct{ path, version, want string }{
		{"github.com/gin-gonic/gin", "v1.6.3", "pkg:golang/github.com/gin-gonic/gin@v1.6.3"},
		{"github.com/Masterminds/semver/v3", "v3.2.1", "pkg:golang/github.com/masterminds/semver/v3@v3.2.1"},
		{"github.com/dgrijalva/jwt-go", "v3.2.0+incompatible", "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible"},
		{"example.com/app", "(devel)", "pkg:golang/example.com/app"},
		{"rsc.io", "v1.0.0", "pkg:golang/rsc.io@v1.0.0"},
	} {
		if got := modulePURL(tc.path, tc.version); got != tc.want {
			t.Errorf("modulePURL(%q, %q) = %s, want %s", tc.path, tc.version, got, tc.want)
		}
	}
}

// TestCorrupt checks that broken build info is an error naming what broke,
// and that Catalog warns about module text that does not parse.
func TestCorrupt(t *testing.T) {
	bin, err := os.ReadFile("testdata/bin/deps")
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(bin, buildInfoMagic)
	extract := func(data []byte) error {
		_, err := New().Extract(context.Background(), "x", bytes.NewReader(data), int64(len(data)))
		return err
	}

	long := append([]byte(nil), bin...)
	// A version length varint that never ends.
	copy(long[at+buildInfoHeader:], bytes.Repeat([]byte{0xff}, 11))
	if err := extract(long); err == nil || !strings.Contains(err.Error(), "corrupt Go build info") {
		t.Errorf("bad length: err = %v", err)
	}
	huge := append([]byte(nil), bin...)
	copy(huge[at+buildInfoHeader:], []byte{0xff, 0xff, 0xff, 0x7f})
	if err := extract(huge); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("huge length: err = %v", err)
	}
	if err := extract(bin[:at+buildInfoHeader+40]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: err = %v", err)
	}

	bad, _ := json.Marshal(summary{Go: &goSummary{Version: "go1.22.5", ModInfo: "path\tx\nmod\tx\n"}})
	pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{"bin/x": bad, "bin/y": []byte("{")})
	if len(warns) != 2 || !strings.Contains(warns[0], "/bin/x: invalid Go build info") || !strings.Contains(warns[1], "/bin/y") {
		t.Errorf("warnings = %q", warns)
	}
	// The toolchain is still known.
	if len(pkgs) != 1 || pkgs[0].Name != "stdlib" {
		t.Errorf("packages = %+v", pkgs)
	}
}

// inlineBlob returns build info as Go 1.18 and later write it.
func inlineBlob(version, modInfo string) []byte {
	framed := "0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6" + modInfo + "\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
	b := append([]byte(nil), buildInfoMagic...)
	b = append(b, 8, flagsInline)
	b = append(b, make([]byte, 16)...)
	b = appendVarString(b, version)
	return appendVarString(b, framed)
}

func appendVarString(b []byte, s string) []byte {
	for n := uint64(len(s)); ; n >>= 7 {
		if n < 0x80 {
			b = append(b, byte(n))
			break
		}
		b = append(b, byte(n)|0x80)
	}
	return append(b, s...)
}

// TestStreamEdges places build info where the streaming search must work
// hardest: across a chunk boundary, after decoy copies of the magic, read
// one byte at a time, in a Mach-O or PE file searched whole.
func TestStreamEdges(t *testing.T) {
	const mod = "path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.5\th1:abc=\n"
	blob := inlineBlob("go1.22.5", mod)
	decoy := append(append([]byte(nil), buildInfoMagic...), "not a header at all..............."...)
	for _, tc := range []struct {
		name          string
		magic         string
		blobAt, decoy int
	}{
		{"pe header across chunks", "MZ", chunkSize - 16, 0},
		{"pe decoy header across chunks", "MZ", 2*chunkSize - 16, chunkSize - 16},
		{"macho in first chunk", "\xcf\xfa\xed\xfe", 4096, 0},
		{"pe at end", "MZ", 3*chunkSize - len(blob)&^15 - 16, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := make([]byte, 3*chunkSize)
			copy(file, tc.magic)
			copy(file[1000+3:], decoy) // misaligned
			copy(file[2000:], decoy)   // aligned, implausible header
			if tc.decoy > 0 {
				copy(file[tc.decoy:], decoy)
			}
			copy(file[tc.blobAt:], blob)
			for _, r := range []io.Reader{bytes.NewReader(file), &oneByteReader{file}} {
				data, err := New().Extract(context.Background(), "x", r, int64(len(file)))
				if err != nil {
					t.Fatal(err)
				}
				var s summary
				if err := json.Unmarshal(data, &s); err != nil || s.Go == nil {
					t.Fatalf("summary %q: %v", data, err)
				}
				if s.Go.Version != "go1.22.5" || s.Go.ModInfo != mod {
					t.Errorf("got %+v", s.Go)
				}
			}
		})
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0], r.b = r.b[0], r.b[1:]
	return 1, nil
}

// TestDirTarget runs the cataloger through the whole pipeline on the
// fixture binaries as a directory.
func TestDirTarget(t *testing.T) {
	ctx := context.Background()
	im, err := image.Open(ctx, "dir:testdata/bin", image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{New()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	per := map[string]int{}
	for _, p := range inv.Packages {
		for _, l := range p.Locations {
			per[l]++
		}
	}
	// deps: main, two modules, stdlib; replace: main, three, stdlib; cgo:
	// main, stdlib. stdlib 1.26.8 is one package with three locations.
	want := map[string]int{"/deps": 4, "/replace": 5, "/cgo": 2}
	if diff := cmp.Diff(want, per); diff != "" {
		t.Errorf("packages per binary (-want +got):\n%s", diff)
	}
}
