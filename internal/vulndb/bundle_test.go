package vulndb

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

// readBundle unpacks a bundle for inspection.
func readBundle(t *testing.T, b []byte) (manifest, []byte) {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var m manifest
	var dbBytes []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch h.Name {
		case manifestName:
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
		case databaseName:
			dbBytes = data
		default:
			t.Fatalf("unexpected entry %s", h.Name)
		}
	}
	return m, dbBytes
}

// writeBundle packs a manifest and database bytes as Export would.
func writeBundle(t *testing.T, m manifest, dbBytes []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	mj, _ := json.Marshal(m)
	for _, e := range []struct {
		name string
		data []byte
	}{{manifestName, mj}, {databaseName, dbBytes}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestExportImport(t *testing.T) {
	ctx := context.Background()
	db, _ := loadTestdata(t)
	var buf bytes.Buffer
	if err := db.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	m, dbBytes := readBundle(t, buf.Bytes())
	sum := sha256.Sum256(dbBytes)
	want := manifest{
		Format: bundleFormat, Created: t0, SchemaVersion: SchemaVersion(), Version: 12,
		Sources: []manifestSource{
			{Name: "ghsa", URL: "https://example.invalid/ghsa", LastSuccess: t0, Records: 4},
			{Name: "osv", URL: "https://example.invalid/osv", LastSuccess: t0, Records: 8},
		},
		Database: manifestFile{Name: databaseName, Size: int64(len(dbBytes)), SHA256: hex.EncodeToString(sum[:])},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}

	// Import over an existing database: the new one replaces it whole.
	path := filepath.Join(t.TempDir(), "imported.db")
	old, _ := Open(ctx, path, Options{})
	apply(t, old, "other", true, synthetic(1, 3))
	old.Close()
	if err := Import(ctx, bytes.NewReader(buf.Bytes()), path); err != nil {
		t.Fatal(err)
	}
	imp, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Close()
	for _, k := range []Key{{"PyPI", "gitpython"}, {"Debian:12", "wget"}, {"Maven", "org.apache.logging.log4j:log4j-core"}, {"npm", "left-pad"}} {
		a, err1 := db.Affecting(ctx, k.Ecosystem, k.Package)
		b, err2 := imp.Affecting(ctx, k.Ecosystem, k.Package)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("Affecting(%v) after import (-original +imported):\n%s", k, diff)
		}
	}
	a, _ := db.Status(ctx)
	b, _ := imp.Status(ctx)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("Status after import (-original +imported):\n%s", diff)
	}
	if diff := cmp.Diff(changesAfter(t, db, 0), changesAfter(t, imp, 0)); diff != "" {
		t.Errorf("change log after import (-original +imported):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if e.Name() != "imported.db" && e.Name() != "imported.db-wal" && e.Name() != "imported.db-shm" {
			t.Errorf("Import left %s behind", e.Name())
		}
	}

	// A scanner's read-only handle exports too, and the bundle is the
	// same database.
	var again bytes.Buffer
	if err := imp.Export(ctx, &again); err != nil {
		t.Fatalf("Export from a read-only handle: %v", err)
	}
	m2, _ := readBundle(t, again.Bytes())
	if m2.Version != m.Version || len(m2.Sources) != len(m.Sources) {
		t.Errorf("re-exported manifest %+v, want version %d and %d sources", m2, m.Version, len(m.Sources))
	}
}

func TestImportRejectsBadBundles(t *testing.T) {
	ctx := context.Background()
	db, _ := loadTestdata(t)
	var buf bytes.Buffer
	if err := db.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	m, dbBytes := readBundle(t, good)

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	tampered := bytes.Clone(dbBytes)
	tampered[len(tampered)-100] ^= 0x01
	future := m
	future.SchemaVersion = 99
	wrongSize := m
	wrongSize.Database.Size--
	cases := map[string]struct {
		data []byte
		is   error
	}{
		"empty":                 {nil, ErrBadBundle},
		"not zstd":              {[]byte("hello, this is not a bundle"), ErrBadBundle},
		"truncated early":       {good[:20], ErrBadBundle},
		"truncated in database": {good[:len(good)/2], ErrBadBundle},
		"truncated at the end":  {good[:len(good)-4], ErrBadBundle},
		"flipped bit":           {flipped, ErrBadBundle},
		"database changed":      {writeBundle(t, m, tampered), ErrBadBundle},
		"database cut":          {writeBundle(t, m, dbBytes[:len(dbBytes)-4096]), ErrBadBundle},
		"size mismatch":         {writeBundle(t, wrongSize, dbBytes), ErrBadBundle},
		"newer schema":          {writeBundle(t, future, dbBytes), ErrSchemaTooNew},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "v.db")
			existing, _ := Open(ctx, path, Options{})
			apply(t, existing, "other", true, synthetic(1, 3))
			existing.Close()
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			err = Import(ctx, bytes.NewReader(tc.data), path)
			if !errors.Is(err, tc.is) {
				t.Fatalf("Import = %v, want %v", err, tc.is)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("a failed Import changed the existing database")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("directory holds %v after a failed Import", names)
			}
		})
	}
}
