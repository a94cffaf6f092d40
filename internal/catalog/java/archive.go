package java

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
)

// limits bound the work and memory one top-level archive may cost. They
// are fields rather than constants so that tests can reach every branch
// with small inputs.
type limits struct {
	// maxArchive refuses larger top-level files in Wants.
	maxArchive int64
	// memSpool: archives (top-level or nested) up to this size are read
	// into memory, larger ones into a temporary file.
	memSpool int64
	// memNested bounds the memory held at once by nested archives read
	// into memory (a chain of nested archives is held while it is read).
	memNested int64
	// maxDepth is the deepest nesting read: 1 is BOOT-INF/lib/x.jar.
	maxDepth int
	// maxBytes bounds the bytes decompressed from one top-level archive,
	// nested archives and metadata entries together.
	maxBytes int64
	// maxEntries bounds the central-directory entries read from one
	// top-level archive and everything nested in it.
	maxEntries int
	// maxDir bounds the bytes of one central directory, before
	// archive/zip builds an entry for each record of it.
	maxDir int64
	// maxMeta bounds one MANIFEST.MF or pom.properties.
	maxMeta int64
	// maxRatio is the compression ratio above which a large entry is
	// taken for a zip bomb.
	maxRatio uint64
	// maxArtifacts and maxWarnings bound what one archive reports.
	maxArtifacts int
	maxWarnings  int
}

func defaultLimits() limits {
	return limits{
		maxArchive:   2 << 30,
		memSpool:     32 << 20,
		memNested:    64 << 20,
		maxDepth:     4,
		maxBytes:     1 << 30,
		maxEntries:   1 << 20,
		maxDir:       32 << 20,
		maxMeta:      1 << 20,
		maxRatio:     200,
		maxArtifacts: 10_000,
		maxWarnings:  20,
	}
}

// bombFloor is the size under which an entry's compression ratio is not
// looked at: small highly compressible files are common and harmless.
const bombFloor = 1 << 20

// errDirTooBig stops archive/zip from reading a central directory larger
// than limits.maxDir.
var errDirTooBig = errors.New("central directory too large")

// summary is what Extract keeps of an archive: its artifacts and the
// problems met, which Catalog reports against the file's final path.
type summary struct {
	Artifacts []artifact `json:"a,omitempty"`
	Warnings  []string   `json:"w,omitempty"`
}

// artifact is one package found in an archive.
type artifact struct {
	Group      string `json:"g,omitempty"`
	ArtifactID string `json:"a"`
	Version    string `json:"v"`
	// Path is the chain of nested archives inside the top-level one,
	// "BOOT-INF/lib/x.jar" or "a.war:WEB-INF/lib/b.jar"; empty for the
	// top-level archive itself.
	Path string `json:"p,omitempty"`
	From string `json:"f"`
	SHA1 string `json:"s,omitempty"`
	// License is the Bundle-License header, verbatim.
	License string `json:"l,omitempty"`
}

// walker reads one top-level archive and the archives nested in it.
type walker struct {
	ctx         context.Context
	lim         limits
	bytesLeft   int64
	entriesLeft int
	memUsed     int64
	sum         summary
	dropped     int
	tooMany     bool
}

func newWalker(ctx context.Context, lim limits) *walker {
	return &walker{ctx: ctx, lim: lim, bytesLeft: lim.maxBytes, entriesLeft: lim.maxEntries}
}

func (w *walker) warn(vpath, format string, args ...any) {
	if len(w.sum.Warnings) >= w.lim.maxWarnings {
		w.dropped++
		return
	}
	msg := fmt.Sprintf(format, args...)
	if vpath != "" {
		msg = vpath + ": " + msg
	}
	w.sum.Warnings = append(w.sum.Warnings, msg)
}

func (w *walker) finish() summary {
	if w.dropped > 0 {
		w.sum.Warnings = append(w.sum.Warnings, fmt.Sprintf("%d more warnings not shown", w.dropped))
	}
	return w.sum
}

// ref describes the archive being read.
type ref struct {
	base  string // file name, for the name-version guess
	ext   string // lower-case extension
	vpath string // chain inside the top-level archive; "" for itself
	sha1  string
}

