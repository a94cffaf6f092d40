package layerfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ent describes one tar entry for the tests.
type ent struct {
	name string
	typ  byte
	body string
	link string
	size int64 // declared size when body is empty and size > 0
}

func file(name, body string) ent  { return ent{name: name, typ: tar.TypeReg, body: body} }
func dir(name string) ent         { return ent{name: name, typ: tar.TypeDir} }
func symlink(name, to string) ent { return ent{name: name, typ: tar.TypeSymlink, link: to} }
func hardlink(name, to string) ent {
	return ent{name: name, typ: tar.TypeLink, link: to}
}

func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantAll wants every regular file and symlink.
func wantAll(string, fs.FileMode, int64) uint64 { return 1 }

// merge indexes each layer and applies them in order.
func merge(t testing.TB, layers ...[]byte) (*Merged, []*Index) {
	t.Helper()
	m := NewMerged()
	b := NewBudget(Limits{})
	var ixs []*Index
	for i, l := range layers {
		ix, err := IndexTar(context.Background(), bytes.NewReader(l), i, "test", &Selector{Want: wantAll}, b)
		var second *NeedsSecondPass
		if errors.As(err, &second) {
			err = ResolveLinks(context.Background(), bytes.NewReader(l), ix, second, &Selector{Want: wantAll}, b)
		}
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		m.Apply(ix)
		ixs = append(ixs, ix)
	}
	return m, ixs
}

