package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// An image's postings are not written when the image is stored: they wait
// in image_data.pending until IndexPending (or the image's first
// assessment) moves many images' postings into image_packages at once.
// The index is keyed by package, so one image's postings land all over
// it; a batch of hundreds of images touches each page once for all of
// them. Readers see pending postings too (Postings), so the delay is
// never visible in an answer, and delta re-assessment only concerns
// assessed images, whose postings are always indexed.

// encodePostings encodes postings without their image: per posting the
// package id (8 bytes, little-endian), the layer index (uvarint) and the
// base flag (one byte).
func encodePostings(posts []Posting) []byte {
	b := make([]byte, 0, len(posts)*11)
	for _, p := range posts {
		b = binary.LittleEndian.AppendUint64(b, uint64(p.PackageID))
		b = binary.AppendUvarint(b, uint64(p.LayerIndex))
		b = append(b, byte(boolInt(p.InBase)))
	}
	return b
}

// decodePostings decodes what encodePostings wrote, for image.
func decodePostings(b []byte, image int64) ([]Posting, error) {
	var out []Posting
	for len(b) > 0 {
		if len(b) < 10 {
			return nil, fmt.Errorf("pending postings: %d bytes left over", len(b))
		}
		p := Posting{PackageID: int64(binary.LittleEndian.Uint64(b)), ImageID: image}
		layer, n := binary.Uvarint(b[8:])
		if n <= 0 || layer > 1<<20 || len(b) < 8+n+1 {
			return nil, errors.New("pending postings: bad layer index")
		}
		p.LayerIndex = int(layer)
		switch b[8+n] {
		case 0:
		case 1:
			p.InBase = true
		default:
			return nil, errors.New("pending postings: bad base flag")
		}
		out = append(out, p)
		b = b[8+n+1:]
	}
	return out, nil
}

type pendingImage struct {
	id    int64
	posts []byte
}

func scanPending(rs rowScanner) (pendingImage, error) {
	var p pendingImage
	err := rs.Scan(&p.id, &p.posts)
	return p, err
}

// pendingPostings returns the postings of packages in want held by images
// whose postings are not indexed yet.
func (s *Store) pendingPostings(ctx context.Context, want map[int64]bool) ([]Posting, error) {
	if len(want) == 0 {
		return nil, nil
	}
	imgs, err := collectQuery(ctx, s, `SELECT i.id, d.pending FROM images i JOIN image_data d ON d.image_id = i.id WHERE i.posted = 0`, scanPending)
	if err != nil {
		return nil, err
	}
	var out []Posting
	for _, im := range imgs {
		posts, err := decodePostings(im.posts, im.id)
		if err != nil {
			return nil, fmt.Errorf("store: image %d: %w", im.id, err)
		}
		for _, p := range posts {
			if want[p.PackageID] {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// IndexPending moves the pending postings of up to limit images into the
// reverse index in one transaction and reports how many images it took.
// Replicas may call it concurrently: each takes images the others have
// not locked.
func (s *Store) IndexPending(ctx context.Context, limit int) (int, error) {
	// Most calls find nothing: ask without taking SQLite's write lock.
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM images WHERE posted = 0 LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap(err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap(err)
	}
	defer tx.Rollback()
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = ` FOR UPDATE OF i SKIP LOCKED`
	}
	rs, err := tx.QueryContext(ctx, s.q(`SELECT i.id, d.pending FROM images i JOIN image_data d ON d.image_id = i.id
		WHERE i.posted = 0 ORDER BY i.id LIMIT ?`+lock), limit)
	imgs, err := collect(s, rs, err, scanPending)
	if err != nil || len(imgs) == 0 {
		return 0, err
	}
	if err := s.post(ctx, tx, imgs); err != nil {
		return 0, err
	}
	return len(imgs), s.wrap(tx.Commit())
}

// post writes the pending postings of images into the index and marks
// them indexed.
func (s *Store) post(ctx context.Context, tx *sql.Tx, imgs []pendingImage) error {
	var posts []Posting
	ids := make([]int64, len(imgs))
	for i, im := range imgs {
		ids[i] = im.id
		ps, err := decodePostings(im.posts, im.id)
		if err != nil {
			return fmt.Errorf("store: image %d: %w", im.id, err)
		}
		posts = append(posts, ps...)
	}
	// In index order, so that the pages are visited once, in turn.
	slices.SortFunc(posts, func(a, b Posting) int {
		return cmp.Or(cmp.Compare(a.PackageID, b.PackageID), cmp.Compare(a.ImageID, b.ImageID))
	})
	posts = slices.CompactFunc(posts, func(a, b Posting) bool { return a.PackageID == b.PackageID && a.ImageID == b.ImageID })
	if _, ok := s.dialect.(postgres); ok {
		// Four arrays instead of four parameters a row: PostgreSQL parses
		// and plans one small statement per chunk.
		for start := 0; start < len(posts); start += 20000 {
			chunk := posts[start:min(start+20000, len(posts))]
			pkg, img, layer, base := make([]int64, len(chunk)), make([]int64, len(chunk)), make([]int32, len(chunk)), make([]int32, len(chunk))
			for i, p := range chunk {
				pkg[i], img[i], layer[i], base[i] = p.PackageID, p.ImageID, int32(p.LayerIndex), int32(boolInt(p.InBase))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO image_packages (package_id, image_id, layer_index, in_base)
				SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[]) ON CONFLICT DO NOTHING`, pkg, img, layer, base); err != nil {
				return s.wrap(err)
			}
		}
	} else {
		for start := 0; start < len(posts); start += 1000 {
			chunk := posts[start:min(start+1000, len(posts))]
			args := make([]any, 0, len(chunk)*4)
			for _, p := range chunk {
				args = append(args, p.PackageID, p.ImageID, p.LayerIndex, boolInt(p.InBase))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO image_packages (package_id, image_id, layer_index, in_base) VALUES `+values(len(chunk), 4)+` ON CONFLICT DO NOTHING`, args...); err != nil {
				return s.wrap(err)
			}
		}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := int64Args(ids[start:min(start+500, len(ids))])
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE images SET posted = 1 WHERE id IN (`+placeholders(len(chunk))+`)`), chunk...); err != nil {
			return s.wrap(err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE image_data SET pending = NULL WHERE image_id IN (`+placeholders(len(chunk))+`)`), chunk...); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}
