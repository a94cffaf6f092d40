package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog/cargo"
)

const (
	// chunkSize is the unit the stream is read in. Chunks start at
	// multiples of it, so they are 16-byte aligned like the build info.
	chunkSize = 64 << 10
	// identSize is what is read of every file before deciding whether it
	// is an executable at all.
	identSize = 16
	// maxModInfo bounds the version and module strings of the build info;
	// the largest real binaries (Kubernetes) carry a few tens of KiB.
	maxModInfo = 4 << 20
	maxVersion = 1 << 10
	// maxTailMem is how much of an ELF file's unloaded tail (where
	// cargo-auditable's section lives) is kept in memory; a larger tail is
	// spooled to a temporary file, up to maxSpool.
	maxTailMem = 8 << 20
	maxSpool   = 256 << 20
	// maxHeaderTable bounds the ELF program and section header tables.
	maxHeaderTable = 1 << 20
)

// buildInfoMagic starts the build information blob that the Go linker
// writes, 16-byte aligned, in the binary's data: a 32-byte header whose
// flags say whether the version and module strings follow inline (Go 1.18
// and later) or are pointed to (Go 1.13 to 1.17).
var buildInfoMagic = []byte("\xff Go buildinf:")

const (
	buildInfoHeader = 32
	flagsInline     = 0x2
	flagsBigEndian  = 0x1
)

// errOldFormat is the pointer-format build info met too late: its strings
// lie before it in the file and the stream has passed them.
var errOldFormat = errors.New("build info in the pointer format of Go 1.13 to 1.17, which cannot be read from a stream for this file layout")

// result is what a scan found in one file.
type result struct {
	goVersion, modInfo string
	isGo               bool
	crates             []cargo.Dep
	// kept counts the bytes held for the file, in memory or spooled: a
	// measure of cost that tests check.
	kept int64
}

// kind is an executable format.
type kind int

const (
	notExe kind = iota
	elfExe
	machoExe
	peExe
)

func identify(ident []byte) kind {
	switch {
	case bytes.HasPrefix(ident, []byte("\x7fELF")):
		return elfExe
	case bytes.HasPrefix(ident, []byte("MZ")):
		return peExe
	case len(ident) >= 4:
		switch binary.BigEndian.Uint32(ident) {
		case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xcafebabf:
			return machoExe
		}
	}
	return notExe
}

// span is a range of file offsets, [off, end).
type span struct{ off, end int64 }

// scanner reads one file once, in chunks, searching the Go build info
// where it can be and keeping what the cargo-auditable check needs.
type scanner struct {
	r    io.Reader
	size int64
	pos  int64 // offset of the next byte to read
	buf  []byte
	res  result

	// search lists the ranges where the build info may start, with the
	// alignment base of each (the build info is aligned in memory).
	search  []searchSpan
	carry   []byte // end of the previous chunk, for a magic across chunks
	carryAt int64

	// info collects the build info blob once its magic is found.
	info   []byte
	infoAt int64

	// keep holds the ELF ranges kept for reading sections afterwards:
	// the headers at the start of the file and, if it lies in the loaded
	// data, the section header table; tail holds the unloaded end.
	keep []keptRange
	tail *tailStore
}

type searchSpan struct {
	span
	base int64 // the offset whose memory address is 16-byte aligned
}

type keptRange struct {
	off  int64
	data []byte
}

// scan reads r, a file of the given size, and returns what it found: the
// Go build info of a Go binary, or the cargo-auditable crates of an ELF
// binary, or neither. Errors are for corrupt build or audit data.
func scan(ctx context.Context, r io.Reader, size int64) (*result, error) {
	s := &scanner{r: io.LimitReader(r, size), size: size}
	defer s.close()
	ident := make([]byte, identSize)
	if _, err := io.ReadFull(s.r, ident); err != nil {
		return &s.res, nil
	}
	s.pos = identSize
	k := identify(ident)
	if k == notExe {
		return &s.res, nil
	}
	s.buf = make([]byte, chunkSize)
	copy(s.buf, ident)
	first, err := s.fill(identSize)
	if err != nil {
		return nil, err
	}
	if k == elfExe {
		switch plan := s.planELF(first); plan {
		case planSpool:
			return s.spool(ctx, first)
		case planStream:
		default:
			// The headers make no sense: search the whole file, as for
			// the other formats, and skip the cargo check.
			s.search = []searchSpan{{span{0, size}, 0}}
			s.keep, s.tail = nil, nil
		}
	} else {
		s.search = []searchSpan{{span{0, size}, 0}}
	}
	chunk, at := first, int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		done, err := s.consume(chunk, at)
		if err != nil || done {
			return s.finish(err)
		}
		if s.pos >= size {
			break
		}
		at = s.pos
		if chunk, err = s.fill(0); err != nil {
			return nil, err
		}
		if len(chunk) == 0 {
			break
		}
	}
	if s.info != nil {
		return nil, fmt.Errorf("truncated Go build info at offset %d", s.infoAt)
	}
	if k == elfExe && s.tail != nil {
		return s.finish(s.auditable())
	}
	return &s.res, nil
}

