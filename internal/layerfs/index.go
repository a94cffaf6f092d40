// Package layerfs walks image layers once each and merges them into a view
// of the files that catalogers asked for: whiteouts, opaque directories, hard
// links and symlinks are applied in layer order, and every file remembers the
// layer that last wrote it. Files nobody wants are seen as metadata only.
package layerfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync/atomic"
)

// WantFunc says which consumers want a file: each set bit is one consumer,
// zero means nobody. It is called for regular files, hard links and
// symlinks with a clean relative path ("etc/os-release").
type WantFunc func(name string, mode fs.FileMode, size int64) uint64

// ExtractFunc reads a wanted file as it streams past, once, and returns
// what to keep of it for each consumer in mask. It is for files too large
// to keep whole (binaries, archives): it may stop reading early. An error
// is a warning about that file, unless the stream itself failed.
type ExtractFunc func(ctx context.Context, name string, mask uint64, r io.Reader, size int64) ([]Extract, error)

// Extract is what one consumer kept of a file.
type Extract struct {
	Consumer int // bit index of the consumer
	Data     []byte
}

// Selector decides what is kept of each file of a layer.
type Selector struct {
	Want WantFunc
	// Extract, when set, receives the files wanted by a consumer in
	// ExtractMask as a stream instead of having them kept whole; the
	// contents are still kept when a consumer outside the mask wants them.
	Extract     ExtractFunc
	ExtractMask uint64
}

// Limits bound the work done on one image, so that hostile layers cannot
// exhaust memory or time. A zero field takes its default.
type Limits struct {
	// MaxBytes bounds the total uncompressed bytes read across all layers.
	MaxBytes int64
	// MaxEntries bounds the total number of tar entries across all layers.
	MaxEntries int64
	// MaxFileSize bounds the size of one wanted file kept in memory; a
	// larger wanted file is skipped with a warning.
	MaxFileSize int64
	// MaxWarnings bounds the warnings kept per layer; more are counted.
	MaxWarnings int
}

// Defaults for Limits.
const (
	DefaultMaxBytes    = 64 << 30 // 64 GiB: larger than any sane image
	DefaultMaxEntries  = 10_000_000
	DefaultMaxFileSize = 256 << 20
	DefaultMaxWarnings = 100
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxWarnings <= 0 {
		l.MaxWarnings = DefaultMaxWarnings
	}
	return l
}

// ErrLimit is wrapped by errors caused by a Limits bound.
var ErrLimit = errors.New("limit exceeded")

// Budget is the shared account of bytes and entries for one image; layers
// indexed in parallel draw from the same budget.
type Budget struct {
	lim     Limits
	bytes   atomic.Int64
	entries atomic.Int64
}

// NewBudget returns a budget for the given limits.
func NewBudget(l Limits) *Budget { return &Budget{lim: l.withDefaults()} }

// Limits returns the limits in force, defaults filled in.
func (b *Budget) Limits() Limits { return b.lim }

// File is one file of a layer or of the merged view.
type File struct {
	Path string // clean, relative to the image root
	Mode fs.FileMode
	Size int64
	Link string // symlink target, as written in the layer
	Data []byte // contents, for regular files wanted whole
	// Extracts hold what extracting consumers kept of the file.
	Extracts []Extract
	Want     uint64 // which consumers wanted it
	Layer    int    // index of the layer that last wrote it
}

// Kept reports whether anything of a regular file was kept.
func (f *File) Kept() bool { return f.Data != nil || f.Extracts != nil }

// Extracted returns what the consumer with bit index i kept of the file.
func (f *File) Extracted(i int) ([]byte, bool) {
	for _, e := range f.Extracts {
		if e.Consumer == i {
			return e.Data, true
		}
	}
	return nil, false
}

// Index is what one pass over a layer produced.
type Index struct {
	Layer int
	// Files holds the wanted regular files (hard links resolved) and every
	// symlink, wanted or not, by path.
	Files map[string]*File
	// Whiteouts are paths this layer deletes from the layers below.
	Whiteouts []string
	// Opaque are directories whose contents from the layers below are hidden.
	Opaque []string
	// nonDir and dirs hold sorted hashes of every path this layer writes as
	// a non-directory or as a directory. A non-directory hides everything
	// below that path in lower layers; a directory replaces a lower
	// non-directory. Hashes keep the cost at 8 bytes an entry.
	NonDir []uint64
	Dirs   []uint64
	// Entries and Bytes count what the layer held.
	Entries int64
	Bytes   int64
	// Warnings about single entries; Suppressed counts those not kept.
	Warnings   []string
	Suppressed int
}

