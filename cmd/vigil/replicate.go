package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// dbExchange keeps the replicas of one PostgreSQL store on the same
// vulnerability database: the replica that updated its database publishes
// it to the store as an export bundle; the others import it into a new file
// next to theirs and switch to it. The change log then has the same
// sequence numbers on every replica, which the monitor's cursor relies on.
type dbExchange struct {
	st  *store.Store
	adv *advisorySource
	log *slog.Logger
}

const publishedKey = "vulndb.published"

// followEvery is how often replicas look for a newer published database.
const followEvery = 5 * time.Second

func bundleKey(version int64) string { return "vulndb/bundle/" + strconv.FormatInt(version, 10) }

// publish exports the replica's database to the store when it is newer
// than the one published.
func (x *dbExchange) publish(ctx context.Context) error {
	path := x.adv.filePath()
	db, err := vulndb.Open(ctx, path, vulndb.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	ver, err := db.Version(ctx)
	if err != nil {
		return err
	}
	prev, err := x.published(ctx)
	if err != nil || ver <= prev {
		return err
	}
	var buf bytes.Buffer
	if err := db.Export(ctx, &buf); err != nil {
		return err
	}
	if err := x.st.PutBlob(ctx, bundleKey(ver), buf.Bytes()); err != nil {
		return err
	}
	if err := x.st.SetMeta(ctx, publishedKey, strconv.FormatInt(ver, 10)); err != nil {
		return err
	}
	if prev > 0 {
		if err := x.st.DeleteBlob(ctx, bundleKey(prev)); err != nil {
			return err
		}
	}
	x.log.Info("vulnerability database published to the replicas", "version", ver, "bytes", buf.Len())
	return nil
}

func (x *dbExchange) published(ctx context.Context) (int64, error) {
	v, err := x.st.Meta(ctx, publishedKey)
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// follow installs the published database when it is newer than the
// replica's.
func (x *dbExchange) follow(ctx context.Context) error {
	pub, err := x.published(ctx)
	if err != nil || pub == 0 {
		return err
	}
	var local int64
	if db := x.adv.current(); db != nil {
		if local, err = db.Version(ctx); err != nil {
			return err
		}
	}
	if pub <= local {
		return nil
	}
	data, ok, err := x.st.GetBlob(ctx, bundleKey(pub))
	if err != nil || !ok {
		return err // !ok: replaced by a newer one meanwhile; the next look finds it
	}
	base := x.adv.basePath()
	path := fmt.Sprintf("%s.v%d", base, pub)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	os.Remove(path)
	if err := vulndb.Import(ctx, bytes.NewReader(data), path); err != nil {
		return fmt.Errorf("installing the published vulnerability database %d: %w", pub, err)
	}
	if err := x.adv.switchTo(path); err != nil {
		return err
	}
	x.log.Info("vulnerability database installed from the store", "version", pub, "path", path)
	return nil
}

// run follows the published database until ctx is done.
func (x *dbExchange) run(ctx context.Context) {
	for {
		if err := x.follow(ctx); err != nil && ctx.Err() == nil {
			x.log.Warn("following the published vulnerability database failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(followEvery):
		}
	}
}

// filePath is the file the replica reads and updates now; basePath the
// configured one, next to which installed versions are written.
func (a *advisorySource) filePath() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.path
}

func (a *advisorySource) basePath() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.base == "" {
		return a.path
	}
	return a.base
}

// switchTo makes another file the replica's database.
func (a *advisorySource) switchTo(path string) error {
	db, err := vulndb.Open(context.Background(), path, vulndb.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		db.Close()
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.base == "" {
		a.base = a.path
	}
	if a.db != nil {
		a.retired = append(a.retired, a.db)
	}
	a.path, a.db, a.fi, a.checked = path, db, fi, time.Now()
	// Earlier installed files stay until the server stops: retired
	// handles may still read them.
	return nil
}
