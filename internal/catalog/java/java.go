package java

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Cataloger finds Maven packages in Java archives. It is a
// catalog.Extractor.
type Cataloger struct {
	lim limits
}

// New returns the Java archive cataloger.
func New() *Cataloger { return &Cataloger{lim: defaultLimits()} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "java-archive" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// minZip is the size of an empty zip: its end-of-directory record.
const minZip = 22

// Wants implements catalog.Cataloger: regular files named like a Java
// archive, of at most 2 GiB. Symlinks are not wanted: Debian's
// /usr/share/java and maven-repo hold versioned links to the same jar,
// which would report it once per link.
func (c *Cataloger) Wants(p string, mode fs.FileMode, size int64) bool {
	if mode&fs.ModeType != 0 || size < minZip || size > c.lim.maxArchive {
		return false
	}
	_, ok := archiveExt(p)
	return ok
}

// Extract implements catalog.Extractor. It reads the archive once and
// returns a JSON summary of the artifacts found and of the problems met
// (a corrupt archive, a zip bomb, nesting too deep), or nil when there is
// neither. It fails only when the stream cannot be read or ctx ends.
func (c *Cataloger) Extract(ctx context.Context, p string, r io.Reader, size int64) ([]byte, error) {
	if size > c.lim.maxArchive {
		return nil, fmt.Errorf("%d bytes, over the %d-byte limit for archives", size, c.lim.maxArchive)
	}
	sum, err := c.extract(ctx, p, r, size)
	if err != nil {
		return nil, err
	}
	if len(sum.Artifacts) == 0 && len(sum.Warnings) == 0 {
		return nil, nil
	}
	return json.Marshal(sum)
}

func (c *Cataloger) extract(ctx context.Context, p string, r io.Reader, size int64) (summary, error) {
	in := &ctxReader{ctx: ctx, r: r}
	h := sha1.New()
	var ra io.ReaderAt
	if size >= 0 && size <= c.lim.memSpool {
		buf := make([]byte, size)
		if _, err := io.ReadFull(in, buf); err != nil {
			return summary{}, fmt.Errorf("reading: %w", err)
		}
		h.Write(buf)
		ra = bytes.NewReader(buf)
	} else {
		// Unknown length (size < 0): read what there is, up to the limit.
		max := size
		if size < 0 {
			max = c.lim.maxArchive + 1
		}
		tmp, n, err := spoolFile(in, max, h)
		if err != nil {
			return summary{}, fmt.Errorf("reading: %w", err)
		}
		defer removeTemp(tmp)
		switch {
		case size < 0 && n > c.lim.maxArchive:
			return summary{}, fmt.Errorf("more than %d bytes, over the limit for archives", c.lim.maxArchive)
		case size < 0:
			size = n
		case n != size:
			return summary{}, fmt.Errorf("reading: %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
		}
		ra = tmp
	}
	ext, _ := archiveExt(p)
	w := newWalker(ctx, c.lim)
	a := ref{base: path.Base(p), ext: ext, sha1: hex.EncodeToString(h.Sum(nil))}
	if err := w.walk(ra, size, a, 0); err != nil {
		return summary{}, err
	}
	return w.finish(), nil
}

// Catalog implements catalog.Cataloger. Each package is located at its
// top-level archive; JavaMetadata.VirtualPath says where inside it.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	warn := in.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if in.Extracted == nil {
		return nil, nil
	}
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, ok := in.Extracted(p)
		if !ok {
			continue
		}
		loc := "/" + p
		var s summary
		if err := json.Unmarshal(data, &s); err != nil {
			warn(fmt.Sprintf("%s: %s: extracted summary unreadable: %v", c.Name(), loc, err))
			continue
		}
		for _, m := range s.Warnings {
			warn(fmt.Sprintf("%s: %s: %s", c.Name(), loc, m))
		}
		for _, a := range s.Artifacts {
			pkgs = append(pkgs, c.pkg(loc, a))
		}
	}
	return mergeSorted(pkgs), nil
}

func (c *Cataloger) pkg(loc string, a artifact) sbom.Package {
	name := a.ArtifactID
	if a.Group != "" {
		name = a.Group + ":" + a.ArtifactID
	}
	vpath := loc
	if a.Path != "" {
		vpath = loc + ":" + a.Path
	}
	return sbom.Package{
		Ecosystem: sbom.Maven,
		Name:      name,
		Version:   a.Version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeMaven, a.Group, a.ArtifactID, a.Version, nil, "").ToString(),
		Licenses:  bundleLicenses(a.License),
		Locations: []string{loc},
		FoundBy:   c.Name(),
		Java: &sbom.JavaMetadata{
			GroupID:     a.Group,
			ArtifactID:  a.ArtifactID,
			VirtualPath: vpath,
			From:        a.From,
			SHA1:        a.SHA1,
		},
	}
}

// mergeSorted sorts packages by name, version and location, and merges
// those found more than once in the same top-level archive (a jar nested
// twice, an artifact both shaded and nested), keeping the least nested.
func mergeSorted(pkgs []sbom.Package) []sbom.Package {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Locations[0], b.Locations[0]),
			cmp.Compare(strings.Count(a.Java.VirtualPath, ":"), strings.Count(b.Java.VirtualPath, ":")),
			cmp.Compare(a.Java.VirtualPath, b.Java.VirtualPath),
			cmp.Compare(a.Java.From, b.Java.From),
		)
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 {
			q := &out[n-1]
			if q.Name == p.Name && q.Version == p.Version && q.Locations[0] == p.Locations[0] {
				if q.Licenses == nil {
					q.Licenses = p.Licenses
				}
				if q.Java.SHA1 == "" && q.Java.VirtualPath == p.Java.VirtualPath {
					q.Java.SHA1 = p.Java.SHA1
				}
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
