package gobinary

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
)

// plan is what the ELF headers say about reading the rest of the file.
type plan int

const (
	planBroken plan = iota // headers unusable: search the whole file
	planStream             // search the writable segments, keep the tail
	planSpool              // old build info format: copy the file and read it whole
)

const (
	ptLoad      = 1
	pfWrite     = 2
	shtProgbits = 1
	shfWrite    = 1
	shfAlloc    = 2
)

type elfHeader struct {
	bo                 binary.ByteOrder
	is64               bool
	phoff, shoff       uint64
	phentsize, phnum   int
	shentsize, shnum   int
	progSize, sectSize int // minimum entry sizes for the class
	headerSize         int
}

func parseELFHeader(b []byte) (elfHeader, bool) {
	var h elfHeader
	if len(b) < 52 {
		return h, false
	}
	switch b[5] {
	case 1:
		h.bo = binary.LittleEndian
	case 2:
		h.bo = binary.BigEndian
	default:
		return h, false
	}
	switch b[4] {
	case 1:
		h.phoff = uint64(h.bo.Uint32(b[28:]))
		h.shoff = uint64(h.bo.Uint32(b[32:]))
		h.phentsize, h.phnum = int(h.bo.Uint16(b[42:])), int(h.bo.Uint16(b[44:]))
		h.shentsize, h.shnum = int(h.bo.Uint16(b[46:])), int(h.bo.Uint16(b[48:]))
		h.progSize, h.sectSize, h.headerSize = 32, 40, 52
	case 2:
		if len(b) < 64 {
			return h, false
		}
		h.is64 = true
		h.phoff, h.shoff = h.bo.Uint64(b[32:]), h.bo.Uint64(b[40:])
		h.phentsize, h.phnum = int(h.bo.Uint16(b[54:])), int(h.bo.Uint16(b[56:]))
		h.shentsize, h.shnum = int(h.bo.Uint16(b[58:])), int(h.bo.Uint16(b[60:]))
		h.progSize, h.sectSize, h.headerSize = 56, 64, 64
	default:
		return h, false
	}
	return h, true
}

// table returns the bytes of a header table held in first, if all there.
func table(first []byte, off uint64, n, entsize, minsize int) ([]byte, bool) {
	if n == 0 || entsize < minsize || n*entsize > maxHeaderTable || off > uint64(len(first)) {
		return nil, false
	}
	end := off + uint64(n*entsize)
	if end > uint64(len(first)) {
		return nil, false
	}
	return first[off:end], true
}

// planELF reads the ELF headers from the first chunk and sets up the scan:
// the Go build info is searched in the writable loaded segments (where the
// linker puts it, as debug/buildinfo also assumes); the part of the file
// after the loaded segments, which holds the unloaded sections and usually
// the section header table, is kept for the cargo-auditable check.
func (s *scanner) planELF(first []byte) plan {
	h, ok := parseELFHeader(first)
	if !ok {
		return planBroken
	}
	progs, ok := table(first, h.phoff, h.phnum, h.phentsize, h.progSize)
	if !ok {
		return planBroken
	}
	headEnd := h.phoff + uint64(len(progs))
	var loadEnd int64
	for i := 0; i < h.phnum; i++ {
		p := progs[i*h.phentsize:]
		var typ, flags uint32
		var off, vaddr, filesz uint64
		if h.is64 {
			typ, flags = h.bo.Uint32(p), h.bo.Uint32(p[4:])
			off, vaddr, filesz = h.bo.Uint64(p[8:]), h.bo.Uint64(p[16:]), h.bo.Uint64(p[32:])
		} else {
			typ, flags = h.bo.Uint32(p), h.bo.Uint32(p[24:])
			off, vaddr, filesz = uint64(h.bo.Uint32(p[4:])), uint64(h.bo.Uint32(p[8:])), uint64(h.bo.Uint32(p[16:]))
		}
		if typ != ptLoad || filesz == 0 || off >= uint64(s.size) {
			continue
		}
		end := int64(min(off+filesz, uint64(s.size)))
		loadEnd = max(loadEnd, end)
		if flags&pfWrite != 0 {
			s.search = append(s.search, searchSpan{span{int64(off), end}, int64(off) - int64(vaddr%16)})
		}
	}
	if loadEnd == 0 {
		return planBroken
	}
	if sects, ok := table(first, h.shoff, h.shnum, h.shentsize, h.sectSize); ok {
		// The Go linker writes the section headers at the start of the
		// file, before the data, so an old-format build info section can
		// be recognised in time to copy the file whole.
		if oldFormatSection(h, sects) && s.size <= maxSpool {
			return planSpool
		}
		headEnd = max(headEnd, h.shoff+uint64(len(sects)))
	} else if h.shoff > uint64(len(first)) && h.shoff < uint64(loadEnd) && h.shnum > 0 && h.shentsize >= h.sectSize && h.shnum*h.shentsize <= maxHeaderTable {
		// Section headers in the middle of the loaded data are unusual,
		// but cheap to keep on the way.
		s.keep = append(s.keep, keptRange{off: int64(h.shoff), data: make([]byte, min(int64(h.shnum*h.shentsize), s.size-int64(h.shoff)))})
	}
	s.keep = append(s.keep, keptRange{off: 0, data: make([]byte, headEnd)})
	if tail := s.size - loadEnd; tail > 0 && tail <= maxSpool {
		s.tail = &tailStore{from: loadEnd, size: tail}
	}
	return planStream
}