// contents lists the regular files of the view with their layer.
func contents(m *Merged) map[string]string {
	out := map[string]string{}
	for p, f := range m.files {
		if f.Mode&fs.ModeSymlink != 0 {
			out[p] = "-> " + f.Link
			continue
		}
		out[p] = string(f.Data) + "@" + string(rune('0'+f.Layer))
	}
	return out
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]ent
		want   map[string]string
	}{
		{
			name: "later layer overwrites",
			layers: [][]ent{
				{file("etc/a", "one"), file("etc/b", "b")},
				{file("etc/a", "two")},
			},
			want: map[string]string{"etc/a": "two@1", "etc/b": "b@0"},
		},
		{
			name: "file whiteout",
			layers: [][]ent{
				{file("opt/bin/app", "x"), file("opt/bin/keep", "k")},
				{file("opt/bin/.wh.app", "")},
			},
			want: map[string]string{"opt/bin/keep": "k@0"},
		},
		{
			name: "directory whiteout removes everything below",
			layers: [][]ent{
				{file("opt/node/a/package.json", "a"), file("opt/node/b/package.json", "b"), file("opt/nodex", "n")},
				{file("opt/.wh.node", "")},
			},
			want: map[string]string{"opt/nodex": "n@0"},
		},
		{
			name: "opaque directory keeps the layer's own files",
			layers: [][]ent{
				{file("etc/app/old.conf", "old"), file("etc/app/sub/x", "x"), file("etc/other", "o")},
				{dir("etc/app/"), file("etc/app/.wh..wh..opq", ""), file("etc/app/new.conf", "new")},
			},
			want: map[string]string{"etc/app/new.conf": "new@1", "etc/other": "o@0"},
		},
		{
			name: "whiteout applies only to lower layers",
			layers: [][]ent{
				{file("a/f", "0")},
				{file("a/.wh.f", ""), file("a/f", "1")},
			},
			want: map[string]string{"a/f": "1@1"},
		},
		{
			name: "symlink replacing a directory hides its files",
			layers: [][]ent{
				{file("lib/x.so", "x")},
				{symlink("lib", "usr/lib")},
			},
			want: map[string]string{"lib": "-> usr/lib"},
		},
		{
			name: "directory replacing a file",
			layers: [][]ent{
				{file("etc/conf", "file")},
				{dir("etc/conf"), file("etc/conf/a", "a")},
			},
			want: map[string]string{"etc/conf/a": "a@1"},
		},
		{
			name: "hard link to a wanted file",
			layers: [][]ent{
				{file("usr/bin/a", "bin"), hardlink("usr/bin/b", "usr/bin/a")},
			},
			want: map[string]string{"usr/bin/a": "bin@0", "usr/bin/b": "bin@0"},
		},
		{
			name: "absolute and dotted names are made relative",
			layers: [][]ent{
				{file("/etc/abs", "a"), file("./etc/dot", "d")},
			},
			want: map[string]string{"etc/abs": "a@0", "etc/dot": "d@0"},
		},
		{
			name: "entries climbing above the root are refused",
			layers: [][]ent{
				{file("../../etc/passwd", "evil"), file("a/../../b", "evil"), file("ok", "ok")},
			},
			want: map[string]string{"ok": "ok@0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var layers [][]byte
			for _, l := range tt.layers {
				layers = append(layers, mkTar(t, l...))
			}
			m, _ := merge(t, layers...)
			if diff := cmp.Diff(tt.want, contents(m)); diff != "" {
				t.Errorf("merged view (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHardLinkSecondPass(t *testing.T) {
	// The target is not wanted under its own name, so its contents are
	// only found by reading the layer again.
	l := mkTar(t, file("usr/share/target", "content"), hardlink("var/lib/wanted", "usr/share/target"))
	want := func(p string, _ fs.FileMode, _ int64) uint64 {
		if p == "var/lib/wanted" {
			return 1
		}
		return 0
	}
	b := NewBudget(Limits{})
	ix, err := IndexTar(context.Background(), bytes.NewReader(l), 0, "l", &Selector{Want: want}, b)
	var second *NeedsSecondPass
	if !errors.As(err, &second) {
		t.Fatalf("IndexTar = %v, want NeedsSecondPass", err)
	}
	if err := ResolveLinks(context.Background(), bytes.NewReader(l), ix, second, &Selector{Want: wantAll}, b); err != nil {
		t.Fatal(err)
	}
	m := NewMerged()
	m.Apply(ix)
	got, err := fs.ReadFile(m, "var/lib/wanted")
	if err != nil || string(got) != "content" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
}

func TestResolve(t *testing.T) {
	m, _ := merge(t, mkTar(t,
		file("usr/lib/os-release", "ID=debian"),
		symlink("etc/os-release", "../usr/lib/os-release"),
		symlink("lib", "usr/lib"),
		symlink("abs", "/usr/lib/os-release"),
		symlink("escape", "../../../../usr/lib/os-release"),
		symlink("loop1", "loop2"),
		symlink("loop2", "loop1"),
		symlink("self", "self/x"),
		symlink("dangling", "nowhere"),
	))
	tests := []struct {
		path    string
		want    string
		wantErr error
	}{
		{"etc/os-release", "ID=debian", nil},
		{"lib/os-release", "ID=debian", nil},
		{"abs", "ID=debian", nil},
		{"escape", "ID=debian", nil}, // ".." stops at the root, as in a container
		{"loop1", "", ErrLoop},
		{"self", "", ErrLoop},
		{"dangling", "", fs.ErrNotExist},
		{"missing", "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := fs.ReadFile(m, tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadFile(%s) error = %v, want %v", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func indexBlob(blob []byte, lim Limits) (*Index, error) {
	rc, err := Decompress(io.NopCloser(bytes.NewReader(blob)))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return IndexTar(context.Background(), rc, 0, "bad", &Selector{Want: wantAll}, NewBudget(lim))
}

func TestBadInput(t *testing.T) {
	good := mkTar(t, file("a", strings.Repeat("x", 5000)), file("b", "b"))
	zipped := gz(t, good)
	corrupt := append([]byte(nil), zipped...)
	corrupt[len(corrupt)/2] ^= 0xff
	badCRC := append([]byte(nil), zipped...)
	badCRC[len(badCRC)-6] ^= 0xff

	// A header that declares 10 GB with nothing behind it.
	var huge bytes.Buffer
	tw := tar.NewWriter(&huge)
	tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 10 << 30, Mode: 0o644})
	hugeHdr := huge.Bytes()

	// A bomb: a megabyte of zeros inside a tar, compressed to little.
	bomb := gz(t, mkTar(t, file("zeros", strings.Repeat("\x00", 1<<20))))

	many := make([]ent, 2000)
	for i := range many {
		many[i] = file(fmt.Sprintf("d%d/f%d", i%10, i), "")
	}
	manyTar := mkTar(t, many...)

	tests := []struct {
		name    string
		blob    []byte
		lim     Limits
		wantErr string
		limit   bool
	}{
		{name: "truncated tar", blob: good[:len(good)/2+100], wantErr: "layer bad"},
		{name: "corrupt gzip", blob: corrupt, wantErr: "layer bad"},
		{name: "gzip checksum", blob: badCRC, wantErr: "layer bad"},
		{name: "10 GB header without data", blob: hugeHdr, wantErr: "layer bad"},
		{name: "decompression bomb", blob: bomb, lim: Limits{MaxBytes: 100 << 10}, wantErr: "uncompressed size", limit: true},
		{name: "too many entries", blob: manyTar, lim: Limits{MaxEntries: 1000}, wantErr: "more than 1000 entries", limit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := indexBlob(tt.blob, tt.lim)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if tt.limit != errors.Is(err, ErrLimit) {
				t.Errorf("errors.Is(err, ErrLimit) = %v, want %v", !tt.limit, tt.limit)
			}
		})
	}
}

func TestOversizedWantedFileIsSkipped(t *testing.T) {
	l := mkTar(t, file("big", strings.Repeat("x", 2048)), file("small", "s"))
	ix, err := indexBlob(l, Limits{MaxFileSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Files["big"]; ok {
		t.Error("big file kept")
	}
	if len(ix.Warnings) != 1 || !strings.Contains(ix.Warnings[0], "big") {
		t.Errorf("warnings = %q", ix.Warnings)
	}
}

func TestWarningsAreBounded(t *testing.T) {
	var ents []ent
	for i := 0; i < 500; i++ {
		ents = append(ents, file("../x"+strings.Repeat("y", i), "e"))
	}
	ix, err := indexBlob(mkTar(t, ents...), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Warnings) != DefaultMaxWarnings || ix.Suppressed != 500-DefaultMaxWarnings {
		t.Errorf("%d warnings, %d suppressed", len(ix.Warnings), ix.Suppressed)
	}
}

func FuzzIndexTar(f *testing.F) {
	f.Add(mkTar(f, file("etc/os-release", "ID=x"), symlink("a", "b"), hardlink("c", "etc/os-release")))
	f.Add(mkTar(f, file("x/.wh..wh..opq", ""), file("x/.wh.y", ""), file("../z", "")))
	f.Add(gz(f, mkTar(f, file("a", "b"))))
	// Consumer 1 wants files whole, consumer 2 extracts their first bytes.
	fuzzSel := &Selector{
		Want:        func(string, fs.FileMode, int64) uint64 { return 3 },
		ExtractMask: 2,
		Extract: func(ctx context.Context, name string, mask uint64, r io.Reader, size int64) ([]Extract, error) {
			b := make([]byte, 8)
			n, err := io.ReadFull(r, b)
			if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
				return nil, err
			}
			return []Extract{{Consumer: 1, Data: b[:n]}}, nil
		},
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		rc, err := Decompress(io.NopCloser(bytes.NewReader(blob)))
		if err != nil {
			return
		}
		defer rc.Close()
		b := NewBudget(Limits{MaxBytes: 1 << 20, MaxEntries: 10000, MaxFileSize: 1 << 16})
		ix, err := IndexTar(context.Background(), rc, 0, "fuzz", fuzzSel, b)
		var second *NeedsSecondPass
		if errors.As(err, &second) {
			rc2, _ := Decompress(io.NopCloser(bytes.NewReader(blob)))
			err = ResolveLinks(context.Background(), rc2, ix, second, fuzzSel, b)
		}
		if err != nil {
			return
		}
		m := NewMerged()
		m.Apply(ix)
		m.Apply(ix)
		for _, p := range m.Paths(1) {
			m.Resolve(p)
			fs.ReadFile(m, p)
		}
	})
}

// TestExtract streams wanted files through an extractor and keeps only its
// result, unless another consumer wants the whole file too.
func TestExtract(t *testing.T) {
	big := strings.Repeat("z", 100000)
	l := mkTar(t,
		file("bin/app", "MAGIC"+big),
		file("bin/both", "MAGIC-both"),
		file("bin/broken", "nope"),
		hardlink("bin/app-link", "bin/app"),
	)
	sel := &Selector{
		Want: func(p string, _ fs.FileMode, _ int64) uint64 {
			if p == "bin/both" {
				return 3
			}
			return 2
		},
		ExtractMask: 2,
		Extract: func(ctx context.Context, name string, mask uint64, r io.Reader, size int64) ([]Extract, error) {
			head := make([]byte, 5)
			if _, err := io.ReadFull(r, head); err != nil || string(head) != "MAGIC" {
				return nil, fmt.Errorf("no magic")
			}
			return []Extract{{Consumer: 1, Data: []byte(fmt.Sprintf("%s:%d", name, size))}}, nil
		},
	}
	ix, err := IndexTar(context.Background(), bytes.NewReader(l), 0, "x", sel, NewBudget(Limits{}))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMerged()
	m.Apply(ix)
	for _, tc := range []struct {
		path, extract string
		whole         bool
	}{
		{"bin/app", "bin/app:100005", false},
		{"bin/app-link", "bin/app:100005", false},
		{"bin/both", "bin/both:10", true},
		{"bin/broken", "", false},
	} {
		f, err := m.Entry(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		got, _ := f.Extracted(1)
		if string(got) != tc.extract || (f.Data != nil) != tc.whole {
			t.Errorf("%s: extract %q whole %v, want %q %v", tc.path, got, f.Data != nil, tc.extract, tc.whole)
		}
	}
	if len(ix.Warnings) != 1 || !strings.Contains(ix.Warnings[0], "bin/broken: no magic") {
		t.Errorf("warnings = %q", ix.Warnings)
	}
}
