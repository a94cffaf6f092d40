package rpm

import (
	"encoding/binary"
	"fmt"
)

// An NDB database (Packages.db, rpm's "new database" used by SUSE; rpm's
// lib/backend/ndb/rpmpkg.c) starts with a 32-byte file header, which also
// fills the first two slots of an array of 16-byte slots spread over
// SlotNPages 4 KiB pages. A used slot names a package and the 16-byte block
// where its blob starts; a blob is a 16-byte blob header, the package header,
// and a checksum tail. All integers are little-endian.

// NDB constants.
const (
	ndbHeaderMagic   = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic     = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic     = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbDBVersion     = 0
	ndbHeaderSize    = 32
	ndbSlotSize      = 16
	ndbHeaderSlots   = ndbHeaderSize / ndbSlotSize
	ndbSlotPageBytes = 4096
	ndbBlobHeadSize  = 16
	ndbBlockSize     = 16 // slots count blob offsets in 16-byte blocks
	// ndbMaxSlotPages bounds the slot array (a million packages); rpm's
	// own databases grow it a page at a time.
	ndbMaxSlotPages = 1 << 12
)

// isNDB reports whether data starts with an NDB file header.
func isNDB(data []byte) bool {
	return len(data) >= ndbHeaderSize && binary.LittleEndian.Uint32(data) == ndbHeaderMagic
}

// readNDB calls visit with every header in an NDB database.
func readNDB(data []byte, visit func([]byte) error) error {
	le := binary.LittleEndian
	if v := le.Uint32(data[4:]); v != ndbDBVersion {
		return fmt.Errorf("ndb: unsupported version %d", v)
	}
	slotPages := uint64(le.Uint32(data[12:]))
	if slotPages == 0 || slotPages > ndbMaxSlotPages {
		return fmt.Errorf("ndb: %d slot pages", slotPages)
	}
	slotsEnd := slotPages * ndbSlotPageBytes
	if slotsEnd > uint64(len(data)) {
		return fmt.Errorf("ndb: %d slot pages do not fit in %d bytes; truncated?", slotPages, len(data))
	}
	for off := uint64(ndbHeaderSlots * ndbSlotSize); off < slotsEnd; off += ndbSlotSize {
		slot := data[off : off+ndbSlotSize]
		if le.Uint32(slot) != ndbSlotMagic {
			return fmt.Errorf("ndb: slot at byte %d: bad magic", off)
		}
		pkg := le.Uint32(slot[4:])
		if pkg == 0 { // a free slot
			continue
		}
		start := uint64(le.Uint32(slot[8:])) * ndbBlockSize
		if start < slotsEnd || start+ndbBlobHeadSize > uint64(len(data)) {
			return fmt.Errorf("ndb: package %d: blob at byte %d is outside the data area; truncated?", pkg, start)
		}
		head := data[start : start+ndbBlobHeadSize]
		if le.Uint32(head) != ndbBlobMagic || le.Uint32(head[4:]) != pkg {
			return fmt.Errorf("ndb: package %d: no blob at byte %d", pkg, start)
		}
		n := uint64(le.Uint32(head[12:]))
		blob := start + ndbBlobHeadSize
		if blob+n > uint64(len(data)) {
			return fmt.Errorf("ndb: package %d: blob of %d bytes runs past the end of the file; truncated?", pkg, n)
		}
		if err := visit(data[blob : blob+n]); err != nil {
			return err
		}
	}
	return nil
}
