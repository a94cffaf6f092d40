package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// An rpm header, as the database stores it, is an index of tagged entries
// followed by a data store (rpm's lib/header.c, and the "Header" section of
// the rpm file format documentation):
//
//	il  uint32        number of index entries
//	dl  uint32        length of the data store
//	il × {tag, type, offset, count uint32}
//	dl bytes of data, which entries point into by offset
//
// All integers are big-endian. Only the tags below are decoded; region tags,
// signatures and everything else are skipped, so damage there does not
// matter. When a tag appears twice the later entry wins, as the entries rpm
// appends after the immutable region ("dribble" entries) replace earlier
// values.

// Tags read from a header (rpm's include/rpm/rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagSize            = 1009
	tagVendor          = 1011
	tagLicense         = 1014
	tagArch            = 1022
	tagOldFileNames    = 1027
	tagFileModes       = 1030
	tagSourceRPM       = 1044
	tagDirIndexes      = 1116
	tagBaseNames       = 1117
	tagDirNames        = 1118
	tagLongSize        = 5009
	tagModularityLabel = 5096
)

// Entry data types (rpm's rpmTagType).
const (
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Bounds rpm itself enforces on a header (hdrchkTags, hdrchkData).
const (
	maxIndexEntries = 0xffff
	maxDataLength   = 256 << 20
)

// header is what Vigil uses of one installed package's header.
type header struct {
	name, version, release, arch string
	epoch                        *int
	sourceRPM, license, vendor   string
	modularityLabel              string
	size                         int64
	baseNames, dirNames          []string
	dirIndexes                   []int32
	fileModes                    []uint16
	oldFileNames                 []string // rpm < 4.0 file lists, before BASENAMES
}

// parseHeader decodes blob. It never reads outside blob and allocates at
// most in proportion to its length.
func parseHeader(blob []byte) (*header, error) {
	if len(blob) < 8 {
		return nil, errors.New("header shorter than 8 bytes")
	}
	be := binary.BigEndian
	il, dl := uint64(be.Uint32(blob)), uint64(be.Uint32(blob[4:]))
	if il == 0 || il > maxIndexEntries {
		return nil, fmt.Errorf("header with %d index entries", il)
	}
	if dl > maxDataLength {
		return nil, fmt.Errorf("header data store of %d bytes", dl)
	}
	storeStart := 8 + 16*il
	if storeStart+dl > uint64(len(blob)) {
		return nil, fmt.Errorf("header of %d entries and %d data bytes does not fit in %d bytes", il, dl, len(blob))
	}
	store := blob[storeStart : storeStart+dl]

	h := &header{}
	var longSize, size *int64
	for i := uint64(0); i < il; i++ {
		e := blob[8+16*i:]
		tag, typ := be.Uint32(e), be.Uint32(e[4:])
		off, count := uint64(be.Uint32(e[8:])), uint64(be.Uint32(e[12:]))
		if !wanted(tag) {
			continue
		}
		if off >= dl {
			return nil, fmt.Errorf("tag %d: offset %d outside the %d-byte data store", tag, off, dl)
		}
		d := entryData{tag: tag, typ: typ, data: store[off:], count: count}
		var err error
		switch tag {
		case tagName:
			h.name, err = d.str()
		case tagVersion:
			h.version, err = d.str()
		case tagRelease:
			h.release, err = d.str()
		case tagArch:
			h.arch, err = d.str()
		case tagSourceRPM:
			h.sourceRPM, err = d.str()
		case tagLicense:
			h.license, err = d.str()
		case tagVendor:
			h.vendor, err = d.str()
		case tagModularityLabel:
			h.modularityLabel, err = d.str()
		case tagEpoch:
			var v []int32
			if v, err = d.int32s(); err == nil && len(v) > 0 {
				// rpm treats the epoch as unsigned.
				e := int(uint32(v[0]))
				h.epoch = &e
			}
		case tagSize:
			var v []int32
			if v, err = d.int32s(); err == nil && len(v) > 0 {
				s := int64(uint32(v[0]))
				size = &s
			}
		case tagLongSize:
			var v []int64
			if v, err = d.int64s(); err == nil && len(v) > 0 {
				longSize = &v[0]
			}
		case tagBaseNames:
			h.baseNames, err = d.strs()
		case tagDirNames:
			h.dirNames, err = d.strs()
		case tagOldFileNames:
			h.oldFileNames, err = d.strs()
		case tagDirIndexes:
			h.dirIndexes, err = d.int32s()
		case tagFileModes:
			h.fileModes, err = d.uint16s()
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case longSize != nil:
		h.size = *longSize
	case size != nil:
		h.size = *size
	}
	if h.name == "" {
		return nil, errors.New("header without a name")
	}
	return h, nil
}

func wanted(tag uint32) bool {
	switch tag {
	case tagName, tagVersion, tagRelease, tagEpoch, tagSize, tagVendor, tagLicense, tagArch,
		tagOldFileNames, tagFileModes, tagSourceRPM, tagDirIndexes, tagBaseNames, tagDirNames,
		tagLongSize, tagModularityLabel:
		return true
	}
	return false
}

// entryData is one index entry and the data store from its offset on.
type entryData struct {
	tag, typ uint32
	data     []byte
	count    uint64
}

func (d entryData) typeErr() error {
	return fmt.Errorf("tag %d: unexpected data type %d", d.tag, d.typ)
}

// str returns a string entry. I18N strings hold one string per language;
// the first is the untranslated one.
func (d entryData) str() (string, error) {
	if d.typ != typeString && d.typ != typeI18NString {
		return "", d.typeErr()
	}
	i := bytes.IndexByte(d.data, 0)
	if i < 0 {
		return "", fmt.Errorf("tag %d: unterminated string", d.tag)
	}
	s := string(d.data[:i])
	if s == "(none)" {
		// What rpm prints for an absent tag, sometimes stored verbatim.
		s = ""
	}
	return s, nil
}

func (d entryData) strs() ([]string, error) {
	if d.typ != typeStringArray {
		return nil, d.typeErr()
	}
	// Each string takes at least its terminating NUL, which bounds count
	// before anything is allocated.
	if d.count > uint64(len(d.data)) {
		return nil, fmt.Errorf("tag %d: %d strings in %d bytes", d.tag, d.count, len(d.data))
	}
	out := make([]string, 0, d.count)
	rest := d.data
	for range d.count {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return nil, fmt.Errorf("tag %d: unterminated string", d.tag)
		}
		out = append(out, string(rest[:i]))
		rest = rest[i+1:]
	}
	return out, nil
}

// fixed returns the count × size bytes of a fixed-size entry of type typ.
func (d entryData) fixed(typ uint32, size uint64) ([]byte, error) {
	if d.typ != typ {
		return nil, d.typeErr()
	}
	if d.count > uint64(len(d.data))/size {
		return nil, fmt.Errorf("tag %d: %d values of %d bytes past the end of the data store", d.tag, d.count, size)
	}
	return d.data[:d.count*size], nil
}

func (d entryData) int32s() ([]int32, error) {
	b, err := d.fixed(typeInt32, 4)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

func (d entryData) int64s() ([]int64, error) {
	b, err := d.fixed(typeInt64, 8)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
	}
	return out, nil
}

func (d entryData) uint16s() ([]uint16, error) {
	b, err := d.fixed(typeInt16, 2)
	if err != nil {
		return nil, err
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return out, nil
}
