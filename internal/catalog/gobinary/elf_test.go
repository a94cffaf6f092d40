package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"
)

// elfSpec describes a small x86-64 ELF executable laid out as the Go
// linker lays one out: headers, then read-only data, then writable data.
type elfSpec struct {
	rodata   []byte // at offset 0x1000, address 0x401000
	dataOff  int    // file offset of the writable segment
	dataAddr uint64
	data     []byte
	// biSize, when not zero, writes section headers right after the
	// program headers, with a .go.buildinfo section of that size at the
	// start of the writable segment.
	biSize uint64
}

const (
	roOff  = 0x1000
	roAddr = 0x401000
)

func (e elfSpec) build() []byte {
	le := binary.LittleEndian
	size := e.dataOff + len(e.data)
	f := make([]byte, size)
	copy(f, "\x7fELF\x02\x01\x01")
	le.PutUint16(f[16:], 2)  // ET_EXEC
	le.PutUint16(f[18:], 62) // EM_X86_64
	le.PutUint32(f[20:], 1)
	le.PutUint64(f[32:], 64) // program headers
	le.PutUint16(f[52:], 64)
	le.PutUint16(f[54:], 56)
	le.PutUint16(f[56:], 2)
	prog := func(i int, flags uint32, off, addr uint64, n int) {
		p := f[64+56*i:]
		le.PutUint32(p, ptLoad)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], addr)
		le.PutUint64(p[24:], addr)
		le.PutUint64(p[32:], uint64(n))
		le.PutUint64(p[40:], uint64(n))
		le.PutUint64(p[48:], 0x1000)
	}
	prog(0, 4, roOff, roAddr, len(e.rodata))
	prog(1, 6, uint64(e.dataOff), e.dataAddr, len(e.data))
	copy(f[roOff:], e.rodata)
	copy(f[e.dataOff:], e.data)
	if e.biSize == 0 {
		return f
	}
	const shoff, strOff = 176, 0x200
	names := "\x00.rodata\x00.go.buildinfo\x00.data\x00.shstrtab\x00"
	copy(f[strOff:], names)
	le.PutUint64(f[40:], shoff)
	le.PutUint16(f[58:], 64)
	le.PutUint16(f[60:], 5)
	le.PutUint16(f[62:], 4)
	sect := func(i int, name, typ uint32, flags, addr, off, n, align uint64) {
		s := f[shoff+64*i:]
		le.PutUint32(s, name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[8:], flags)
		le.PutUint64(s[16:], addr)
		le.PutUint64(s[24:], off)
		le.PutUint64(s[32:], n)
		le.PutUint64(s[48:], align)
	}
	sect(1, 1, shtProgbits, shfAlloc, roAddr, roOff, uint64(len(e.rodata)), 32)
	sect(2, 9, shtProgbits, shfWrite|shfAlloc, e.dataAddr, uint64(e.dataOff), e.biSize, 16)
	sect(3, 23, shtProgbits, shfWrite|shfAlloc, e.dataAddr+e.biSize, uint64(e.dataOff)+e.biSize, uint64(len(e.data))-e.biSize, 8)
	sect(4, 29, 3, 0, 0, strOff, uint64(len(names)), 1)
	return f
}

const (
	infoStart = "0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
	infoEnd   = "\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
	oldMod    = "path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.5\th1:i6eZZ+zk0SOf0xgBpEpPD18qWcJda6q1sxt3S0kzyUQ=\n"
)

// oldFormatELF returns an executable with build info in the pointer
// format of Go 1.13 to 1.17: a header pointing at two Go string headers,
// which point at the strings in the read-only data, before it in the file.
func oldFormatELF(biSize uint64) []byte {
	const dataAddr = 0x402000
	rodata := append([]byte("go1.16.15\x00\x00\x00\x00\x00\x00\x00"), infoStart+oldMod+infoEnd...)
	data := make([]byte, 0x60)
	copy(data, buildInfoMagic)
	data[14], data[15] = 8, 0 // pointer size; flags: little-endian, pointers
	le := binary.LittleEndian
	le.PutUint64(data[16:], dataAddr+0x20) // runtime.buildVersion
	le.PutUint64(data[24:], dataAddr+0x30) // runtime.modinfo
	le.PutUint64(data[0x20:], roAddr)
	le.PutUint64(data[0x28:], 9)
	le.PutUint64(data[0x30:], roAddr+16)
	le.PutUint64(data[0x38:], uint64(len(infoStart+oldMod+infoEnd)))
	return elfSpec{rodata: rodata, dataOff: 0x2000, dataAddr: dataAddr, data: data, biSize: biSize}.build()
}