// hashPath is FNV-1a, inline and allocation free.
func hashPath(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func (ix *Index) warn(max int, format string, args ...any) {
	if len(ix.Warnings) >= max {
		ix.Suppressed++
		return
	}
	ix.Warnings = append(ix.Warnings, fmt.Sprintf(format, args...))
}

// cleanName turns a tar entry name into a clean path relative to the root.
// It reports false for names that climb above the root, which no honest
// layer contains.
func cleanName(name string) (string, bool) {
	name = strings.TrimLeft(name, "/")
	if name == "" || name == "." || name == "./" {
		return "", true
	}
	if hasDotDot(name) {
		return "", false
	}
	c := path.Clean(name)
	if c == "." {
		return "", true
	}
	return c, true
}

// hasDotDot reports whether any element of the slash-separated name is "..".
func hasDotDot(name string) bool {
	if !strings.Contains(name, "..") {
		return false
	}
	for el := range strings.SplitSeq(name, "/") {
		if el == ".." {
			return true
		}
	}
	return false
}

// countingReader charges every byte read to the budget.
type countingReader struct {
	r      io.Reader
	b      *Budget
	n      int64
	tooBig bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.b.bytes.Add(int64(n)) > c.b.lim.MaxBytes {
		c.tooBig = true
		return n, fmt.Errorf("uncompressed size over %d bytes: %w", c.b.lim.MaxBytes, ErrLimit)
	}
	return n, err
}

// IndexTar streams one uncompressed layer tar once and returns its index.
// name identifies the layer in errors and warnings.
func IndexTar(ctx context.Context, r io.Reader, layer int, name string, sel *Selector, b *Budget) (*Index, error) {
	ix, pending, err := indexTar(ctx, r, layer, name, sel, b)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		// Hard links to files nobody wanted under their own name cannot be
		// served from memory; the caller must re-read the layer.
		return ix, &NeedsSecondPass{Links: pending}
	}
	finish(ix)
	return ix, nil
}

// NeedsSecondPass is returned by IndexTar with a usable index when wanted
// hard links point at files whose contents were not kept; ResolveLinks with
// a fresh reader of the same layer completes the index.
type NeedsSecondPass struct {
	Links map[string][]string // target path → wanted link paths
}

func (e *NeedsSecondPass) Error() string {
	return fmt.Sprintf("%d hard link targets need a second pass", len(e.Links))
}

func indexTar(ctx context.Context, r io.Reader, layer int, name string, sel *Selector, b *Budget) (*Index, map[string][]string, error) {
	lim := b.lim
	want := sel.Want
	cr := &countingReader{r: r, b: b}
	tr := tar.NewReader(cr)
	ix := &Index{Layer: layer, Files: make(map[string]*File)}
	var pending map[string][]string
	for {
		if ix.Entries&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cr.tooBig {
				return nil, nil, fmt.Errorf("layer %s: %w", name, err)
			}
			return nil, nil, fmt.Errorf("layer %s: reading tar after %d entries: %w", name, ix.Entries, err)
		}
		ix.Entries++
		if b.entries.Add(1) > lim.MaxEntries {
			return nil, nil, fmt.Errorf("layer %s: more than %d entries in the image: %w", name, lim.MaxEntries, ErrLimit)
		}
		p, ok := cleanName(hdr.Name)
		if !ok {
			ix.warn(lim.MaxWarnings, "layer %s: entry %q climbs above the root: skipped", name, hdr.Name)
			continue
		}
		if p == "" {
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasPrefix(base, ".wh.") {
			switch {
			case base == ".wh..wh..opq":
				ix.Opaque = append(ix.Opaque, dir)
			case strings.HasPrefix(base, ".wh..wh."):
				// aufs bookkeeping (.wh..wh.plnk and friends): not content.
			default:
				ix.Whiteouts = append(ix.Whiteouts, path.Join(dir, base[len(".wh."):]))
			}
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			ix.Dirs = append(ix.Dirs, hashPath(p))
			continue
		case tar.TypeSymlink:
			ix.NonDir = append(ix.NonDir, hashPath(p))
			mode := fs.ModeSymlink | fs.FileMode(hdr.Mode).Perm()
			ix.Files[p] = &File{Path: p, Mode: mode, Link: hdr.Linkname, Want: want(p, mode, 0), Layer: layer}
			continue
		case tar.TypeLink:
			ix.NonDir = append(ix.NonDir, hashPath(p))
			mode := fs.FileMode(hdr.Mode).Perm()
			w := want(p, mode, hdr.Size)
			if w == 0 {
				continue
			}
			target, ok := cleanName(hdr.Linkname)
			if !ok || target == "" {
				ix.warn(lim.MaxWarnings, "layer %s: hard link %q to %q leaves the root: skipped", name, p, hdr.Linkname)
				continue
			}
			if t, ok := ix.Files[target]; ok && t.Mode.IsRegular() && t.Kept() {
				ix.Files[p] = &File{Path: p, Mode: t.Mode, Size: t.Size, Data: t.Data, Extracts: t.Extracts, Want: w, Layer: layer}
				continue
			}
			if pending == nil {
				pending = make(map[string][]string)
			}
			pending[target] = append(pending[target], p)
			// Placeholder keeps the wanted bits; filled by the second pass.
			ix.Files[p] = &File{Path: p, Mode: mode, Want: w, Layer: layer}
			continue
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		default:
			// Devices, fifos and the like: they occupy the path.
			ix.NonDir = append(ix.NonDir, hashPath(p))
			continue
		}
		ix.NonDir = append(ix.NonDir, hashPath(p))
		mode := fs.FileMode(hdr.Mode).Perm()
		w := want(p, mode, hdr.Size)
		if w == 0 {
			if old, ok := ix.Files[p]; ok && old.Mode&fs.ModeSymlink != 0 {
				delete(ix.Files, p) // a later entry of the same path wins
			}
			continue
		}
		f, err := keep(ctx, sel, lim, ix, name, p, mode, w, tr, hdr.Size)
		if err != nil {
			if cr.tooBig {
				return nil, nil, fmt.Errorf("layer %s: %w", name, err)
			}
			return nil, nil, fmt.Errorf("layer %s: reading %s: %w", name, p, err)
		}
		if f != nil {
			f.Layer = layer
			ix.Files[p] = f
		}
	}
	// Drain what follows the end-of-archive marker so the decompressor sees
	// its trailer; a bad gzip checksum is then reported, not ignored.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, nil, fmt.Errorf("layer %s: after the end of the tar: %w", name, err)
	}
	ix.Bytes = cr.n
	return ix, pending, nil
}

