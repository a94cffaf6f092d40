package rpm

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testEntry is one index entry of a header built by makeHeader.
type testEntry struct {
	tag, typ uint32
	data     []byte
	count    uint32
}

func str(tag uint32, s string) testEntry {
	return testEntry{tag, typeString, []byte(s + "\x00"), 1}
}

func strArray(tag uint32, ss ...string) testEntry {
	var b []byte
	for _, s := range ss {
		b = append(append(b, s...), 0)
	}
	return testEntry{tag, typeStringArray, b, uint32(len(ss))}
}

func int32s(tag uint32, vs ...int32) testEntry {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return testEntry{tag, typeInt32, b, uint32(len(vs))}
}

func int16s(tag uint32, vs ...uint16) testEntry {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint16(b[2*i:], v)
	}
	return testEntry{tag, typeInt16, b, uint32(len(vs))}
}

func int64s(tag uint32, vs ...int64) testEntry {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint64(b[8*i:], uint64(v))
	}
	return testEntry{tag, typeInt64, b, uint32(len(vs))}
}

// makeHeader lays out entries as an rpm header blob, data in entry order.
func makeHeader(entries ...testEntry) []byte {
	be := binary.BigEndian
	var index, store []byte
	for _, e := range entries {
		for len(store)%8 != 0 { // keep every type aligned, as rpm does
			store = append(store, 0)
		}
		var ie [16]byte
		be.PutUint32(ie[0:], e.tag)
		be.PutUint32(ie[4:], e.typ)
		be.PutUint32(ie[8:], uint32(len(store)))
		be.PutUint32(ie[12:], e.count)
		index = append(index, ie[:]...)
		store = append(store, e.data...)
	}
	blob := make([]byte, 8)
	be.PutUint32(blob[0:], uint32(len(entries)))
	be.PutUint32(blob[4:], uint32(len(store)))
	return append(append(blob, index...), store...)
}

