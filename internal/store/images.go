package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

const imageCols = `id, digest, repository, tag, reference, origin, distro, base_source, base_name, base_digest, base_layers,
	layers, packages, registered_at, indexed_at, assessed_at, db_version,
	n_critical, n_high, n_medium, n_low, n_negligible, n_unknown, n_fixable, n_kev, max_severity, size`

type rowScanner interface{ Scan(dest ...any) error }

func scanImage(r rowScanner) (int64, Image, error) {
	var im Image
	var id, reg, idx, ass int64
	var digest, base, origin string
	var baseDigest string
	var maxSev int
	err := r.Scan(&id, &digest, &im.Repository, &im.Tag, &im.Reference, &origin, &im.Distro,
		&base, &im.Base.Name, &baseDigest, &im.Base.Layers,
		&im.Layers, &im.Packages, &reg, &idx, &ass, &im.DBVersion,
		&im.Summary.Critical, &im.Summary.High, &im.Summary.Medium, &im.Summary.Low, &im.Summary.Negligible,
		&im.Summary.Unknown, &im.Summary.Fixable, &im.Summary.KEV, &maxSev, &im.Size)
	if err != nil {
		return 0, im, err
	}
	im.Digest = sbom.Digest(digest)
	im.Origin = Origin(origin)
	im.Base.Source = sbom.BaseSource(base)
	im.Base.Digest = sbom.Digest(baseDigest)
	im.Summary.Max = advisory.Severity(maxSev)
	im.Registered, im.Indexed, im.Assessed = fromMS(reg), fromMS(idx), fromMS(ass)
	return id, im, nil
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	zdecs   = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		return d
	}}
)

func compress(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return zenc.EncodeAll(b, make([]byte, 0, len(b)/4)), nil
}