// TestOldFormat checks the fallback for build info in the pointer format:
// recognised from the section headers before the data, the file is copied
// to a temporary file and read by debug/buildinfo.
func TestOldFormat(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	file := oldFormatELF(buildInfoHeader)
	// The fixture must be what the standard library reads.
	bi, err := buildinfo.Read(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("fixture unreadable by debug/buildinfo: %v", err)
	}
	if bi.GoVersion != "go1.16.15" || bi.Main.Path != "example.com/old" {
		t.Fatalf("fixture reads as %v", bi)
	}

	cr := &countingReader{r: bytes.NewReader(file)}
	data, err := New().Extract(context.Background(), "old", cr, int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(data, &s); err != nil || s.Go == nil {
		t.Fatalf("summary %q: %v", data, err)
	}
	if s.Go.Version != "go1.16.15" || s.Go.ModInfo != oldMod {
		t.Errorf("got %+v", s.Go)
	}
	pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{"old": data})
	if len(warns) > 0 || len(pkgs) != 3 {
		t.Errorf("packages %+v, warnings %q", pkgs, warns)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Without the telltale section the format is met too late: a warning.
	late := oldFormatELF(0x40)
	if _, err := New().Extract(context.Background(), "old", bytes.NewReader(late), int64(len(late))); !errors.Is(err, errOldFormat) {
		t.Errorf("late old format: err = %v", err)
	}
}

// TestELFMagicAcrossChunks places the build info of an ELF file across a
// chunk boundary, which happens only when a segment's offset and address
// disagree modulo 16.
func TestELFMagicAcrossChunks(t *testing.T) {
	const mod = "path\texample.com/x\nmod\texample.com/x\t(devel)\t\n"
	blob := inlineBlob("go1.23.1", mod)
	file := elfSpec{rodata: []byte("ro"), dataOff: chunkSize - 8, dataAddr: 0x410000, data: blob}.build()
	for _, r := range []func() *countingReader{
		func() *countingReader { return &countingReader{r: bytes.NewReader(file)} },
		func() *countingReader { return &countingReader{r: &oneByteReader{file}} },
	} {
		data, err := New().Extract(context.Background(), "x", r(), int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		var s summary
		if err := json.Unmarshal(data, &s); err != nil || s.Go == nil {
			t.Fatalf("summary %q: %v", data, err)
		}
		if diff := cmp.Diff(goSummary{Version: "go1.23.1", ModInfo: mod}, *s.Go); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

// TestELFTailSpooled checks a cargo-auditable binary whose unloaded tail
// is too large for memory: it goes through a temporary file, removed after.
func TestELFTailSpooled(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rust, err := os.ReadFile(filepath.Join(rustFixtures, "rust-auditable"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := parseELFHeader(rust)
	// Grow the unloaded tail: move the section header table (and nothing
	// else) maxTailMem bytes further down.
	grown := append(append([]byte(nil), rust[:h.shoff]...), make([]byte, maxTailMem)...)
	grown = append(grown, rust[h.shoff:]...)
	h.bo.PutUint64(grown[40:], h.shoff+maxTailMem)
	res, err := scan(context.Background(), bytes.NewReader(grown), int64(len(grown)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.crates) != 8 || res.kept < maxTailMem {
		t.Errorf("crates %d, kept %d", len(res.crates), res.kept)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestAuditableLargeBinary reads cargo-auditable data from a binary much
// larger than a chunk, whose section headers come at the end.
func TestAuditableLargeBinary(t *testing.T) {
	rust, err := os.ReadFile(filepath.Join(rustFixtures, "rust-auditable"))
	if err != nil {
		t.Fatal(err)
	}
	big := elfWithLoadedBulk(t, rust, 3*chunkSize+100)
	res, err := scan(context.Background(), &oneByteReader{big}, int64(len(big)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.crates) != 8 || res.kept > 16<<10 {
		t.Errorf("crates %d, kept %d of %d bytes", len(res.crates), res.kept, len(big))
	}
}

func TestCorruptAuditData(t *testing.T) {
	_, err := extractFile(t, filepath.Join(rustFixtures, "rust-corrupt"))
	if err == nil {
		t.Error("corrupt .dep-v0 section accepted")
	}
	// A plain ELF file is not a problem.
	if data, err := extractFile(t, filepath.Join(rustFixtures, "hello")); data != nil || err != nil {
		t.Errorf("plain ELF: %q, %v", data, err)
	}
}

func TestSparse(t *testing.T) {
	v := &sparse{size: 100, parts: []part{
		{off: 0, ra: bytes.NewReader([]byte("0123456789")), n: 10},
		{off: 10, ra: bytes.NewReader([]byte("abcdefghij")), n: 10},
		{off: 90, ra: bytes.NewReader([]byte("KLMNOPQRST")), n: 10},
	}}
	for _, tc := range []struct {
		off  int64
		n    int
		want string
		err  error
	}{
		{0, 4, "0123", nil},
		{8, 4, "89ab", nil}, // across adjacent parts
		{18, 4, "ij", errNotKept},
		{30, 4, "", errNotKept},
		{95, 10, "PQRST", nil}, // reaches the end: EOF
		{100, 1, "", nil},
	} {
		p := make([]byte, tc.n)
		n, err := v.ReadAt(p, tc.off)
		if string(p[:n]) != tc.want || (tc.err != nil && !errors.Is(err, tc.err)) || (tc.err == nil && err != nil && n == tc.n) {
			t.Errorf("ReadAt(%d, %d) = %q, %v", tc.off, tc.n, p[:n], err)
		}
	}
}