func TestParseHeader(t *testing.T) {
	one, seven := 1, 7
	tests := []struct {
		name    string
		blob    []byte
		want    *header
		wantErr string
	}{
		{
			name: "all fields",
			blob: makeHeader(
				testEntry{63, 7, make([]byte, 16), 16}, // an immutable region tag, skipped
				str(tagName, "bash"), str(tagVersion, "5.1.8"), str(tagRelease, "6.el9"),
				int32s(tagEpoch, 1), str(tagArch, "x86_64"), str(tagSourceRPM, "bash-5.1.8-6.el9.src.rpm"),
				str(tagLicense, "GPLv3+"), str(tagVendor, "Red Hat, Inc."),
				str(tagModularityLabel, "m:1:2:3"), int32s(tagSize, 100),
				strArray(tagBaseNames, "bin", "bash"), strArray(tagDirNames, "/usr/", "/usr/bin/"),
				int32s(tagDirIndexes, 0, 1), int16s(tagFileModes, 0o40755, 0o100755),
			),
			want: &header{
				name: "bash", version: "5.1.8", release: "6.el9", epoch: &one, arch: "x86_64",
				sourceRPM: "bash-5.1.8-6.el9.src.rpm", license: "GPLv3+", vendor: "Red Hat, Inc.",
				modularityLabel: "m:1:2:3", size: 100,
				baseNames: []string{"bin", "bash"}, dirNames: []string{"/usr/", "/usr/bin/"},
				dirIndexes: []int32{0, 1}, fileModes: []uint16{0o40755, 0o100755},
			},
		},
		{
			name: "a later entry replaces an earlier one, as rpm's dribble entries do",
			blob: makeHeader(str(tagName, "a"), int32s(tagEpoch, 3), int32s(tagEpoch, 7)),
			want: &header{name: "a", epoch: &seven},
		},
		{
			name: "LONGSIZE wins over SIZE",
			blob: makeHeader(str(tagName, "big"), int32s(tagSize, -1), int64s(tagLongSize, 5<<30)),
			want: &header{name: "big", size: 5 << 30},
		},
		{
			name: "SIZE is unsigned",
			blob: makeHeader(str(tagName, "big"), int32s(tagSize, -1)),
			want: &header{name: "big", size: 1<<32 - 1},
		},
		{
			name: "(none) is no value; I18N strings give their first string",
			blob: makeHeader(str(tagName, "a"), str(tagSourceRPM, "(none)"),
				testEntry{tagLicense, typeI18NString, []byte("MIT\x00Lizenz\x00"), 2}),
			want: &header{name: "a", license: "MIT"},
		},
		{
			name: "old file names",
			blob: makeHeader(str(tagName, "old"), strArray(tagOldFileNames, "/etc/old.conf")),
			want: &header{name: "old", oldFileNames: []string{"/etc/old.conf"}},
		},
		{
			name:    "no name",
			blob:    makeHeader(str(tagVersion, "1")),
			wantErr: "without a name",
		},
		{
			name:    "too short",
			blob:    []byte{0, 0, 0, 1},
			wantErr: "shorter than 8 bytes",
		},
		{
			name:    "no entries",
			blob:    make([]byte, 8),
			wantErr: "0 index entries",
		},
		{
			name:    "counts larger than the blob",
			blob:    makeHeader(str(tagName, "a"))[:20],
			wantErr: "does not fit",
		},
		{
			name:    "wrong type",
			blob:    makeHeader(testEntry{tagName, typeInt32, []byte{0, 0, 0, 1}, 1}),
			wantErr: "unexpected data type",
		},
		{
			name:    "unterminated string",
			blob:    makeHeader(testEntry{tagName, typeString, []byte("bash"), 1}),
			wantErr: "unterminated string",
		},
		{
			name:    "string array count beyond the data",
			blob:    makeHeader(str(tagName, "a"), testEntry{tagBaseNames, typeStringArray, []byte("x\x00"), 1 << 30}),
			wantErr: "1073741824 strings",
		},
		{
			name:    "int32 count beyond the data",
			blob:    makeHeader(str(tagName, "a"), testEntry{tagDirIndexes, typeInt32, []byte{0, 0, 0, 0}, 1<<32 - 1}),
			wantErr: "past the end of the data store",
		},
		{
			name: "offset outside the data store",
			blob: func() []byte {
				b := makeHeader(str(tagName, "a"))
				binary.BigEndian.PutUint32(b[16:], 1000)
				return b
			}(),
			wantErr: "outside",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeader(tt.blob)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(header{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnedFiles(t *testing.T) {
	tests := []struct {
		name    string
		h       header
		want    []string
		wantErr string
	}{
		{
			name: "directories left out, symlinks and files kept",
			h: header{
				baseNames: []string{"bin", "bash", "sh"}, dirNames: []string{"/usr/", "/usr/bin/"},
				dirIndexes: []int32{0, 1, 1}, fileModes: []uint16{0o40755, 0o100755, 0o120777},
			},
			want: []string{"/usr/bin/bash", "/usr/bin/sh"},
		},
		{
			name: "without a mode per file every file is kept",
			h: header{
				baseNames: []string{"bin", "bash"}, dirNames: []string{"/usr/", "/usr/bin/"},
				dirIndexes: []int32{0, 1}, fileModes: []uint16{0o40755},
			},
			want: []string{"/usr/bin", "/usr/bin/bash"},
		},
		{
			name: "paths are cleaned and stay inside the root",
			h:    header{baseNames: []string{"passwd"}, dirNames: []string{"../../etc/"}, dirIndexes: []int32{0}},
			want: []string{"/etc/passwd"},
		},
		{
			name: "old file names",
			h:    header{oldFileNames: []string{"/etc/old.conf", "/etc"}, fileModes: []uint16{0o100644, 0o40755}},
			want: []string{"/etc/old.conf"},
		},
		{
			name:    "directory index out of range",
			h:       header{baseNames: []string{"a"}, dirNames: []string{"/"}, dirIndexes: []int32{1}},
			wantErr: "out of range",
		},
		{
			name:    "negative directory index",
			h:       header{baseNames: []string{"a"}, dirNames: []string{"/"}, dirIndexes: []int32{-1}},
			wantErr: "out of range",
		},
		{
			name:    "index count mismatch",
			h:       header{baseNames: []string{"a", "b"}, dirNames: []string{"/"}, dirIndexes: []int32{0}},
			wantErr: "2 file names but 1 directory indexes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ownedFiles(&tt.h)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDamagedHeader checks that one undecodable header in an intact
// database is reported and skipped, and the other packages kept.
func TestDamagedHeader(t *testing.T) {
	blobs := sqliteHeaders(t)
	blobs[1] = []byte("this is not an rpm header")
	got, err := run(t, map[string][]byte{"usr/lib/sysimage/rpm/Packages.db": makeNDB(blobs)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) != 1 || !strings.HasPrefix(got.Warnings[0], "rpm: /usr/lib/sysimage/rpm/Packages.db: package header 2: ") {
		t.Errorf("warnings %q, want one for package header 2", got.Warnings)
	}
	if len(got.Packages) != 3 {
		t.Errorf("got %d packages, want the other 3", len(got.Packages))
	}
}

// swapBDB rewrites a little-endian Berkeley DB hash database in big-endian
// byte order, as it would be on s390x, by swapping the fields readBDB reads.
func swapBDB(t *testing.T, data []byte) []byte {
	t.Helper()
	le, be := binary.LittleEndian, binary.BigEndian
	out := bytes.Clone(data)
	sw32 := func(off int) { be.PutUint32(out[off:], le.Uint32(data[off:])) }
	sw16 := func(off int) { be.PutUint16(out[off:], le.Uint16(data[off:])) }
	for off := 8; off < 72; off += 4 {
		if off != 24 { // four one-byte fields
			sw32(off)
		}
	}
	pageSize := int(le.Uint32(data[20:]))
	for p := pageSize; p+pageSize <= len(data); p += pageSize {
		sw32(p + 8)
		sw32(p + 12)
		sw32(p + 16)
		sw16(p + 20)
		sw16(p + 22)
		if typ := data[p+25]; typ != bdbHash && typ != bdbHashUnsorted {
			continue
		}
		n := int(le.Uint16(data[p+20:]))
		for i := 0; i < n; i++ {
			sw16(p + bdbPageHeader + 2*i)
			off := p + int(le.Uint16(data[p+bdbPageHeader+2*i:]))
			if data[off] == bdbOffPage {
				sw32(off + 4)
				sw32(off + 8)
			}
		}
	}
	return out
}

func TestBigEndianBDB(t *testing.T) {
	data, err := os.ReadFile("testdata/bdb/var/lib/rpm/Packages")
	if err != nil {
		t.Fatal(err)
	}
	want, err := readDB(context.Background(), data, func(msg string) { t.Error(msg) })
	if err != nil {
		t.Fatal(err)
	}
	swapped := swapBDB(t, data)
	if bytes.Equal(swapped, data) {
		t.Fatal("swapBDB changed nothing")
	}
	got, err := readDB(context.Background(), swapped, func(msg string) { t.Error(msg) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d headers, want 1", len(got))
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(header{})); diff != "" {
		t.Errorf("(-little-endian +big-endian):\n%s", diff)
	}
}
