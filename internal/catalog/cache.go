package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/sbom"
)

// cacheFormat is bumped when the encoding of cached entries changes.
const cacheFormat = 1

// Key namespaces of cache entries: "layer/<hex>" holds a layer walk,
// "imagestack/<manifest hex>" an image's layer stack.
const (
	layerNS      = "layer"
	imageStackNS = "imagestack"
)

// LayerKeyPrefix starts the keys of layer walks, the entries pruning
// deletes: image stacks are a few hundred bytes each and are what base
// image detection knows of images seen, so they are kept.
const LayerKeyPrefix = layerNS + "/"

// CacheStore holds a Cache's entries: opaque bytes under keys of the form
// "<namespace>/<lowercase hex>". Get reports false for a key with no
// entry and for an entry it cannot read. Put replaces any entry under the
// key; a reader sees the old entry, no entry or the new one, never part
// of one. The Cache checks what it reads, so a store need not.
type CacheStore interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Put(ctx context.Context, key string, data []byte) error
}

// Cache keeps the result of walking a layer, keyed by the layer's diffID
// and the names and versions of the catalogers that chose its files, so an
// image sharing layers with one already seen walks only its own layers. It
// also remembers the layer stack of every image seen, which resolves base
// image annotations. A damaged entry is a miss, never an error.
type Cache struct {
	stores       []CacheStore
	hits, misses atomic.Int64
}

// NewCache returns a cache keeping its entries in the stores given,
// nearest first: a lookup tries each in turn and copies what it finds into
// the nearer ones; an entry is written to all.
func NewCache(stores ...CacheStore) *Cache { return &Cache{stores: stores} }

