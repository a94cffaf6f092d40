package vulndb

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// A deliberately small OSV → advisory.Advisory converter, for tests only:
// the real parsers live in internal/feed/osv. It keeps what the store keeps.
type osvRecord struct {
	ID        string   `json:"id"`
	Modified  string   `json:"modified"`
	Published string   `json:"published"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Related   []string `json:"related"`
	Summary   string   `json:"summary"`
	Details   string   `json:"details"`
	Severity  []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
			PURL      string `json:"purl"`
		} `json:"package"`
		Ranges []struct {
			Type   string           `json:"type"`
			Events []advisory.Event `json:"events"`
		} `json:"ranges"`
		Versions          []string `json:"versions"`
		EcosystemSpecific struct {
			Urgency string `json:"urgency"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
	References []struct {
		URL string `json:"url"`
	} `json:"references"`
}

func osvTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// parseOSV converts one OSV JSON record.
func parseOSV(data []byte) (advisory.Advisory, error) {
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return advisory.Advisory{}, err
	}
	a := advisory.Advisory{ID: r.ID, Aliases: r.Aliases, Related: r.Related, Source: "osv", Summary: r.Summary, Details: r.Details}
	var err error
	for _, f := range []struct {
		s   string
		dst *time.Time
	}{{r.Published, &a.Published}, {r.Modified, &a.Modified}, {r.Withdrawn, &a.Withdrawn}} {
		if *f.dst, err = osvTime(f.s); err != nil {
			return advisory.Advisory{ID: r.ID}, fmt.Errorf("%s: %w", r.ID, err)
		}
	}
	for _, s := range r.Severity {
		a.Severity = append(a.Severity, advisory.Score{Type: s.Type, Vector: s.Score})
	}
	for _, ref := range r.References {
		a.References = append(a.References, ref.URL)
	}
	for _, af := range r.Affected {
		x := advisory.Affected{Ecosystem: af.Package.Ecosystem, Package: af.Package.Name, PURL: af.Package.PURL,
			Versions: af.Versions, Severity: af.EcosystemSpecific.Urgency}
		for _, rg := range af.Ranges {
			x.Ranges = append(x.Ranges, advisory.Range{Type: rg.Type, Events: rg.Events})
		}
		a.Affected = append(a.Affected, x)
	}
	return a, nil
}

// sharedDir locates /work/shared (VIGIL_SHARED, else relative to the
// repository) or skips the test.
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv("VIGIL_SHARED")
	if base == "" {
		base = filepath.Join("..", "..", "..", "shared")
	}
	dir := filepath.Join(base, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data %s not available (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// readZip reads an OSV all.zip; bad records come back as errors.
func readZip(t testing.TB, path string) []result {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	var out []result
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s!%s: %v", path, f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s!%s: %v", path, f.Name, err)
		}
		out = append(out, result{raw: data})
	}
	return out
}

// result is one record of a batch: raw JSON still to convert, or a
// converted advisory, or an error to yield.
type result struct {
	raw []byte
	adv advisory.Advisory
	err error
}

func decodeAll(rs []result) []result {
	out := make([]result, len(rs))
	for i, r := range rs {
		out[i] = r
		if r.raw != nil {
			out[i].adv, out[i].err = parseOSV(r.raw)
			out[i].raw = nil
		}
	}
	return out
}

// seqOf yields records, converting raw ones on the fly as a feed parser
// would.
func seqOf(rs []result) iter.Seq2[advisory.Advisory, error] {
	return func(yield func(advisory.Advisory, error) bool) {
		for _, r := range rs {
			a, err := r.adv, r.err
			if r.raw != nil {
				a, err = parseOSV(r.raw)
			}
			if !yield(a, err) {
				return
			}
		}
	}
}

func advs(as ...advisory.Advisory) []result {
	out := make([]result, len(as))
	for i, a := range as {
		out[i] = result{adv: a}
	}
	return out
}

// testdataRecords reads testdata/osv, keyed by id.
func testdataRecords(t testing.TB) map[string]advisory.Advisory {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "osv", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata/osv: %v (%d files)", err, len(files))
	}
	out := map[string]advisory.Advisory{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := parseOSV(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[a.ID] = a
	}
	return out
}

func pick(m map[string]advisory.Advisory, ids ...string) []result {
	var out []result
	for _, id := range ids {
		a, ok := m[id]
		if !ok {
			panic("no test record " + id)
		}
		out = append(out, result{adv: a})
	}
	return out
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, opts Options) (*DB, *clock) {
	t.Helper()
	c := &clock{t: t0}
	if opts.Now == nil {
		opts.Now = c.now
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "vuln.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

func apply(t testing.TB, db *DB, source string, full bool, rs []result) feed.ApplyStats {
	t.Helper()
	st, err := db.Apply(context.Background(), feed.Batch{Source: source, Full: full, Advisories: seqOf(rs)}, feed.SourceState{URL: "https://example.invalid/" + source})
	if err != nil {
		t.Fatalf("apply %s: %v", source, err)
	}
	return st
}

func changesAfter(t testing.TB, db *DB, seq int64) []Change {
	t.Helper()
	cs, err := db.Changes(context.Background(), seq, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// matchIDs returns "source/id" of the matches, sorted.
func matchIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Source+"/"+m.ID)
	}
	slices.Sort(out)
	return out
}

func keys(pairs ...string) []Key {
	var out []Key
	for _, p := range pairs {
		eco, pkg, _ := strings.Cut(p, "|")
		out = append(out, Key{Ecosystem: eco, Package: pkg})
	}
	return out
}

// synthetic makes n advisories of one npm package whose fixed version
// carries gen, so a reader can tell which update it sees. Each has a CVE
// alias, so alias groups and enrichment are exercised too.
func synthetic(gen, n int) []result {
	out := make([]result, n)
	for i := range out {
		out[i] = result{adv: advisory.Advisory{
			ID:        fmt.Sprintf("SYN-%05d", i),
			Aliases:   []string{fmt.Sprintf("CVE-2099-%05d", i)},
			Summary:   fmt.Sprintf("synthetic advisory %d, generation %d", i, gen),
			Details:   strings.Repeat("details ", 50),
			Published: t0,
			Modified:  t0.Add(time.Duration(gen) * time.Hour),
			Affected: []advisory.Affected{{
				Ecosystem: "npm", Package: "left-pad",
				Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fmt.Sprintf("1.0.%d", gen)}}}},
			}},
		}}
	}
	return out
}

// generation returns the generation every match of left-pad shows, or an
// error when they disagree (a reader saw part of an update).
func generation(ms []Match) (string, error) {
	gen := ""
	for _, m := range ms {
		f := m.Affected.Ranges[0].Events[1].Fixed
		if gen == "" {
			gen = f
		} else if f != gen {
			return "", fmt.Errorf("matches mix fixed versions %s and %s", gen, f)
		}
	}
	return gen, nil
}
