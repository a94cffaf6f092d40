package images

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/store"
)

// LayerCache keeps a catalog.Cache's entries in the store's blobs table,
// so every replica on one database shares them: a layer walked by one
// replica is a hit for all, whichever image brings it.
type LayerCache struct {
	st  *store.Store
	log *slog.Logger
}

var _ catalog.CachePruner = (*LayerCache)(nil)

// NewLayerCache returns a cache store in st's blobs, under the cache's
// own keys ("layer/<hex>", "imagestack/<hex>"); log (nil: none) is told
// of failed reads, which are misses.
func NewLayerCache(st *store.Store, log *slog.Logger) *LayerCache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LayerCache{st: st, log: log}
}

// Get returns the entry under key; a failed read is a miss.
func (c *LayerCache) Get(ctx context.Context, key string) ([]byte, bool) {
	b, ok, err := c.st.GetBlob(ctx, key)
	if err != nil {
		c.log.Warn("layer cache: read failed", "key", key, "err", err)
		return nil, false
	}
	return b, ok
}

// Put replaces the entry under key. The store keeps the first blob
// written under a key, so a damaged entry, which the cache read as a
// miss, is deleted first; a reader in between sees a miss.
func (c *LayerCache) Put(ctx context.Context, key string, data []byte) error {
	if err := c.st.DeleteBlob(ctx, key); err != nil {
		return err
	}
	return c.st.PutBlob(ctx, key, data)
}

// Prune deletes the layer walks unused since before (store.PruneBlobs).
func (c *LayerCache) Prune(ctx context.Context, before time.Time) (int, error) {
	n, err := c.st.PruneBlobs(ctx, catalog.LayerKeyPrefix, before)
	return int(n), err
}
