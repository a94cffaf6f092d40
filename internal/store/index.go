package store

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/sbom"
)

const packageCols = `p.id, p.distro, p.ecosystem, p.name, p.version, p.source_name, p.source_version, p.purl, p.arch, p.evaluated`

func scanPackage(r rowScanner) (IndexedPackage, error) {
	var p IndexedPackage
	var eco string
	err := r.Scan(&p.ID, &p.Distro, &eco, &p.Name, &p.Version, &p.SourceName, &p.SourceVersion, &p.PURL, &p.Arch, &p.Evaluated)
	p.Ecosystem = sbom.Ecosystem(eco)
	return p, err
}

// PackagesByKey returns the distinct indexed packages looked up under an
// advisory key, e.g. every binary package of source package "openssl" of
// Debian 12 under ("Debian:12", "openssl").
func (s *Store) PackagesByKey(ctx context.Context, keys ...Key) ([]IndexedPackage, error) {
	var out []IndexedPackage
	for start := 0; start < len(keys); start += 200 {
		chunk := keys[start:min(start+200, len(keys))]
		var cond []string
		var args []any
		for _, k := range chunk {
			cond = append(cond, "(k.ecosystem = ? AND k.name = ?)")
			args = append(args, k.Ecosystem, k.Name)
		}
		ps, err := s.queryPackages(ctx, `SELECT DISTINCT `+packageCols+` FROM package_keys k JOIN packages p ON p.id = k.package_id WHERE `+strings.Join(cond, " OR "), args...)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	// A package under several keys (Ubuntu's two spellings of a release)
	// comes once.
	slices.SortFunc(out, func(a, b IndexedPackage) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(out, func(a, b IndexedPackage) bool { return a.ID == b.ID }), nil
}

// PackagesByPURL returns the indexed packages whose PURL, without version
// and qualifiers, is purlBase.
func (s *Store) PackagesByPURL(ctx context.Context, purlBase string) ([]IndexedPackage, error) {
	return s.queryPackages(ctx, `SELECT `+packageCols+` FROM packages p WHERE p.purl_base = ? ORDER BY p.version, p.id`, purlBase)
}

// Posting is one image holding one indexed package.
type Posting struct {
	PackageID, ImageID int64
	LayerIndex         int
	InBase             bool
}

// Postings returns the images holding the indexed packages, ordered by
// image id: from the index, and for images whose postings are not yet
// indexed, from their pending lists.
func (s *Store) Postings(ctx context.Context, pkgIDs []int64) ([]Posting, error) {
	// Pending lists first: an image indexed between the two reads is then
	// found in the index, and one stored after both was not there to find.
	want := make(map[int64]bool, len(pkgIDs))
	for _, id := range pkgIDs {
		want[id] = true
	}
	posts, err := s.pendingPostings(ctx, want)
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(pkgIDs); start += 500 {
		chunk := pkgIDs[start:min(start+500, len(pkgIDs))]
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT package_id, image_id, layer_index, in_base FROM image_packages
			WHERE package_id IN (`+placeholders(len(chunk))+`)`), int64Args(chunk)...)
		got, err := collect(s, rs, err, func(rs rowScanner) (Posting, error) {
			var p Posting
			var inBase int
			err := rs.Scan(&p.PackageID, &p.ImageID, &p.LayerIndex, &inBase)
			p.InBase = inBase != 0
			return p, err
		})
		if err != nil {
			return nil, err
		}
		posts = append(posts, got...)
	}
	slices.SortFunc(posts, func(a, b Posting) int {
		return cmp.Or(cmp.Compare(a.ImageID, b.ImageID), cmp.Compare(a.PackageID, b.PackageID))
	})
	return slices.CompactFunc(posts, func(a, b Posting) bool { return a.ImageID == b.ImageID && a.PackageID == b.PackageID }), nil
}

// PackageUses returns every image holding one of the indexed packages.
func (s *Store) PackageUses(ctx context.Context, ids []int64) ([]PackageUse, error) {
	posts, err := s.Postings(ctx, ids)
	if err != nil {
		return nil, err
	}
	return s.Uses(ctx, posts)
}

// Uses joins postings with their images' names; postings of images
// deleted meanwhile are left out.
func (s *Store) Uses(ctx context.Context, posts []Posting) ([]PackageUse, error) {
	imageIDs := make([]int64, 0, len(posts))
	seen := make(map[int64]bool, len(posts))
	for _, p := range posts {
		if !seen[p.ImageID] {
			seen[p.ImageID] = true
			imageIDs = append(imageIDs, p.ImageID)
		}
	}
	heads, err := s.imageHeads(ctx, imageIDs)
	if err != nil {
		return nil, err
	}
	out := make([]PackageUse, 0, len(posts))
	for _, p := range posts {
		h, ok := heads[p.ImageID]
		if !ok {
			continue
		}
		h.PackageID, h.LayerIndex, h.InBase = p.PackageID, p.LayerIndex, p.InBase
		out = append(out, h)
	}
	return out, nil
}

// imageHeads reads the naming columns of images by id.
func (s *Store) imageHeads(ctx context.Context, ids []int64) (map[int64]PackageUse, error) {
	out := make(map[int64]PackageUse, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT id, digest, repository, tag, base_source, base_name, base_digest, base_layers
			FROM images WHERE id IN (`+placeholders(len(chunk))+`)`), int64Args(chunk)...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var u PackageUse
			var id int64
			var digest, bsrc, bdig string
			if err := rs.Scan(&id, &digest, &u.Repository, &u.Tag, &bsrc, &u.Base.Name, &bdig, &u.Base.Layers); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			u.Digest, u.Base.Source, u.Base.Digest = sbom.Digest(digest), sbom.BaseSource(bsrc), sbom.Digest(bdig)
			out[id] = u
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// InventoriesWithPackage returns the images holding a package looked up
// under (ecosystem, name): the reverse index the monitor fans out through.
func (s *Store) InventoriesWithPackage(ctx context.Context, eco, name string) ([]sbom.Digest, error) {
	pkgs, err := s.PackagesByKey(ctx, Key{Ecosystem: eco, Name: name})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(pkgs))
	for i, p := range pkgs {
		ids[i] = p.ID
	}
	uses, err := s.PackageUses(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]sbom.Digest, len(uses))
	for i, u := range uses {
		out[i] = u.Digest
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// AllPackages returns every stored package that was evaluated, for a full
// re-assessment.
func (s *Store) AllPackages(ctx context.Context) ([]IndexedPackage, error) {
	return s.queryPackages(ctx, `SELECT `+packageCols+` FROM packages p WHERE p.evaluated > 0 ORDER BY p.id`)
}

// RekeyPackages derives every stored package's keys again with keys and
// replaces those that differ, in one transaction; it returns how many
// packages' keys changed. A release that looks packages up under other
// keys (a distribution it newly supports) runs it once, so that images
// stored before are found by the keys it now asks.
func (s *Store) RekeyPackages(ctx context.Context, keys func(IndexedPackage) []Key) (int, error) {
	pkgs, err := s.queryPackages(ctx, `SELECT `+packageCols+` FROM packages p ORDER BY p.id`)
	if err != nil {
		return 0, err
	}
	have := map[int64][]Key{}
	rows, err := s.db.QueryContext(ctx, `SELECT package_id, ecosystem, name FROM package_keys`)
	if err != nil {
		return 0, s.wrap(err)
	}
	for rows.Next() {
		var id int64
		var k Key
		if err := rows.Scan(&id, &k.Ecosystem, &k.Name); err != nil {
			rows.Close()
			return 0, s.wrap(err)
		}
		have[id] = append(have[id], k)
	}
	if err := rows.Close(); err != nil {
		return 0, s.wrap(err)
	}
	cmpKey := func(a, b Key) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name))
	}
	type rekey struct {
		id   int64
		keys []Key
	}
	var changed []rekey
	for _, p := range pkgs {
		want := slices.SortedFunc(slices.Values(keys(p)), cmpKey)
		want = slices.Compact(want)
		got := have[p.ID]
		slices.SortFunc(got, cmpKey)
		if !slices.Equal(want, got) {
			changed = append(changed, rekey{p.ID, want})
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap(err)
	}
	defer tx.Rollback()
	for chunk := range slices.Chunk(changed, 500) {
		ids := make([]any, len(chunk))
		var args []any
		for i, r := range chunk {
			ids[i] = r.id
			for _, k := range r.keys {
				args = append(args, k.Ecosystem, k.Name, r.id)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM package_keys WHERE package_id IN (`+placeholders(len(ids))+`)`), ids...); err != nil {
			return 0, s.wrap(err)
		}
		for len(args) > 0 {
			n := min(len(args)/3, 500)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO package_keys (ecosystem, name, package_id) VALUES `+values(n, 3)+` ON CONFLICT DO NOTHING`), args[:3*n]...); err != nil {
				return 0, s.wrap(err)
			}
			args = args[3*n:]
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.wrap(err)
	}
	return len(changed), nil
}