// fill reads the rest of the chunk that starts at s.pos-have into s.buf
// and returns it. It returns an empty chunk at the end of the file.
func (s *scanner) fill(have int) ([]byte, error) {
	want := chunkSize
	if rest := s.size - s.pos + int64(have); rest < int64(want) {
		want = int(rest)
	}
	n, err := io.ReadFull(s.r, s.buf[have:want])
	s.pos += int64(n)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return s.buf[:have+n], nil
}

// consume handles one chunk starting at file offset at. It returns true
// when the scan is over.
func (s *scanner) consume(chunk []byte, at int64) (bool, error) {
	end := at + int64(len(chunk))
	for i := range s.keep {
		if k := &s.keep[i]; k.off < end {
			copyRange(k.data, k.off, chunk, at)
		}
	}
	if s.tail != nil && end > s.tail.from {
		if err := s.tail.write(chunk[max(s.tail.from-at, 0):]); err != nil {
			return false, err
		}
	}
	if s.info != nil {
		done, err := s.collect(chunk)
		if done || err != nil || s.info != nil {
			return done, err
		}
		// The candidate begun in the last chunk was not build info: this
		// chunk is still to be searched.
	}
	for _, sp := range s.search {
		if sp.end <= at-int64(len(buildInfoMagic)) || sp.off >= end {
			continue
		}
		m, pre, ok := s.find(chunk, at, sp)
		if !ok {
			continue
		}
		s.info = append(make([]byte, 0, 4096), pre...)
		s.infoAt = m
		done, err := s.collect(chunk[max(m-at, 0):])
		if done || err != nil || s.info != nil {
			return done, err
		}
	}
	s.keepCarry(chunk, at)
	return false, nil
}

// find searches the part of chunk inside sp for an aligned magic whose
// header checks out. A magic begun at the end of the last chunk is found
// too: its offset is before at and pre holds its bytes from that chunk.
func (s *scanner) find(chunk []byte, at int64, sp searchSpan) (m int64, pre []byte, ok bool) {
	if n := len(s.carry); n > 0 && s.carryAt+int64(n) == at {
		joint := append(append([]byte(nil), s.carry...), chunk[:min(len(chunk), len(buildInfoMagic)-1)]...)
		for i := 0; i < n; i++ {
			j := bytes.Index(joint[i:], buildInfoMagic)
			if j < 0 || i+j >= n {
				break
			}
			i += j
			m := s.carryAt + int64(i)
			head := append(append([]byte(nil), s.carry[i:]...), chunk[:min(len(chunk), buildInfoHeader)]...)
			if sp.contains(m) && sp.aligned(m) && plausibleHeader(head) {
				return m, s.carry[i:], true
			}
		}
	}
	lo, hi := max(sp.off-at, 0), min(sp.end-at, int64(len(chunk)))
	if lo >= hi {
		return 0, nil, false
	}
	data := chunk[lo:hi]
	for i := 0; ; {
		j := bytes.Index(data[i:], buildInfoMagic)
		if j < 0 {
			return 0, nil, false
		}
		m := at + lo + int64(i+j)
		if sp.aligned(m) && plausibleHeader(chunk[m-at:]) {
			return m, nil, true
		}
		i += j + 1
	}
}

func (sp searchSpan) contains(off int64) bool { return off >= sp.off && off < sp.end }
func (sp searchSpan) aligned(off int64) bool  { return (off-sp.base)%16 == 0 }

// plausibleHeader checks what the header holds besides the magic when it
// is all there: a pointer size and flags with only the known bits. A copy
// of the magic string in a binary's constants (programs that read build
// info contain one) rarely passes.
func plausibleHeader(b []byte) bool {
	if len(b) < buildInfoHeader {
		return true // judged when collected
	}
	ptr, flags := b[len(buildInfoMagic)], b[len(buildInfoMagic)+1]
	return (ptr == 4 || ptr == 8) && flags&^(flagsInline|flagsBigEndian) == 0
}

func (s *scanner) keepCarry(chunk []byte, at int64) {
	n := len(buildInfoMagic) - 1
	if len(chunk) < n {
		n = len(chunk)
	}
	s.carry = append(s.carry[:0], chunk[len(chunk)-n:]...)
	s.carryAt = at + int64(len(chunk)-n)
}

