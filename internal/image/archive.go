package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vigilproject/vigil/internal/sbom"
)

// maxArchiveEntries bounds the entries of an image archive; real ones have a
// few per layer.
const maxArchiveEntries = 1_000_000

// tarFS is a read-only fs.FS over an uncompressed tar file: one pass over
// the headers records where each entry's bytes lie, and opening a file
// reads that section.
type tarFS struct {
	f     *os.File
	name  string
	files map[string]tarEntry
}

type tarEntry struct {
	off, size int64
	link      string // symlink target, resolved relative to the entry
}

func openTarFS(name string) (*tarFS, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	var magic [2]byte
	if _, err := io.ReadFull(f, magic[:]); err == nil && magic == [2]byte{0x1f, 0x8b} {
		f.Close()
		return nil, fmt.Errorf("the archive is gzip-compressed: decompress it first (gunzip)")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	t := &tarFS{f: f, name: name, files: make(map[string]tarEntry)}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		if n > maxArchiveEntries {
			f.Close()
			return nil, fmt.Errorf("more than %d entries", maxArchiveEntries)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		p := path.Clean(strings.TrimPrefix(strings.TrimLeft(hdr.Name, "/"), "./"))
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				f.Close()
				return nil, err
			}
			t.files[p] = tarEntry{off: off, size: hdr.Size}
		case tar.TypeSymlink, tar.TypeLink:
			target := hdr.Linkname
			if hdr.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(p), target)
			}
			t.files[p] = tarEntry{link: path.Clean(strings.TrimLeft(target, "/"))}
		}
	}
	return t, nil
}

func (t *tarFS) Close() error { return t.f.Close() }

func (t *tarFS) Open(name string) (fs.File, error) {
	e, ok := t.files[name]
	for hops := 0; ok && e.link != ""; hops++ {
		if hops > 40 {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("too many links")}
		}
		e, ok = t.files[e.link]
	}
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &sectionFile{SectionReader: io.NewSectionReader(t.f, e.off, e.size), name: name}, nil
}

type sectionFile struct {
	*io.SectionReader
	name string
}

func (s *sectionFile) Stat() (fs.FileInfo, error) { return sectionInfo{s}, nil }
func (s *sectionFile) Close() error               { return nil }

type sectionInfo struct{ s *sectionFile }

func (i sectionInfo) Name() string       { return path.Base(i.s.name) }
func (i sectionInfo) Size() int64        { return i.s.Size() }
func (i sectionInfo) Mode() fs.FileMode  { return 0o444 }
func (i sectionInfo) ModTime() time.Time { return time.Time{} }
func (i sectionInfo) IsDir() bool        { return false }
func (i sectionInfo) Sys() any           { return nil }

// openArchive opens an oci-archive or docker-archive; kind "" means decide
// from the contents. A Docker 25+ save holds both an OCI layout and the
// legacy manifest.json; the OCI layout is read then, since it carries the
// annotations.
func openArchive(ctx context.Context, arg, kind string, opt Options) (*Image, error) {
	file, sel := splitSelector(arg)
	label := kind
	if label == "" {
		label = "archive"
	}
	t, err := openTarFS(file)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", label, file, err)
	}
	_, hasIndex := t.files["index.json"]
	_, hasManifest := t.files["manifest.json"]
	if kind == "" {
		switch {
		case hasManifest:
			kind = KindDockerArchive
		case hasIndex:
			kind = KindOCIArchive
		default:
			t.Close()
			return nil, fmt.Errorf("target %s: a file that is neither a docker-archive nor an oci-archive", file)
		}
	}
	var im *Image
	switch {
	case hasIndex && (kind == KindOCIArchive || sel == "" || strings.HasPrefix(sel, "sha256:")):
		im, err = fromLayout(ctx, t, sel, opt)
	case kind == KindDockerArchive && hasManifest:
		im, err = fromDockerArchive(t, sel)
	default:
		err = fmt.Errorf("no %s found", map[bool]string{true: "manifest.json", false: "index.json"}[kind == KindDockerArchive])
	}
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("%s %s: %w", kind, file, err)
	}
	im.Source.Kind = kind
	im.Source.Reference = arg
	im.closer = t
	return im, nil
}

// dockerManifest is one entry of a docker-archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func fromDockerArchive(fsys fs.FS, sel string) (*Image, error) {
	raw, err := readSmall(fsys, "manifest.json")
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	var m *dockerManifest
	switch {
	case sel != "":
		for i := range ms {
			for _, tag := range ms[i].RepoTags {
				if tag == sel || strings.HasSuffix(tag, ":"+sel) {
					m = &ms[i]
				}
			}
		}
		if m == nil {
			return nil, fmt.Errorf("no image tagged %q: %w", sel, ErrNotFound)
		}
	case len(ms) == 1:
		m = &ms[0]
	case len(ms) == 0:
		return nil, fmt.Errorf("manifest.json lists no image: %w", ErrNotFound)
	default:
		return nil, fmt.Errorf("the archive holds %d images: name one with PATH:TAG", len(ms))
	}
	cfgRaw, err := readSmall(fsys, path.Clean(m.Config))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config, err)
	}
	cfgDigest, _, err := v1.SHA256(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, err
	}
	// Rebuild the manifest the registry would hold; layer digests are
	// known only when the layer files are named by them (Docker 25+).
	man := &v1.Manifest{SchemaVersion: 2, Config: v1.Descriptor{Digest: cfgDigest, Size: int64(len(cfgRaw))}}
	im := &Image{}
	for _, l := range m.Layers {
		name := path.Clean(l)
		var d v1.Hash
		if strings.HasPrefix(name, "blobs/sha256/") {
			d, _ = v1.NewHash("sha256:" + strings.TrimPrefix(name, "blobs/sha256/"))
		}
		var size int64
		if fi, err := fs.Stat(fsys, name); err == nil {
			size = fi.Size()
		} else {
			return nil, fmt.Errorf("layer %s: %w", l, err)
		}
		man.Layers = append(man.Layers, v1.Descriptor{Digest: d, Size: size})
		im.Layers = append(im.Layers, Layer{Open: func(ctx context.Context) (io.ReadCloser, error) {
			f, err := fsys.Open(name)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", name, err)
			}
			return f, nil
		}})
	}
	if err := fill(im, man, cfg, nil); err != nil {
		return nil, err
	}
	for i := range im.Layers {
		if man.Layers[i].Digest.Hex == "" {
			im.Layers[i].Digest = ""
		}
	}
	im.Source.ConfigDigest = sbom.Digest(cfgDigest.String())
	return im, nil
}
