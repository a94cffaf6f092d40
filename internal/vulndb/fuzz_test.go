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

// FuzzDecodeMatch feeds arbitrary bytes to the decoders of the schema 2
// affected.data and advisories.severity, which the migration to schema 3
// reads: they must fail cleanly, and what they accept must encode back to
// the same value.
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

// FuzzDecodeStored feeds arbitrary bytes to the decoders of the stored
// blobs (advisories.body, matches.data and matches.groups): they must fail
// cleanly, and what they accept must encode back to the same value.
func FuzzDecodeStored(f *testing.F) {
	var entries []storedEntry
	for _, a := range testdataRecords(f) {
		a.Source = "osv"
		f.Add(encodeAdvisory(&a, nil))
		for i := range a.Affected {
			entries = append(entries, storedEntry{adv: int64(len(entries) + 1), n: i, match: encodeEntry(&a, &a.Affected[i], sortedAliases(a.Aliases))})
		}
	}
	f.Add(appendEntries(nil, entries))
	f.Add(appendEntries(nil, entries[:1]))
	f.Add(encodeGroups(map[int64]groupInfo{1: {7, []string{"CVE-1", "GHSA-x"}}, 9: {7, []string{"CVE-1", "GHSA-x"}}, 3: {3, []string{"A", "B"}}}))
	f.Add([]byte{matchesFormat})
	f.Add([]byte{encFormat})
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := decodeAdvisory(data); err == nil {
			back, err := decodeAdvisory(encodeAdvisory(&a, nil))
			if err != nil {
				t.Fatalf("re-encoded advisory does not decode: %v", err)
			}
			if diff := cmp.Diff(a, back, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("advisory round trip (-first +second):\n%s", diff)
			}
		}
		if g, err := decodeGroups(data); err == nil {
			back, err := decodeGroups(encodeGroups(g))
			if err != nil || !cmp.Equal(g, back, cmpopts.EquateEmpty(), cmp.AllowUnexported(groupInfo{})) {
				t.Fatalf("groups %v re-encoded to %v (%v)", g, back, err)
			}
		}
		ms, advs, err := decodeMatches(string(data), "npm")
		stored, err2 := splitEntries(data)
		if err != nil || err2 != nil {
			return
		}
		if len(stored) != len(ms) {
			t.Fatalf("%d entries split, %d decoded", len(stored), len(ms))
		}
		for i, m := range ms {
			a := advisory.Advisory{ID: m.ID, Source: m.Source, Published: m.Published, Modified: m.Modified, Severity: m.Severity, Summary: m.Summary}
			af := m.Affected
			stored[i].match = encodeEntry(&a, &af, m.Aliases)
			if stored[i].adv != advs[i] {
				t.Fatalf("entry %d: advisory %d split, %d decoded", i, stored[i].adv, advs[i])
			}
		}
		back, _, err := decodeMatches(string(appendEntries(nil, stored)), "npm")
		if err != nil {
			t.Fatalf("re-encoded matches do not decode: %v", err)
		}
		if diff := cmp.Diff(ms, back, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("matches round trip (-first +second):\n%s", diff)
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