// collect appends b to the build info blob and decodes it once complete.
func (s *scanner) collect(b []byte) (bool, error) {
	s.info = append(s.info, b...)
	if len(s.info) >= buildInfoHeader && !plausibleHeader(s.info) {
		// A magic split across chunks that turned out not to be one.
		s.info = nil
		return false, nil
	}
	vers, mod, need, err := decodeInline(s.info)
	if err != nil {
		return true, fmt.Errorf("corrupt Go build info at offset %d: %w", s.infoAt, err)
	}
	if need {
		if len(s.info) > maxModInfo+maxVersion+buildInfoHeader+20 {
			return true, fmt.Errorf("corrupt Go build info at offset %d: too long", s.infoAt)
		}
		return false, nil
	}
	s.res.isGo, s.res.goVersion, s.res.modInfo = true, vers, mod
	// What stays is the two strings; the blob buffer goes with the scan.
	s.res.kept += int64(len(vers) + len(mod))
	return true, nil
}

// decodeInline decodes the build info blob b (header first). need is true
// when b does not yet hold all of it.
func decodeInline(b []byte) (vers, mod string, need bool, err error) {
	if len(b) < buildInfoHeader {
		return "", "", true, nil
	}
	if b[len(buildInfoMagic)+1]&flagsInline == 0 {
		return "", "", false, errOldFormat
	}
	rest := b[buildInfoHeader:]
	v, rest, need, err := varString(rest, maxVersion)
	if need || err != nil {
		return "", "", need, err
	}
	m, _, need, err := varString(rest, maxModInfo)
	if need || err != nil {
		return "", "", need, err
	}
	if len(v) == 0 {
		return "", "", false, errors.New("empty Go version")
	}
	return string(v), stripModInfoFraming(string(m)), false, nil
}

// varString reads a uvarint length and that many bytes.
func varString(b []byte, limit uint64) (s, rest []byte, need bool, err error) {
	n, k := binary.Uvarint(b)
	switch {
	case k == 0:
		return nil, nil, true, nil
	case k < 0:
		return nil, nil, false, errors.New("bad string length")
	case n > limit:
		return nil, nil, false, fmt.Errorf("string length %d over the limit of %d", n, limit)
	}
	b = b[k:]
	if uint64(len(b)) < n {
		return nil, nil, true, nil
	}
	return b[:n], b[n:], false, nil
}

// stripModInfoFraming removes the 16-byte sentinels cmd/go puts around the
// module information, as debug/buildinfo does; text without them (no
// modules) reads as empty.
func stripModInfoFraming(mod string) string {
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		return mod[16 : len(mod)-16]
	}
	return ""
}

func (s *scanner) finish(err error) (*result, error) {
	if err != nil {
		return nil, err
	}
	return &s.res, nil
}

func (s *scanner) close() {
	if s.tail != nil {
		s.tail.close()
	}
}

// auditable reads the cargo-auditable section from the kept parts of an
// ELF file. Files that debug/elf cannot make sense of from those parts are
// passed over quietly: they are not Rust binaries with audit data.
func (s *scanner) auditable() error {
	v := &sparse{size: s.size}
	for _, k := range s.keep {
		v.parts = append(v.parts, part{off: k.off, ra: bytes.NewReader(k.data), n: int64(len(k.data))})
		s.res.kept += int64(len(k.data))
	}
	if t := s.tail; t != nil && !t.dropped {
		v.parts = append(v.parts, t.part())
		s.res.kept += t.n
	}
	deps, err := cargo.AuditableFromELF(v)
	switch {
	case errors.Is(err, cargo.ErrNotELF):
		return nil
	case errors.Is(err, errNotKept):
		// Old cargo-auditable versions let the linker load the section;
		// its offset is known only once the stream has passed it.
		return fmt.Errorf("cargo-auditable data lies in a loaded segment, which is not kept while streaming: %w", err)
	}
	s.res.crates = deps
	return err
}

// spool copies the whole file to a temporary file and reads it with the
// standard library, for the old build info format whose strings come
// before it. first is the chunk already read.
func (s *scanner) spool(ctx context.Context, first []byte) (*result, error) {
	f, err := os.CreateTemp("", "vigil-gobinary-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if _, err := f.Write(first); err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, ctxReader{ctx, s.r}); err != nil {
		return nil, err
	}
	s.res.kept = s.size
	bi, err := buildinfo.Read(f)
	if err == nil {
		s.res.isGo, s.res.goVersion = true, bi.GoVersion
		// bi.String starts with the "go\t" line, which is kept apart.
		_, s.res.modInfo, _ = strings.Cut(bi.String(), "\n")
		return &s.res, nil
	}
	deps, aerr := cargo.AuditableFromELF(f)
	if aerr != nil && !errors.Is(aerr, cargo.ErrNotELF) {
		return nil, aerr
	}
	s.res.crates = deps
	return s.finish(nil)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// copyRange copies into dst, which holds the file from dstOff, the part of
// src (the file from srcOff) that overlaps it.
func copyRange(dst []byte, dstOff int64, src []byte, srcOff int64) {
	lo := max(dstOff, srcOff)
	hi := min(dstOff+int64(len(dst)), srcOff+int64(len(src)))
	if lo < hi {
		copy(dst[lo-dstOff:hi-dstOff], src[lo-srcOff:hi-srcOff])
	}
}
