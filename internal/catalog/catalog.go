// Package catalog turns the files of an image into an inventory: the core
// walks the layers once (through layerfs) and hands each cataloger the files
// it asked for; catalogers never walk the filesystem themselves.
package catalog

import (
	"context"
	"io"
	"io/fs"

	"github.com/vigilproject/vigil/internal/sbom"
)

// Cataloger finds packages of one kind.
//
// Wants is called for every regular file and symlink of every layer while the
// layer is streamed, with a clean slash-separated path relative to the image
// root (no leading slash, e.g. "var/lib/dpkg/status"); it must be cheap and
// must not retain anything. The files it wants are kept in memory, so it
// should want only files it will read.
//
// Catalog is called with a view of the merged filesystem holding the wanted
// files. It returns the packages it found with Locations and Files as
// absolute paths ("/var/lib/dpkg/status"); the core fills in Layer and
// InBase. Problems with single records are reported through Input.Warn and
// the cataloger carries on; an error return means the whole cataloger failed
// on this view.
type Cataloger interface {
	Name() string // stable; part of the output and of the cache key
	Version() int // bump when results change, so cached results are redone
	Wants(path string, mode fs.FileMode, size int64) bool
	Catalog(ctx context.Context, in Input) ([]sbom.Package, error)
}

// Extractor is implemented by catalogers whose files are too large to keep
// whole (binaries, archives). The core streams each file the cataloger
// wants through Extract once, while the layer is read, and keeps only the
// bytes it returns, which Catalog later finds through Input.Extracted.
// Extract may stop reading early; it must not retain r. An error is
// reported as a warning naming the file.
type Extractor interface {
	Extract(ctx context.Context, path string, r io.Reader, size int64) ([]byte, error)
}

// Input is what a cataloger sees of an image.
type Input struct {
	// FS is the merged view of the image. It holds every file some cataloger
	// wanted; Open follows symlinks inside the image root.
	FS fs.FS
	// Paths lists, sorted, the files of FS that this cataloger wanted.
	Paths []string
	// Distro is the detected operating system, nil when none was found.
	Distro *sbom.Distro
	// Warn reports a non-fatal problem; the message should name the file
	// and, where it helps, the line.
	Warn func(msg string)
	// Extracted returns what this cataloger's Extract kept of the file at
	// path; ok is false when nothing was kept. Only for Extractors.
	Extracted func(path string) (data []byte, ok bool)
}
