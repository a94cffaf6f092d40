package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/sbom"
)

// cacheFormat is bumped when the encoding of cached entries changes.
const cacheFormat = 1

// Cache keeps the result of walking a layer, keyed by the layer's diffID
// and the names and versions of the catalogers that chose its files, so an
// image sharing layers with one already seen walks only its own layers. It
// also remembers the layer stack of every image seen, which resolves base
// image annotations. Entries are written atomically; a damaged entry is a
// miss, never an error.
type Cache struct {
	dir string
}

// OpenCache returns a cache rooted at dir, creating it when missing.
func OpenCache(dir string) (*Cache, error) {
	for _, sub := range []string{"layers", "images"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("cache %s: %w", dir, err)
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// catalogersKey names the set of catalogers, in order, by name@version.
func catalogersKey(cs []Cataloger) string {
	var sb strings.Builder
	sb.WriteString("format=" + strconv.Itoa(cacheFormat))
	for _, c := range cs {
		sb.WriteString(";" + c.Name() + "@" + strconv.Itoa(c.Version()))
	}
	return sb.String()
}

func (c *Cache) layerPath(diffID sbom.Digest, key string) string {
	h := sha256.Sum256([]byte(string(diffID) + "\n" + key))
	return filepath.Join(c.dir, "layers", hex.EncodeToString(h[:])+".gob.zst")
}

// getLayer returns the cached index of a layer, or nil.
func (c *Cache) getLayer(diffID sbom.Digest, key string) *layerfs.Index {
	if c == nil || diffID == "" {
		return nil
	}
	f, err := os.Open(c.layerPath(diffID, key))
	if err != nil {
		return nil
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil
	}
	defer zr.Close()
	var ix layerfs.Index
	if err := gob.NewDecoder(zr).Decode(&ix); err != nil {
		return nil
	}
	if ix.Files == nil {
		ix.Files = map[string]*layerfs.File{}
	}
	return &ix
}

// putLayer stores a layer index; failures only cost a future walk.
func (c *Cache) putLayer(diffID sbom.Digest, key string, ix *layerfs.Index) error {
	if c == nil || diffID == "" {
		return nil
	}
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(zw).Encode(ix); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(c.layerPath(diffID, key), &buf)
}

func writeAtomic(name string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// imageRecord is what the cache remembers of an image.
type imageRecord struct {
	Reference string        `json:"reference"`
	DiffIDs   []sbom.Digest `json:"diffIDs"`
}

func (c *Cache) imagePath(manifest sbom.Digest) (string, error) {
	if manifest.Algorithm() != "sha256" || len(manifest.Hex()) != 64 {
		return "", errors.New("not a sha256 digest")
	}
	if _, err := hex.DecodeString(manifest.Hex()); err != nil {
		return "", err
	}
	return filepath.Join(c.dir, "images", manifest.Hex()+".json"), nil
}

// rememberImage records an image's layer stack by manifest digest.
func (c *Cache) rememberImage(manifest sbom.Digest, ref string, diffIDs []sbom.Digest) error {
	if c == nil || manifest == "" {
		return nil
	}
	p, err := c.imagePath(manifest)
	if err != nil {
		return nil
	}
	b, err := json.Marshal(imageRecord{Reference: ref, DiffIDs: diffIDs})
	if err != nil {
		return err
	}
	return writeAtomic(p, bytes.NewReader(b))
}

// imageDiffIDs returns the remembered layer stack of an image.
func (c *Cache) imageDiffIDs(manifest sbom.Digest) ([]sbom.Digest, bool) {
	if c == nil {
		return nil, false
	}
	p, err := c.imagePath(manifest)
	if err != nil {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var rec imageRecord
	if json.Unmarshal(b, &rec) != nil || len(rec.DiffIDs) == 0 {
		return nil, false
	}
	return rec.DiffIDs, true
}