func decompress(b []byte, v any) error {
	d := zdecs.Get().(*zstd.Decoder)
	defer zdecs.Put(d)
	raw, err := d.DecodeAll(b, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// packageID is the reverse index's id of a package: a hash of the fields
// that make two images' packages the same one.
func packageID(distro string, p *sbom.Package) int64 {
	h := fnv.New64a()
	for _, s := range []string{distro, string(p.Ecosystem), p.Name, p.Version, p.SourceName, p.SourceVersion, p.PURL, p.Arch} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64() & (1<<63 - 1))
}

// PURLBase is a PURL without its version, qualifiers and subpath: the key
// GET /v1/packages?purl= looks up.
func PURLBase(purl string) string {
	purl, _, _ = strings.Cut(purl, "#")
	purl, _, _ = strings.Cut(purl, "?")
	if i := strings.LastIndexByte(purl, '@'); i > strings.LastIndexByte(purl, '/') {
		purl = purl[:i]
	}
	return purl
}

func distroOf(inv *sbom.Inventory) string {
	if inv.Distro == nil {
		return ""
	}
	return inv.Distro.Release()
}

// PutImage stores an image's inventory and its rows of the reverse index,
// replacing what was stored for the same digest.
func (s *Store) PutImage(ctx context.Context, n *NewImage) (Image, error) {
	ims, err := s.PutImages(ctx, []*NewImage{n})
	if err != nil {
		return Image{}, err
	}
	return ims[0], nil
}

// pkgRow is one package of an image for the reverse index.
type pkgRow struct {
	id    int64
	p     *sbom.Package
	dkey  string
	layer int
	base  bool
	keys  func(inv *sbom.Inventory, p *sbom.Package) []Key
	inv   *sbom.Inventory
}

// prepared is one image of a PutImages batch, encoded outside the
// transaction.
type prepared struct {
	n     *NewImage
	blob  []byte
	ids   []byte // encodeIDs of the package ids
	posts []byte // encodePostings of the image's postings
	rows  []pkgRow
	size  int64
}

func prepare(n *NewImage) (*prepared, error) {
	if n.Digest == "" || n.Inventory == nil {
		return nil, errors.New("store: PutImage: digest and inventory are required")
	}
	inv := n.Inventory
	blob, err := compress(inv)
	if err != nil {
		return nil, fmt.Errorf("store: %s: encoding inventory: %w", n.Digest, err)
	}
	dkey := DistroKey(inv.Distro)
	rows := make([]pkgRow, 0, len(inv.Packages))
	seen := make(map[int64]bool, len(inv.Packages))
	for i := range inv.Packages {
		p := &inv.Packages[i]
		id := packageID(dkey, p)
		if seen[id] {
			continue
		}
		seen[id] = true
		rows = append(rows, pkgRow{id: id, p: p, dkey: dkey, layer: p.Layer.Index, base: p.InBase, keys: n.Keys, inv: inv})
	}
	ids := make([]int64, len(rows))
	posts := make([]Posting, len(rows))
	for i, r := range rows {
		ids[i] = r.id
		posts[i] = Posting{PackageID: r.id, LayerIndex: r.layer, InBase: r.base}
	}
	slices.Sort(ids)
	return &prepared{n: n, blob: blob, ids: encodeIDs(ids), posts: encodePostings(posts), rows: rows, size: int64(len(blob)) + int64(len(rows))*40}, nil
}

// PutImages stores several images in one transaction: what PutImage does
// for each, with the cost of a commit and of the shared index pages paid
// once for the batch. The batch applies entirely or not at all.
func (s *Store) PutImages(ctx context.Context, ns []*NewImage) ([]Image, error) {
	ps := make([]*prepared, len(ns))
	for i, n := range ns {
		p, err := prepare(n)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	var out []Image
	var err error
	for attempt := range 3 {
		out, err = s.putImages(ctx, ps)
		// Two batches storing the same new digest, or (PostgreSQL) a
		// serialisation conflict: the loser tries again and finds the row.
		if err == nil || ctx.Err() != nil || !(s.dialect.isUnique(err) || isRetryable(err)) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return out, err
}

func isRetryable(err error) bool {
	m := err.Error()
	return strings.Contains(m, "SQLSTATE 40P01") || strings.Contains(m, "SQLSTATE 40001")
}

func (s *Store) putImages(ctx context.Context, ps []*prepared) ([]Image, error) {
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(ps))
	for i, p := range ps {
		if ids[i], err = s.putImageRow(ctx, tx, p, now); err != nil {
			return nil, err
		}
	}

	// Shared package rows of the whole batch, once each, in id order:
	// concurrent writers take their locks in one order (no deadlock).
	var all []pkgRow
	seen := map[int64]bool{}
	for _, p := range ps {
		for _, r := range p.rows {
			if !seen[r.id] {
				seen[r.id] = true
				all = append(all, r)
			}
		}
	}
	slices.SortFunc(all, func(a, b pkgRow) int { return cmp.Compare(a.id, b.id) })
	// Package rows are never deleted, so one this process saw committed
	// exists: only the others are inserted.
	all = slices.DeleteFunc(all, func(r pkgRow) bool { return s.known.has(r.id) })
	created := map[int64]bool{}
	const pcols = 10
	for start := 0; start < len(all); start += 500 {
		chunk := all[start:min(start+500, len(all))]
		args := make([]any, 0, len(chunk)*pcols)
		for _, r := range chunk {
			p := r.p
			args = append(args, r.id, r.dkey, string(p.Ecosystem), p.Name, p.Version, p.SourceName, p.SourceVersion, p.PURL, PURLBase(p.PURL), p.Arch)
		}
		q := `INSERT INTO packages (id, distro, ecosystem, name, version, source_name, source_version, purl, purl_base, arch) VALUES ` +
			values(len(chunk), pcols) + ` ON CONFLICT (id) DO NOTHING RETURNING id`
		rs, err := tx.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var pid int64
			if err := rs.Scan(&pid); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			created[pid] = true
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	var kargs []any
	nk := 0
	flushKeys := func() error {
		if nk == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO package_keys (ecosystem, name, package_id) VALUES `+values(nk, 3)+` ON CONFLICT DO NOTHING`), kargs...)
		kargs, nk = kargs[:0], 0
		return err
	}
	for _, r := range all {
		if !created[r.id] || r.keys == nil {
			continue
		}
		for _, k := range r.keys(r.inv, r.p) {
			kargs = append(kargs, k.Ecosystem, k.Name, r.id)
			nk++
			if nk == 500 {
				if err := flushKeys(); err != nil {
					return nil, s.wrap(err)
				}
			}
		}
	}
	if err := flushKeys(); err != nil {
		return nil, s.wrap(err)
	}

	// The images' postings wait in image_data.pending for the next
	// batch of IndexPending (or the image's first assessment): written
	// here, they would touch the index's pages once per image.
	for _, p := range ps {
		if p.n.Job != nil {
			if err := s.enqueueTx(ctx, tx, *p.n.Job); err != nil {
				return nil, err
			}
		}
	}
	out := make([]Image, len(ps))
	for i, id := range ids {
		if out[i], err = s.imageTx(ctx, tx, `id = ?`, id); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.wrap(err)
	}
	for _, r := range all {
		s.known.add(r.id)
	}
	return out, nil
}

// knownIDs is a bounded set of package ids known to have a property that
// never goes away (stored; evaluated).
type knownIDs struct {
	mu  sync.RWMutex
	ids map[int64]struct{}
}

const maxKnown = 1 << 21

func (k *knownIDs) has(id int64) bool {
	k.mu.RLock()
	_, ok := k.ids[id]
	k.mu.RUnlock()
	return ok
}

func (k *knownIDs) add(id int64) {
	k.mu.Lock()
	if k.ids == nil || len(k.ids) >= maxKnown {
		k.ids = make(map[int64]struct{}, 1024)
	}
	k.ids[id] = struct{}{}
	k.mu.Unlock()
}

var errExists = errors.New("exists")

// putImageRow inserts or updates an image's row and inventory, dropping
// its old postings; it returns the image's id.
func (s *Store) putImageRow(ctx context.Context, tx *sql.Tx, p *prepared, now time.Time) (int64, error) {
	n, inv := p.n, p.n.Inventory
	distro := distroOf(inv)
	b := inv.BaseImage
	// Insert, or find the row another registration of the digest made
	// (on PostgreSQL the insert waits for a concurrent one to commit).
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO images (digest, repository, tag, reference, origin, distro,
		base_source, base_name, base_digest, base_layers, layers, packages, registered_at, indexed_at, size, posted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (digest) DO NOTHING RETURNING id`),
		string(n.Digest), n.Repository, n.Tag, n.Reference, string(n.Origin), distro,
		string(b.Source), b.Name, string(b.Digest), b.Layers, len(inv.Layers), len(inv.Packages),
		now.UnixMilli(), now.UnixMilli(), p.size).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM images WHERE digest = ?`), string(n.Digest)).Scan(&id)
		if err == nil {
			err = errExists
		}
	}
	switch {
	case err == nil:
	case !errors.Is(err, errExists):
		return 0, s.wrap(err)
	default:
		// A re-registration may name the image differently; keep the
		// names it had when the new one is empty.
		_, err = tx.ExecContext(ctx, s.q(`UPDATE images SET
			repository = CASE WHEN ? = '' THEN repository ELSE ? END,
			tag = CASE WHEN ? = '' THEN tag ELSE ? END,
			reference = CASE WHEN ? = '' THEN reference ELSE ? END,
			origin = ?, distro = ?, base_source = ?, base_name = ?, base_digest = ?, base_layers = ?,
			layers = ?, packages = ?, indexed_at = ?, size = ?, posted = 0 WHERE id = ?`),
			n.Repository, n.Repository, n.Tag, n.Tag, n.Reference, n.Reference,
			string(n.Origin), distro, string(b.Source), b.Name, string(b.Digest), b.Layers,
			len(inv.Layers), len(inv.Packages), now.UnixMilli(), p.size, id)
		if err != nil {
			return 0, s.wrap(err)
		}
		if err := s.deletePostings(ctx, tx, id); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE image_data SET inventory = ?, packages = ?, pending = ? WHERE image_id = ?`), p.blob, p.ids, p.posts, id)
	if err != nil {
		return 0, s.wrap(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO image_data (image_id, inventory, packages, pending) VALUES (?, ?, ?, ?)`), id, p.blob, p.ids, p.posts); err != nil {
			return 0, s.wrap(err)
		}
	}
	return id, nil
}

// values returns "(?, ?), (?, ?)" for n rows of cols columns.
func values(n, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(one) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) imageTx(ctx context.Context, q querier, where string, arg any) (Image, error) {
	_, im, err := scanImage(q.QueryRowContext(ctx, s.q(`SELECT `+imageCols+` FROM images WHERE `+where), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, fmt.Errorf("%w: image %v", ErrNotFound, arg)
	}
	if err != nil {
		return Image{}, s.wrap(err)
	}
	return im, nil
}

// Image returns the stored image of a digest.
func (s *Store) Image(ctx context.Context, digest sbom.Digest) (Image, error) {
	return s.imageTx(ctx, s.db, `digest = ?`, string(digest))
}

// Inventory returns the stored inventory of an image.
func (s *Store) Inventory(ctx context.Context, digest sbom.Digest) (*sbom.Inventory, error) {
	var blob []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT d.inventory FROM images i JOIN image_data d ON d.image_id = i.id WHERE i.digest = ?`), string(digest)).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: image %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	var inv sbom.Inventory
	if err := decompress(blob, &inv); err != nil {
		return nil, fmt.Errorf("store: image %s: damaged inventory: %w", digest, err)
	}
	return &inv, nil
}