// A CachePruner is a CacheStore that can delete the layer walks (the
// entries under LayerKeyPrefix) unused since a time.
type CachePruner interface {
	CacheStore
	// Prune deletes the layer walks neither written nor read since
	// before and returns how many it deleted.
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Prune deletes, in every store that can prune, the layer walks unused
// since before, and returns how many it deleted in all. An entry is used
// when it is written or read (a read renews an entry's use at most once an
// hour). Image stacks are kept (LayerKeyPrefix).
func (c *Cache) Prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	var errs []error
	for _, s := range c.stores {
		if p, ok := s.(CachePruner); ok {
			k, err := p.Prune(ctx, before)
			n += k
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return n, errors.Join(errs...)
}

// OpenCache returns a cache in the directory dir (OpenCacheDir).
func OpenCache(dir string) (*Cache, error) {
	s, err := OpenCacheDir(dir)
	if err != nil {
		return nil, err
	}
	return NewCache(s), nil
}

// OpenCacheDir returns a cache store in the directory dir, creating it
// when missing. Layer walks are files layers/<hex>.gob.zst, image stacks
// images/<manifest hex>.json, each written atomically.
func OpenCacheDir(dir string) (CacheStore, error) {
	for _, l := range dirLayout {
		if err := os.MkdirAll(filepath.Join(dir, l.sub), 0o755); err != nil {
			return nil, fmt.Errorf("cache %s: %w", dir, err)
		}
	}
	return dirStore(dir), nil
}

// CacheStats counts a cache's layer lookups since it was made; each miss
// is a layer walked.
type CacheStats struct {
	Hits, Misses int64
}

// Stats returns the cache's counts so far.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
}

// get finds the nearest entry under key that decode accepts and copies it
// into the nearer stores, which held none or a damaged one.
func (c *Cache) get(ctx context.Context, key string, decode func([]byte) bool) bool {
	for i, s := range c.stores {
		b, ok := s.Get(ctx, key)
		if !ok || !decode(b) {
			continue
		}
		for _, near := range c.stores[:i] {
			// A failed copy only costs a later lookup a trip further.
			_ = near.Put(ctx, key, b)
		}
		return true
	}
	return false
}

// put writes an entry to every store.
func (c *Cache) put(ctx context.Context, key string, b []byte) error {
	var errs []error
	for _, s := range c.stores {
		if err := s.Put(ctx, key, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// catalogersKey names the set of catalogers, in order, by name@version.
func catalogersKey(cs []Cataloger) string {
	var sb strings.Builder
	sb.WriteString("format=" + strconv.Itoa(cacheFormat))
	for _, c := range cs {
		sb.WriteString(";" + c.Name() + "@" + strconv.Itoa(c.Version()))
	}
	return sb.String()
}

func layerKey(diffID sbom.Digest, key string) string {
	h := sha256.Sum256([]byte(string(diffID) + "\n" + key))
	return layerNS + "/" + hex.EncodeToString(h[:])
}

// getLayer returns the cached index of a layer, or nil.
func (c *Cache) getLayer(ctx context.Context, diffID sbom.Digest, key string) *layerfs.Index {
	if c == nil || diffID == "" {
		return nil
	}
	var ix *layerfs.Index
	if !c.get(ctx, layerKey(diffID, key), func(b []byte) bool {
		ix = decodeLayer(b)
		return ix != nil
	}) {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return ix
}

func decodeLayer(b []byte) *layerfs.Index {
	zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1))
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
func (c *Cache) putLayer(ctx context.Context, diffID sbom.Digest, key string, ix *layerfs.Index) error {
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
	return c.put(ctx, layerKey(diffID, key), buf.Bytes())
}

// imageRecord is what the cache remembers of an image.
type imageRecord struct {
	Reference string        `json:"reference"`
	DiffIDs   []sbom.Digest `json:"diffIDs"`
}

func imageStackKey(manifest sbom.Digest) (string, error) {
	if manifest.Algorithm() != "sha256" || len(manifest.Hex()) != 64 {
		return "", errors.New("not a sha256 digest")
	}
	if _, err := hex.DecodeString(manifest.Hex()); err != nil {
		return "", err
	}
	return imageStackNS + "/" + strings.ToLower(manifest.Hex()), nil
}

// rememberImage records an image's layer stack by manifest digest.
func (c *Cache) rememberImage(ctx context.Context, manifest sbom.Digest, ref string, diffIDs []sbom.Digest) error {
	if c == nil || manifest == "" {
		return nil
	}
	k, err := imageStackKey(manifest)
	if err != nil {
		return nil
	}
	b, err := json.Marshal(imageRecord{Reference: ref, DiffIDs: diffIDs})
	if err != nil {
		return err
	}
	return c.put(ctx, k, b)
}

// imageDiffIDs returns the remembered layer stack of an image.
func (c *Cache) imageDiffIDs(ctx context.Context, manifest sbom.Digest) ([]sbom.Digest, bool) {
	if c == nil {
		return nil, false
	}
	k, err := imageStackKey(manifest)
	if err != nil {
		return nil, false
	}
	var rec imageRecord
	ok := c.get(ctx, k, func(b []byte) bool {
		rec = imageRecord{}
		return json.Unmarshal(b, &rec) == nil && len(rec.DiffIDs) > 0
	})
	if !ok {
		return nil, false
	}
	return rec.DiffIDs, true
}

// dirStore keeps entries as files in a directory, in the layout `vigil
// sbom` has always used (dirLayout).
type dirStore string

// dirLayout maps a key's namespace to its subdirectory and file suffix.
var dirLayout = map[string]struct{ sub, ext string }{
	layerNS:      {"layers", ".gob.zst"},
	imageStackNS: {"images", ".json"},
}

func (d dirStore) path(key string) (string, error) {
	ns, name, _ := strings.Cut(key, "/")
	l, ok := dirLayout[ns]
	if !ok || name == "" || strings.ToLower(name) != name {
		return "", fmt.Errorf("cache key %q: not a namespace/hex key", key)
	}
	if _, err := hex.DecodeString(name); err != nil {
		return "", fmt.Errorf("cache key %q: %w", key, err)
	}
	return filepath.Join(string(d), l.sub, name+l.ext), nil
}

// touchEvery is how stale an entry's last use (its file's modification
// time) may get before a read renews it.
const touchEvery = time.Hour

func (d dirStore) Get(_ context.Context, key string) ([]byte, bool) {
	p, err := d.path(key)
	if err != nil {
		return nil, false
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, false
	}
	if time.Since(st.ModTime()) > touchEvery {
		// A failed renewal (a read-only cache) costs at worst an early
		// prune.
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return b, true
}

// Prune deletes the layer walks unused (not written, not read) since
// before, and temporary files a killed writer left, and returns how many
// layer walks it deleted.
func (d dirStore) Prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	var errs []error
	for ns, l := range dirLayout {
		dir := filepath.Join(string(d), l.sub)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("cache %s: %w", d, err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			name := e.Name()
			tmp := strings.HasPrefix(name, ".tmp-")
			if !e.Type().IsRegular() || (!tmp && (ns != layerNS || !strings.HasSuffix(name, l.ext))) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			cutoff := before
			if tmp {
				// A writer renames its file within seconds.
				cutoff = time.Now().Add(-touchEvery)
			}
			if !info.ModTime().Before(cutoff) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				continue
			}
			if !tmp {
				n++
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("cache %s: %w", d, err)
	}
	return n, nil
}

// Put writes a temporary file beside the entry and renames it over.
func (d dirStore) Put(_ context.Context, key string, data []byte) error {
	name, err := d.path(key)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
