package layerfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// maxHops bounds symlink resolution, as the kernel's MAXSYMLINKS does.
const maxHops = 40

// ErrLoop is returned when a path cannot be resolved within maxHops links.
var ErrLoop = errors.New("too many levels of symbolic links")

// Merged is the union of the layers applied so far: the wanted files and
// all symlinks, each from the layer that last wrote it.
type Merged struct {
	files map[string]*File
}

// NewMerged returns an empty view.
func NewMerged() *Merged { return &Merged{files: make(map[string]*File)} }

// Apply lays one layer's index over the view, in the order an overlay
// filesystem would, and returns the union of the Want bits of every file
// the layer added, replaced or removed: the consumers whose view changed.
func (m *Merged) Apply(ix *Index) uint64 {
	var changed uint64
	remove := func(p string, f *File) {
		changed |= f.Want
		delete(m.files, p)
	}
	under := func(p, dir string) bool {
		return dir == "" || (len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir))
	}
	for p, f := range m.files {
		gone := false
		for _, w := range ix.Whiteouts {
			if p == w || under(p, w) {
				gone = true
				break
			}
		}
		if !gone {
			for _, d := range ix.Opaque {
				if under(p, d) {
					gone = true
					break
				}
			}
		}
		if !gone && containsHash(ix.Dirs, hashPath(p)) {
			gone = true // a directory took the place of this file
		}
		if !gone {
			// A non-directory written at any ancestor hides this path.
			for i := strings.LastIndexByte(p, '/'); i > 0; i = strings.LastIndexByte(p[:i], '/') {
				if containsHash(ix.NonDir, hashPath(p[:i])) {
					gone = true
					break
				}
			}
		}
		if gone {
			remove(p, f)
		}
	}
	for p, f := range ix.Files {
		if old, ok := m.files[p]; ok {
			changed |= old.Want
		}
		changed |= f.Want
		m.files[p] = f
	}
	return changed
}

// Lstat returns the entry at the clean path p without following a final
// symlink, resolving symlinks in the directories above it.
func (m *Merged) Lstat(p string) (*File, error) {
	dir, base := path.Split(p)
	rdir, err := m.resolve(strings.TrimSuffix(dir, "/"), 0)
	if err != nil {
		return nil, err
	}
	f, ok := m.files[path.Join(rdir, base)]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// Resolve returns the path p points at once every symlink is followed,
// inside the image root: ".." never climbs above "/", and absolute targets
// start from the image root, as they would inside the container.
func (m *Merged) Resolve(p string) (string, error) { return m.resolve(p, 0) }

func (m *Merged) resolve(p string, hops int) (string, error) {
	if p == "" || p == "." {
		return "", nil
	}
	done := ""
	rest := p
	for rest != "" {
		var el string
		el, rest, _ = strings.Cut(rest, "/")
		switch el {
		case "", ".":
			continue
		case "..":
			done = parent(done)
			continue
		}
		next := el
		if done != "" {
			next = done + "/" + el
		}
		f, ok := m.files[next]
		if !ok || f.Mode&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		hops++
		if hops > maxHops {
			return "", ErrLoop
		}
		target := f.Link
		if !strings.HasPrefix(target, "/") {
			target = done + "/" + target
		}
		if rest != "" {
			target = target + "/" + rest
		}
		done, rest = "", strings.TrimLeft(target, "/")
	}
	return done, nil
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Paths returns, sorted, the paths of entries wanted by any consumer in mask.
func (m *Merged) Paths(mask uint64) []string {
	var out []string
	for p, f := range m.files {
		if f.Want&mask != 0 {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Entry returns the entry p names after following symlinks: a file whose
// contents or extracts were kept.
func (m *Merged) Entry(p string) (*File, error) {
	r, err := m.resolve(p, 0)
	if err != nil {
		return nil, err
	}
	f, ok := m.files[r]
	if !ok || !f.Kept() {
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// File returns the regular file at p after following symlinks, or an error
// wrapping fs.ErrNotExist or ErrLoop.
func (m *Merged) File(p string) (*File, error) {
	r, err := m.resolve(p, 0)
	if err != nil {
		return nil, err
	}
	f, ok := m.files[r]
	if !ok || f.Data == nil {
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// Open implements fs.FS over the wanted files. Symlinks are followed; files
// that no consumer wanted do not exist in this view.
func (m *Merged) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := m.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &openFile{f: f, r: bytes.NewReader(f.Data)}, nil
}

// ReadFile implements fs.ReadFileFS without copying: callers must not
// modify the returned slice.
func (m *Merged) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	f, err := m.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return f.Data, nil
}

type openFile struct {
	f *File
	r *bytes.Reader
}

func (o *openFile) Stat() (fs.FileInfo, error) { return fileInfo{o.f}, nil }
func (o *openFile) Read(p []byte) (int, error) { return o.r.Read(p) }
func (o *openFile) Close() error               { return nil }
func (o *openFile) Seek(off int64, whence int) (int64, error) {
	return o.r.Seek(off, whence)
}
func (o *openFile) ReadAt(p []byte, off int64) (int, error) { return o.r.ReadAt(p, off) }

var _ io.ReaderAt = (*openFile)(nil)

type fileInfo struct{ f *File }

func (i fileInfo) Name() string       { return path.Base(i.f.Path) }
func (i fileInfo) Size() int64        { return int64(len(i.f.Data)) }
func (i fileInfo) Mode() fs.FileMode  { return i.f.Mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return i.f }
