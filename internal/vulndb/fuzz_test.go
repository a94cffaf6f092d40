package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilproject/vigil/internal/advisory"
)

// FuzzDecodeMatch feeds arbitrary bytes to the decoder of affected.data
// and advisories.severity: it must fail cleanly, and what it accepts must
// encode back to the same value.
func FuzzDecodeMatch(f *testing.F) {
	for _, a := range testdataRecords(f) {
		a.Source = "osv"
		for i := range a.Affected {
			f.Add(encodeMatch(&a, &a.Affected[i]))
		}
		f.Add(encodeScores(a.Severity))
	}
	f.Add([]byte{encFormat})
	f.Add([]byte{encFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if ss, err := decodeScores(data); err == nil && len(data) > 0 {
			if got, err := decodeScores(encodeScores(ss)); err != nil || !cmp.Equal(ss, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()) {
				t.Fatalf("scores %v re-encoded to %v (%v)", ss, got, err)
			}
		}
		var m Match
		if err := decodeMatch(data, &m); err != nil {
			return
		}
		a := advisory.Advisory{ID: m.ID, Source: m.Source, Published: m.Published, Modified: m.Modified, Severity: m.Severity, Aliases: m.Aliases}
		af := m.Affected
		var back Match
		if err := decodeMatch(encodeMatch(&a, &af), &back); err != nil {
			t.Fatalf("re-encoded match does not decode: %v", err)
		}
		if diff := cmp.Diff(m, back, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseJSONStrings checks the lookup's JSON reader against
// encoding/json, on arbitrary input and on what jsonStrings writes.
func FuzzParseJSONStrings(f *testing.F) {
	f.Add(`["CVE-2024-1","GHSA-xxxx"]`, "a", "b")
	f.Add(`[]`, "", "\x00")
	f.Add(`["a\"b\\c\u00e9"]`, "\xff\xfe", "\u2028")
	f.Add(` [ "x" , "y" ] `, "\"", "\\")
	f.Fuzz(func(t *testing.T, raw, a, b string) {
		got, err := parseJSONStrings(raw)
		var want []string
		if err == nil && json.Unmarshal([]byte(raw), &want) == nil && !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Fatalf("parseJSONStrings(%q) = %q, encoding/json says %q", raw, got, want)
		}
		enc := jsonStrings([]string{a, b})
		if !json.Valid([]byte(enc)) {
			t.Fatalf("jsonStrings wrote invalid JSON %q", enc)
		}
		want = nil
		if err := json.Unmarshal([]byte(enc), &want); err != nil {
			t.Fatal(err)
		}
		got, err = parseJSONStrings(enc)
		if err != nil || !cmp.Equal(got, want) {
			t.Fatalf("parseJSONStrings(%q) = %q, %v; want %q", enc, got, err, want)
		}
	})
}

// smallDB returns the bytes of a checkpointed database with two records.
func smallDB(f *testing.F) []byte {
	f.Helper()
	path := filepath.Join(f.TempDir(), "seed.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		f.Fatal(err)
	}
	apply(f, db, "osv", true, pick(testdataRecords(f), "PYSEC-2024-4", "GHSA-2mqj-m65w-jghx"))
	if _, err := db.rw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		f.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzOpen opens arbitrary bytes as a database file: Open and the reads
// must fail with errors, never panic.
func FuzzOpen(f *testing.F) {
	good := smallDB(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:100])
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{true, false} {
			// A damaged lock state must not stall the fuzzer.
			db, err := Open(context.Background(), path, Options{ReadOnly: ro, BusyTimeout: 10 * time.Millisecond})
			if err != nil {
				continue
			}
			ctx := context.Background()
			db.Affecting(ctx, "PyPI", "gitpython")
			db.Vulnerability(ctx, "PYSEC-2024-4")
			db.Changes(ctx, 0, 10)
			db.Status(ctx)
			db.Version(ctx)
			db.Close()
		}
	})
}

// FuzzImport feeds arbitrary bytes to Import over an existing database,
// which must stay untouched whenever Import fails.
func FuzzImport(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	src, err := Open(ctx, filepath.Join(dir, "src.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	apply(f, src, "osv", true, pick(testdataRecords(f), "PYSEC-2024-4"))
	var bundle bytes.Buffer
	if err := src.Export(ctx, &bundle); err != nil {
		f.Fatal(err)
	}
	src.Close()
	existing := smallDB(f)
	f.Add(bundle.Bytes())
	f.Add(bundle.Bytes()[:bundle.Len()/2])
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "v.db")
		if err := os.WriteFile(path, existing, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Import(ctx, bytes.NewReader(data), path); err != nil {
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, existing) {
				t.Fatalf("failed Import (%v) changed the database", err)
			}
			return
		}
		db, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("imported database does not open: %v", err)
		}
		db.Close()
	})
}
