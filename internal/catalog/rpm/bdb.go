package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A Berkeley DB hash database (the Packages file of rpm < 4.16) is a
// sequence of fixed-size pages. Page 0 is the metadata page; hash pages hold
// pairs of items, the key (a package number) and the value (its header),
// indexed by 16-bit offsets after a 26-byte page header. A header too big for
// a hash page, which is nearly all of them, is stored in a chain of overflow
// pages and referenced from the hash page by an "off-page" item. This reader
// follows the layout that rpm's own read-only backend (lib/backend/bdb_ro.c)
// relies on, and Berkeley DB's db_page.h.

// Berkeley DB constants.
const (
	bdbHashMagic     = 0x00061561
	bdbHashMagicSwap = 0x61150600 // the magic of a database of the other byte order
	bdbPageHeader    = 26
	bdbOffPageItem   = 12 // type, 3 unused bytes, page number, length

	// Page types.
	bdbHashUnsorted = 2
	bdbOverflow     = 7
	bdbHashMeta     = 8
	bdbHash         = 13

	// Item types on hash pages.
	bdbKeyData = 1 // stored on the page
	bdbOffPage = 3 // stored in overflow pages
)

// readBDB calls visit with every header in a Berkeley DB hash database.
func readBDB(data []byte, visit func([]byte) error) error {
	if len(data) < 512 {
		return fmt.Errorf("berkeley db: file of %d bytes is shorter than its metadata; truncated?", len(data))
	}
	var order binary.ByteOrder = binary.LittleEndian
	if order.Uint32(data[12:]) == bdbHashMagicSwap {
		order = binary.BigEndian
	}
	if order.Uint32(data[12:]) != bdbHashMagic {
		return errors.New("not an rpm database (neither SQLite, NDB nor Berkeley DB hash)")
	}
	if v := order.Uint32(data[16:]); v < 8 || v > 10 {
		return fmt.Errorf("berkeley db: unsupported hash version %d", v)
	}
	if data[24] != 0 {
		return errors.New("berkeley db: encrypted database")
	}
	if data[25] != bdbHashMeta {
		return fmt.Errorf("berkeley db: metadata page of type %d", data[25])
	}
	pageSize := uint64(order.Uint32(data[20:]))
	switch pageSize {
	case 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536:
	default:
		return fmt.Errorf("berkeley db: page size %d", pageSize)
	}
	lastPage := uint64(order.Uint32(data[32:]))
	pages := uint64(len(data)) / pageSize
	if lastPage >= pages {
		return fmt.Errorf("berkeley db: last page %d is beyond the end of the file (%d pages); truncated?", lastPage, pages)
	}

	r := &bdbReader{data: data, order: order, pageSize: pageSize, lastPage: lastPage, budget: 2 * pages}
	// Scanning every page in file order, rather than walking the hash
	// buckets, finds the same items: rpm never leaves hash pages unlinked.
	for n := uint64(1); n <= lastPage; n++ {
		page := r.page(n)
		if t := page[25]; t != bdbHash && t != bdbHashUnsorted {
			continue
		}
		entries := uint64(order.Uint16(page[20:]))
		if entries%2 != 0 || bdbPageHeader+2*entries > pageSize {
			return fmt.Errorf("berkeley db: page %d: bad item count %d", n, entries)
		}
		for i := uint64(0); i < entries; i += 2 {
			value, err := r.value(page, i)
			if err != nil {
				return fmt.Errorf("berkeley db: page %d item %d: %w", n, i+1, err)
			}
			if value == nil {
				continue
			}
			if err := visit(value); err != nil {
				return err
			}
		}
	}
	return nil
}

type bdbReader struct {
	data     []byte
	order    binary.ByteOrder
	pageSize uint64
	lastPage uint64
	// budget is the number of overflow pages still allowed to be read. In
	// an intact database each overflow page belongs to one value, so twice
	// the number of pages is generous, and it stops loops and chains
	// shared by many values in a crafted file.
	budget uint64
}

func (r *bdbReader) page(n uint64) []byte {
	return r.data[n*r.pageSize : (n+1)*r.pageSize]
}

// value returns the value of the key/value pair whose key is item i of
// page, or nil for a kind of value that rpm does not store.
func (r *bdbReader) value(page []byte, i uint64) ([]byte, error) {
	koff := uint64(r.order.Uint16(page[bdbPageHeader+2*i:]))
	voff := uint64(r.order.Uint16(page[bdbPageHeader+2*i+2:]))
	// Items are packed from the end of the page backwards, so a value ends
	// where its key begins.
	if voff >= koff || koff > r.pageSize {
		return nil, fmt.Errorf("item offsets %d and %d out of order", koff, voff)
	}
	item := page[voff:koff]
	switch item[0] {
	case bdbKeyData:
		// rpm keeps its package counter under key 0, a 4-byte value on
		// the page; headers are keyed from 1.
		if r.isZeroKey(page, i, koff) {
			return nil, nil
		}
		return item[1:], nil
	case bdbOffPage:
		if len(item) < bdbOffPageItem {
			return nil, fmt.Errorf("off-page item of %d bytes", len(item))
		}
		return r.overflow(uint64(r.order.Uint32(item[4:])), uint64(r.order.Uint32(item[8:])))
	}
	return nil, nil
}

// isZeroKey reports whether item i of page, at offset koff, is an on-page
// key of four zero bytes.
func (r *bdbReader) isZeroKey(page []byte, i, koff uint64) bool {
	end := r.pageSize
	if i > 0 {
		end = uint64(r.order.Uint16(page[bdbPageHeader+2*i-2:]))
	}
	if end > r.pageSize || end < koff {
		return false
	}
	key := page[koff:end]
	return len(key) == 5 && key[0] == bdbKeyData && r.order.Uint32(key[1:]) == 0
}

// overflow returns the length bytes stored in the chain of overflow pages
// starting at page first.
func (r *bdbReader) overflow(first, length uint64) ([]byte, error) {
	if length == 0 || length > uint64(len(r.data)) {
		return nil, fmt.Errorf("overflow value of %d bytes", length)
	}
	out := make([]byte, 0, length)
	for pn := first; uint64(len(out)) < length; {
		if pn == 0 || pn > r.lastPage {
			return nil, fmt.Errorf("overflow chain reaches page %d of %d; truncated?", pn, r.lastPage)
		}
		if r.budget == 0 {
			return nil, fmt.Errorf("overflow chain through page %d loops or is shared", pn)
		}
		r.budget--
		page := r.page(pn)
		if uint64(r.order.Uint32(page[8:])) != pn || page[25] != bdbOverflow {
			return nil, fmt.Errorf("page %d in an overflow chain is not an overflow page", pn)
		}
		// On an overflow page the "high free" field is the length used.
		used := uint64(r.order.Uint16(page[22:]))
		if bdbPageHeader+used > r.pageSize || uint64(len(out))+used > length {
			return nil, fmt.Errorf("overflow page %d: %d bytes used", pn, used)
		}
		if used == 0 {
			return nil, fmt.Errorf("overflow page %d is empty", pn)
		}
		out = append(out, page[bdbPageHeader:bdbPageHeader+used]...)
		pn = uint64(r.order.Uint32(page[16:]))
	}
	return out, nil
}