// DeleteImage removes an image, its data and its rows of the reverse
// index. Shared package rows stay: other images may hold them.
func (s *Store) DeleteImage(ctx context.Context, digest sbom.Digest) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM images WHERE digest = ?`), string(digest)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: image %s", ErrNotFound, digest)
	}
	if err != nil {
		return s.wrap(err)
	}
	if err := s.deletePostings(ctx, tx, id); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM image_data WHERE image_id = ?`, `DELETE FROM images WHERE id = ?`} {
		if _, err := tx.ExecContext(ctx, s.q(q), id); err != nil {
			return s.wrap(err)
		}
	}
	return s.wrap(tx.Commit())
}

// ListImages returns one page of images matching f, newest registration
// first.
func (s *Store) ListImages(ctx context.Context, f ImageFilter) (ImagePage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	var where []string
	var args []any
	if f.After != "" {
		after, err := decodeCursor(f.After)
		if err != nil {
			return ImagePage{}, err
		}
		where, args = append(where, "id < ?"), append(args, after)
	}
	if r := f.Repository; r != "" {
		if prefix, ok := strings.CutSuffix(r, "*"); ok {
			where, args = append(where, `repository LIKE ? ESCAPE '\'`), append(args, likeEscape(prefix)+"%")
		} else {
			where, args = append(where, "repository = ?"), append(args, r)
		}
	}
	if f.MinSeverity > advisory.SeverityUnknown {
		where, args = append(where, "max_severity >= ?"), append(args, int(f.MinSeverity))
	}
	if f.Fixable {
		where = append(where, "n_fixable > 0")
	}
	if f.KEV {
		where = append(where, "n_kev > 0")
	}
	if f.Base != "" {
		where, args = append(where, "base_name = ?"), append(args, f.Base)
	}
	if !f.AssessedBefore.IsZero() {
		where, args = append(where, "assessed_at < ?"), append(args, f.AssessedBefore.UnixMilli())
	}
	q := `SELECT ` + imageCols + ` FROM images`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit+1)
	rs, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return ImagePage{}, s.wrap(err)
	}
	defer rs.Close()
	var page ImagePage
	var last int64
	for rs.Next() {
		id, im, err := scanImage(rs)
		if err != nil {
			return ImagePage{}, s.wrap(err)
		}
		if len(page.Images) == limit {
			page.Next = encodeCursor(last)
			break
		}
		page.Images = append(page.Images, im)
		last = id
	}
	return page, s.wrap(rs.Err())
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i" + strconv.FormatInt(id, 10)))
}