// dirLimit lets archive/zip read at most left bytes while it loads the
// central directory; afterwards left is set to -1 and reads pass through.
// Reads in the last 65 KiB are free: that is where archive/zip looks for
// the end-of-directory record, and it is bounded.
type dirLimit struct {
	r    io.ReaderAt
	left int64
	free int64
}

// eocdSearch is how far from the end archive/zip looks for the
// end-of-directory record.
const eocdSearch = 65 << 10

func (d *dirLimit) ReadAt(p []byte, off int64) (int, error) {
	if d.left >= 0 && off < d.free {
		if int64(len(p)) > d.left {
			return 0, errDirTooBig
		}
		d.left -= int64(len(p))
	}
	return d.r.ReadAt(p, off)
}

// walk reads one archive: its central directory, its MANIFEST.MF, its
// pom.properties files and, recursively, the archives nested in it. Only
// those entries are decompressed. Problems become warnings; the error is
// the context's.
func (w *walker) walk(ra io.ReaderAt, size int64, a ref, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	// bufio reads the directory 4 KiB at a time.
	dl := &dirLimit{r: ra, left: w.lim.maxDir + 4096, free: size - eocdSearch}
	zr, err := zip.NewReader(dl, size)
	dl.left = -1
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, errDirTooBig) {
			w.warn(a.vpath, "central directory larger than %d bytes: not read", w.lim.maxDir)
		} else {
			w.warn(a.vpath, "not a readable zip archive: %v", err)
		}
		return nil
	}
	if len(zr.File) > w.entriesLeft {
		if w.entriesLeft >= 0 {
			w.warn(a.vpath, "more than %d archive entries in all: the rest not read", w.lim.maxEntries)
			// Said once: later archives are skipped in silence.
			w.entriesLeft = -1
		}
		return nil
	}
	w.entriesLeft -= len(zr.File)
	var (
		mf     *zip.File
		poms   []*zip.File
		nested []*zip.File
	)
	for i, f := range zr.File {
		if i%4096 == 4095 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		name := f.Name
		switch {
		case strings.HasSuffix(name, "/"):
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			if mf == nil {
				mf = f
			}
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			poms = append(poms, f)
		default:
			if _, ok := archiveExt(name); ok {
				nested = append(nested, f)
			}
		}
	}

	var m manifest
	if mf != nil {
		if data, ok := w.readMeta(mf, a.vpath); ok {
			var perr error
			m, perr = parseManifest(data)
			if perr != nil {
				w.warn(a.vpath, "%s: %v", mf.Name, perr)
			}
		}
	}
	if m.main == nil {
		m.main = map[string]string{}
	}
	var found []pom
	for _, f := range poms {
		data, ok := w.readMeta(f, a.vpath)
		if !ok {
			continue
		}
		p, ok := readPom(f.Name, data)
		if !ok {
			w.warn(a.vpath, "%s: no usable artifactId and version", f.Name)
			continue
		}
		found = append(found, p)
	}
	w.identify(a, &m, mf != nil, found)

	for _, f := range nested {
		if err := w.nested(f, a, depth); err != nil {
			return err
		}
	}
	return nil
}

// identify records the archive's own package and the packages shaded
// into it.
func (w *walker) identify(a ref, m *manifest, hasManifest bool, poms []pom) {
	own := ownPom(poms, a.base, m, isPluginExt(a.ext))
	lic := m.main["bundle-license"]
	for i, p := range poms {
		art := artifact{Group: p.group, ArtifactID: p.artifactID, Version: p.version, Path: a.vpath, From: fromPom}
		if i == own {
			art.SHA1, art.License = a.sha1, lic
		}
		w.add(a.vpath, art)
	}
	if own >= 0 {
		return
	}
	g, id, v, from, ok := archiveIdentity(a.base, m, a.ext, hasManifest)
	if !ok {
		return
	}
	w.add(a.vpath, artifact{Group: g, ArtifactID: id, Version: v, Path: a.vpath, From: from, SHA1: a.sha1, License: lic})
}