// oldFormatSection reports whether the section headers hold what the Go
// linker of Go 1.13 to 1.17 wrote: a .go.buildinfo section that is just
// the 32-byte header, its strings being pointed to elsewhere. Section
// names are not at hand (their table comes later), so the shape is used; a
// false positive costs a copy of the file, not a wrong result.
func oldFormatSection(h elfHeader, sects []byte) bool {
	for i := 0; i < h.shnum; i++ {
		p := sects[i*h.shentsize:]
		var typ uint32
		var flags, size, align uint64
		if h.is64 {
			typ, flags, size, align = h.bo.Uint32(p[4:]), h.bo.Uint64(p[8:]), h.bo.Uint64(p[32:]), h.bo.Uint64(p[48:])
		} else {
			typ, flags, size, align = h.bo.Uint32(p[4:]), uint64(h.bo.Uint32(p[8:])), uint64(h.bo.Uint32(p[20:])), uint64(h.bo.Uint32(p[32:]))
		}
		if typ == shtProgbits && flags&(shfWrite|shfAlloc) == shfWrite|shfAlloc && size == buildInfoHeader && align >= 16 && align%16 == 0 {
			return true
		}
	}
	return false
}

// tailStore keeps the end of an ELF file: in memory when small, in a
// temporary file otherwise.
type tailStore struct {
	from, size int64
	mem        []byte
	f          *os.File
	n          int64
	dropped    bool
}

func (t *tailStore) write(b []byte) error {
	if t.dropped || len(b) == 0 {
		return nil
	}
	if t.size <= maxTailMem {
		if t.mem == nil {
			t.mem = make([]byte, 0, t.size)
		}
		t.mem = append(t.mem, b...)
		t.n += int64(len(b))
		return nil
	}
	if t.f == nil {
		f, err := os.CreateTemp("", "vigil-elftail-*")
		if err != nil {
			// Without room for the tail only the cargo check is lost.
			t.dropped = true
			return nil
		}
		t.f = f
	}
	if _, err := t.f.Write(b); err != nil {
		t.dropped = true
		return nil
	}
	t.n += int64(len(b))
	return nil
}

func (t *tailStore) part() part {
	if t.f != nil {
		return part{off: t.from, ra: t.f, n: t.n}
	}
	return part{off: t.from, ra: bytes.NewReader(t.mem), n: t.n}
}

func (t *tailStore) close() {
	if t.f != nil {
		t.f.Close()
		os.Remove(t.f.Name())
		t.f = nil
	}
}

// errNotKept is returned for reads of file ranges the scan did not keep.
var errNotKept = errors.New("range of the file not kept")

// part is a kept range of a file.
type part struct {
	off int64
	ra  io.ReaderAt
	n   int64
}

// sparse is a file of which only some ranges are at hand.
type sparse struct {
	parts []part
	size  int64
}

// ReadAt implements io.ReaderAt over the kept ranges.
func (v *sparse) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	total := 0
	for len(p) > 0 {
		if off >= v.size {
			return total, io.EOF
		}
		var pt *part
		for i := range v.parts {
			q := &v.parts[i]
			if off >= q.off && off < q.off+q.n {
				pt = q
				break
			}
		}
		if pt == nil {
			return total, errNotKept
		}
		n := int(min(int64(len(p)), pt.off+pt.n-off))
		k, err := pt.ra.ReadAt(p[:n], off-pt.off)
		total += k
		if k < n {
			if err == nil || err == io.EOF {
				err = errNotKept
			}
			return total, err
		}
		p, off = p[n:], off+int64(n)
	}
	return total, nil
}