// ErrBadCursor: a pagination cursor this store did not hand out.
var ErrBadCursor = errors.New("store: bad page cursor")

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 || b[0] != 'i' {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, c)
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, c)
	}
	return id, nil
}

// wrap names the database in an error; nil stays nil.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store: %s: %w", s.dsn, err)
}

// encodeIDs packs package ids, 8 bytes each, little-endian.
func encodeIDs(ids []int64) []byte {
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(id))
	}
	return b
}

func decodeIDs(b []byte) ([]int64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("package list of %d bytes", len(b))
	}
	ids := make([]int64, len(b)/8)
	for i := range ids {
		ids[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return ids, nil
}

// imagePackageIDs returns the ids of an image's packages.
func (s *Store) imagePackageIDs(ctx context.Context, q querier, imageID int64) ([]int64, error) {
	var b []byte
	err := q.QueryRowContext(ctx, s.q(`SELECT packages FROM image_data WHERE image_id = ?`), imageID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := decodeIDs(b)
	if err != nil {
		return nil, fmt.Errorf("store: image %d: damaged %w", imageID, err)
	}
	return ids, nil
}

// deletePostings removes an image's rows of the reverse index.
func (s *Store) deletePostings(ctx context.Context, tx *sql.Tx, imageID int64) error {
	ids, err := s.imagePackageIDs(ctx, tx, imageID)
	if err != nil {
		return err
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM image_packages WHERE image_id = ? AND package_id IN (`+placeholders(len(chunk))+`)`),
			append([]any{imageID}, int64Args(chunk)...)...); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}