func (w *walker) add(vpath string, art artifact) {
	if len(w.sum.Artifacts) >= w.lim.maxArtifacts {
		if !w.tooMany {
			w.tooMany = true
			w.warn(vpath, "more than %d artifacts: the rest not reported", w.lim.maxArtifacts)
		}
		return
	}
	w.sum.Artifacts = append(w.sum.Artifacts, art)
}

// readMeta reads a small metadata entry whole.
func (w *walker) readMeta(f *zip.File, vpath string) ([]byte, bool) {
	if f.UncompressedSize64 > uint64(w.lim.maxMeta) {
		w.warn(vpath, "%s: %d bytes, over the %d-byte limit: not read", f.Name, f.UncompressedSize64, w.lim.maxMeta)
		return nil, false
	}
	if !w.charge(f, vpath) {
		return nil, false
	}
	rc, err := f.Open()
	if err != nil {
		w.warn(vpath, "%s: %v", f.Name, err)
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, w.lim.maxMeta))
	if err != nil {
		w.warn(vpath, "%s: %v", f.Name, err)
		return nil, false
	}
	return data, true
}

// charge takes an entry's declared size from the decompression budget,
// refusing entries that would exceed it or whose compression ratio is a
// zip bomb's. archive/zip fails a read that goes past the declared size,
// so the declaration binds.
func (w *walker) charge(f *zip.File, vpath string) bool {
	n := f.UncompressedSize64
	if n > uint64(w.bytesLeft) {
		w.warn(vpath, "%s: %d bytes would exceed the %d-byte decompression budget of the archive (zip bomb?): not read", f.Name, n, w.lim.maxBytes)
		return false
	}
	if f.Method != zip.Store && n > bombFloor && (f.CompressedSize64 == 0 || n/f.CompressedSize64 > w.lim.maxRatio) {
		w.warn(vpath, "%s: compression ratio over %d:1 (zip bomb?): not read", f.Name, w.lim.maxRatio)
		return false
	}
	w.bytesLeft -= int64(n)
	return true
}

// nested reads an archive entry into memory or a temporary file and walks
// it.
func (w *walker) nested(f *zip.File, parent ref, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	vpath := f.Name
	if parent.vpath != "" {
		vpath = parent.vpath + ":" + f.Name
	}
	if depth+1 > w.lim.maxDepth {
		w.warn(vpath, "nested more than %d archives deep: not read", w.lim.maxDepth)
		return nil
	}
	if !w.charge(f, parent.vpath) {
		return nil
	}
	ext, _ := archiveExt(f.Name)
	a := ref{base: path.Base(f.Name), ext: ext, vpath: vpath}
	rc, err := f.Open()
	if err != nil {
		w.warn(vpath, "%v", err)
		return nil
	}
	defer rc.Close()
	size := int64(f.UncompressedSize64)
	in := &ctxReader{ctx: w.ctx, r: rc}
	h := sha1.New()
	if size <= w.lim.memSpool && w.memUsed+size <= w.lim.memNested {
		buf := make([]byte, size)
		if _, err := io.ReadFull(io.TeeReader(in, h), buf); err != nil {
			if ctxErr := w.ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			w.warn(vpath, "reading: %v", err)
			return nil
		}
		a.sha1 = hex.EncodeToString(h.Sum(nil))
		w.memUsed += size
		defer func() { w.memUsed -= size }()
		return w.walk(bytes.NewReader(buf), size, a, depth+1)
	}
	tmp, n, err := spoolFile(in, size, h)
	if err == nil && n != size {
		removeTemp(tmp)
		err = fmt.Errorf("%d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
	}
	if err != nil {
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		w.warn(vpath, "reading: %v", err)
		return nil
	}
	defer removeTemp(tmp)
	a.sha1 = hex.EncodeToString(h.Sum(nil))
	return w.walk(tmp, size, a, depth+1)
}

// spoolFile copies at most max bytes of r into a new temporary file,
// hashing them on the way, and returns the file and the bytes copied. The
// caller removes it with removeTemp.
func spoolFile(r io.Reader, max int64, h hash.Hash) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "vigil-java-*.zip")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max))
	if err != nil {
		removeTemp(f)
		return nil, 0, err
	}
	return f, n, nil
}

func removeTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
