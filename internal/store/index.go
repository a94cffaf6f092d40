package store

import (
	"context"
	"strings"

	"github.com/vigilproject/vigil/internal/sbom"
)

const packageCols = `p.id, p.distro, p.ecosystem, p.name, p.version, p.source_name, p.source_version, p.purl, p.arch`

func scanPackage(r rowScanner) (IndexedPackage, error) {
	var p IndexedPackage
	var eco string
	err := r.Scan(&p.ID, &p.Distro, &eco, &p.Name, &p.Version, &p.SourceName, &p.SourceVersion, &p.PURL, &p.Arch)
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
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT `+packageCols+` FROM package_keys k JOIN packages p ON p.id = k.package_id WHERE `+strings.Join(cond, " OR ")), args...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			p, err := scanPackage(rs)
			if err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			out = append(out, p)
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}

// PackagesByPURL returns the indexed packages whose PURL, without version
// and qualifiers, is purlBase.
func (s *Store) PackagesByPURL(ctx context.Context, purlBase string) ([]IndexedPackage, error) {
	rs, err := s.db.QueryContext(ctx, s.q(`SELECT `+packageCols+` FROM packages p WHERE p.purl_base = ? ORDER BY p.version, p.id`), purlBase)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []IndexedPackage
	for rs.Next() {
		p, err := scanPackage(rs)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, p)
	}
	return out, s.wrap(rs.Err())
}

// PackageUses returns every image holding one of the indexed packages.
func (s *Store) PackageUses(ctx context.Context, ids []int64) ([]PackageUse, error) {
	var out []PackageUse
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT ip.package_id, i.digest, i.repository, i.tag, i.base_source, i.base_name, i.base_digest, i.base_layers, ip.layer_index, ip.in_base
			FROM image_packages ip JOIN images i ON i.id = ip.image_id
			WHERE ip.package_id IN (`+placeholders(len(chunk))+`)`), args...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var u PackageUse
			var digest, bsrc, bdig string
			var inBase int
			if err := rs.Scan(&u.PackageID, &digest, &u.Repository, &u.Tag, &bsrc, &u.Base.Name, &bdig, &u.Base.Layers, &u.LayerIndex, &inBase); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			u.Digest, u.Base.Source, u.Base.Digest, u.InBase = sbom.Digest(digest), sbom.BaseSource(bsrc), sbom.Digest(bdig), inBase != 0
			out = append(out, u)
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}

// InventoriesWithPackage returns the images holding a package looked up
// under (ecosystem, name): the reverse index the monitor fans out through.
func (s *Store) InventoriesWithPackage(ctx context.Context, eco, name string) ([]sbom.Digest, error) {
	rs, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT i.digest FROM package_keys k
		JOIN image_packages ip ON ip.package_id = k.package_id
		JOIN images i ON i.id = ip.image_id
		WHERE k.ecosystem = ? AND k.name = ? ORDER BY i.digest`), eco, name)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []sbom.Digest
	for rs.Next() {
		var d string
		if err := rs.Scan(&d); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, sbom.Digest(d))
	}
	return out, s.wrap(rs.Err())
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
