package layerfs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress returns the uncompressed stream of a layer blob, sniffing gzip
// and zstd by their magic numbers; anything else is taken as a plain tar.
// Closing the result closes rc.
func Decompress(rc io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 1<<16)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		rc.Close()
		return nil, fmt.Errorf("reading layer header: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return &stack{Reader: zr, close: func() error { zr.Close(); return rc.Close() }}, nil
	case bytes.HasPrefix(magic, zstdMagic):
		// The window bound refuses frames that ask for absurd memory.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<29))
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return &stack{Reader: zr, close: func() error { zr.Close(); return rc.Close() }}, nil
	}
	return &stack{Reader: br, close: rc.Close}, nil
}

type stack struct {
	io.Reader
	close func() error
}

func (s *stack) Close() error { return s.close() }

// IndexDir indexes an unpacked root filesystem as if it were one layer.
// Symlinks are recorded, never followed, so the walk cannot leave root.
func IndexDir(ctx context.Context, root string, sel *Selector, b *Budget) (*Index, error) {
	lim := b.lim
	want := sel.Want
	ix := &Index{Layer: 0, Files: make(map[string]*File)}
	err := filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			if full == root {
				return fmt.Errorf("dir %s: %w", root, err)
			}
			ix.warn(lim.MaxWarnings, "dir %s: %v: skipped", full, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		ix.Entries++
		if ix.Entries&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if b.entries.Add(1) > lim.MaxEntries {
			return fmt.Errorf("dir %s: more than %d entries: %w", root, lim.MaxEntries, ErrLimit)
		}
		rel, err := filepath.Rel(root, full)
		if err != nil || rel == "." {
			return nil
		}
		p := filepath.ToSlash(rel)
		t := d.Type()
		switch {
		case t.IsDir():
			ix.Dirs = append(ix.Dirs, hashPath(p))
			return nil
		case t&fs.ModeSymlink != 0:
			ix.NonDir = append(ix.NonDir, hashPath(p))
			target, err := os.Readlink(full)
			if err != nil {
				ix.warn(lim.MaxWarnings, "dir %s: %v: skipped", full, err)
				return nil
			}
			mode := fs.ModeSymlink | 0o777
			ix.Files[p] = &File{Path: p, Mode: mode, Link: target, Want: want(p, mode, 0)}
			return nil
		case !t.IsRegular():
			ix.NonDir = append(ix.NonDir, hashPath(p))
			return nil
		}
		ix.NonDir = append(ix.NonDir, hashPath(p))
		info, err := d.Info()
		if err != nil {
			ix.warn(lim.MaxWarnings, "dir %s: %v: skipped", full, err)
			return nil
		}
		mode := info.Mode().Perm()
		w := want(p, mode, info.Size())
		if w == 0 {
			return nil
		}
		f, err := os.Open(full)
		if err != nil {
			ix.warn(lim.MaxWarnings, "dir %s: %v: skipped", root, err)
			return nil
		}
		defer f.Close()
		kept, err := keep(ctx, sel, lim, ix, "dir "+root, p, mode, w, f, info.Size())
		if err != nil {
			ix.warn(lim.MaxWarnings, "dir %s: reading %s: %v: skipped", root, p, err)
			return nil
		}
		if kept == nil {
			return nil
		}
		if b.bytes.Add(info.Size()) > lim.MaxBytes {
			return fmt.Errorf("dir %s: more than %d bytes read: %w", root, lim.MaxBytes, ErrLimit)
		}
		ix.Bytes += info.Size()
		ix.Files[p] = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	finish(ix)
	return ix, nil
}