// streamErr remembers a failure of the stream itself, so that an
// extractor's complaint about a file is told apart from a broken layer.
type streamErr struct {
	r   io.Reader
	err error
}

func (s *streamErr) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// keep reads what the consumers in w want of a regular file of the given
// size from r: the whole contents, extracts, or both. It returns nil when
// nothing is kept; an error only when the stream failed.
func keep(ctx context.Context, sel *Selector, lim Limits, ix *Index, layerName, p string, mode fs.FileMode, w uint64, r io.Reader, size int64) (*File, error) {
	ex := w & sel.ExtractMask
	if sel.Extract == nil {
		ex = 0
	}
	whole := w&^ex != 0
	if whole && size > lim.MaxFileSize {
		ix.warn(lim.MaxWarnings, "layer %s: %s is %d bytes, over the %d-byte limit for files read into memory: skipped", layerName, p, size, lim.MaxFileSize)
		whole = false
		if ex == 0 {
			return nil, nil
		}
	}
	f := &File{Path: p, Mode: mode, Size: size, Want: w}
	src := &streamErr{r: io.LimitReader(r, size)}
	if whole {
		f.Data = make([]byte, size)
		if _, err := io.ReadFull(src, f.Data); err != nil {
			return nil, err
		}
	}
	if ex != 0 {
		var in io.Reader = src
		if whole {
			in = bytes.NewReader(f.Data)
		}
		extracts, err := sel.Extract(ctx, p, ex, in, size)
		if src.err != nil {
			return nil, src.err
		}
		if err != nil {
			ix.warn(lim.MaxWarnings, "layer %s: %s: %v", layerName, p, err)
		}
		f.Extracts = extracts
		if f.Extracts == nil {
			f.Extracts = []Extract{}
		}
	}
	return f, nil
}

// ResolveLinks reads the layer again and fills in the hard links that
// IndexTar could not, then finishes the index.
func ResolveLinks(ctx context.Context, r io.Reader, ix *Index, need *NeedsSecondPass, sel *Selector, b *Budget) error {
	lim := b.lim
	tr := tar.NewReader(r)
	for len(need.Links) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("second pass: %w", err)
		}
		p, ok := cleanName(hdr.Name)
		if !ok {
			continue
		}
		links, ok := need.Links[p]
		if !ok || (hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA) {
			continue
		}
		delete(need.Links, p)
		var mask uint64
		for _, l := range links {
			if f, ok := ix.Files[l]; ok {
				mask |= f.Want
			}
		}
		f, err := keep(ctx, sel, lim, ix, "second pass", p, fs.FileMode(hdr.Mode).Perm(), mask, tr, hdr.Size)
		if err != nil {
			return fmt.Errorf("second pass: reading %s: %w", p, err)
		}
		for _, l := range links {
			if f == nil {
				delete(ix.Files, l)
				continue
			}
			if lf, ok := ix.Files[l]; ok {
				lf.Data, lf.Extracts, lf.Size, lf.Mode = f.Data, f.Extracts, f.Size, f.Mode
			}
		}
	}
	for target, links := range need.Links {
		ix.warn(lim.MaxWarnings, "hard links %v point at %s, which the layer does not hold as a regular file: skipped", links, target)
		for _, l := range links {
			delete(ix.Files, l)
		}
	}
	finish(ix)
	return nil
}

func finish(ix *Index) {
	slices.Sort(ix.NonDir)
	ix.NonDir = slices.Compact(ix.NonDir)
	slices.Sort(ix.Dirs)
	ix.Dirs = slices.Compact(ix.Dirs)
}

func containsHash(s []uint64, h uint64) bool {
	_, ok := slices.BinarySearch(s, h)
	return ok
}
