package vulndb

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/version"
)

// loadTestdata stores the testdata records as two sources, as OSV and the
// GitHub advisory database would deliver them.
func loadTestdata(t *testing.T) (*DB, map[string]advisory.Advisory) {
	t.Helper()
	recs := testdataRecords(t)
	db, _ := openTest(t, Options{})
	apply(t, db, "osv", true, pick(recs, "PYSEC-2024-4", "PYSEC-2024-33", "PYSEC-2024-34", "GO-2020-0001", "GO-2022-0617",
		"CVE-2024-10524", "DSA-5474-1", "DEBIAN-CVE-2023-38545"))
	apply(t, db, "ghsa", true, pick(recs, "GHSA-2mqj-m65w-jghx", "GHSA-2wgc-48g2-cj5w", "GHSA-6vm3-jj99-7229", "GHSA-jfh8-c2jp-5v3q"))
	return db, recs
}

func TestAffecting(t *testing.T) {
	ctx := context.Background()
	db, recs := loadTestdata(t)
	tests := []struct {
		eco, pkg string
		want     []string // source/id
		fixed    []string // fixed versions of the matches' ECOSYSTEM ranges, in order
	}{
		// PEP 503: the GHSA says "GitPython", PYSEC "gitpython"; any
		// spelling finds both.
		{"PyPI", "GitPython", []string{"ghsa/GHSA-2mqj-m65w-jghx", "osv/PYSEC-2024-4"}, nil},
		{"PyPI", "gitpython", []string{"ghsa/GHSA-2mqj-m65w-jghx", "osv/PYSEC-2024-4"}, nil},
		{"PyPI", "GITPYTHON", []string{"ghsa/GHSA-2mqj-m65w-jghx", "osv/PYSEC-2024-4"}, nil},
		{"PyPI", "vantage6_node", []string{"osv/PYSEC-2024-33"}, nil},
		{"PyPI", "Vantage6..Server", []string{"osv/PYSEC-2024-34"}, nil},
		{"PyPI", "git-python", nil, nil},
		// Releases are separate ecosystems.
		{"Debian:12", "intel-microcode", []string{"osv/DSA-5474-1"}, []string{"3.20230808.1~deb12u1"}},
		{"Debian:11", "intel-microcode", []string{"osv/DSA-5474-1"}, []string{"3.20230808.1~deb11u1"}},
		{"Debian:10", "intel-microcode", nil, nil},
		{"Debian", "intel-microcode", nil, nil},
		{"Debian:12", "wget", []string{"osv/CVE-2024-10524"}, []string{}},
		{"Debian:13", "wget", []string{"osv/CVE-2024-10524"}, []string{"1.25.0-1"}},
		{"Alpine:v3.21", "wget", []string{"osv/CVE-2024-10524"}, []string{"1.25.0-r0"}},
		{"Debian:12", "curl", []string{"osv/DEBIAN-CVE-2023-38545"}, []string{"7.88.1-10+deb12u4"}},
		// Other ecosystems are case-sensitive and exact.
		{"Go", "github.com/gin-gonic/gin", []string{"ghsa/GHSA-6vm3-jj99-7229", "osv/GO-2020-0001"}, nil},
		{"Go", "github.com/Gin-Gonic/gin", nil, nil},
		{"Go", "k8s.io/kubernetes", nil, nil}, // withdrawn
		{"Maven", "org.apache.logging.log4j:log4j-core", []string{"ghsa/GHSA-jfh8-c2jp-5v3q", "ghsa/GHSA-jfh8-c2jp-5v3q", "ghsa/GHSA-jfh8-c2jp-5v3q"}, []string{"2.15.0", "2.3.1", "2.12.2"}},
		{"npm", "org.apache.logging.log4j:log4j-core", nil, nil},
	}
	for _, tc := range tests {
		ms, err := db.Affecting(ctx, tc.eco, tc.pkg)
		if err != nil {
			t.Fatalf("Affecting(%s, %s): %v", tc.eco, tc.pkg, err)
		}
		if diff := cmp.Diff(tc.want, matchIDs(ms)); diff != "" {
			t.Errorf("Affecting(%s, %s) (-want +got):\n%s", tc.eco, tc.pkg, diff)
		}
		if tc.fixed == nil {
			continue
		}
		fixed := []string{}
		for _, m := range ms {
			if m.Affected.Ecosystem != tc.eco {
				t.Errorf("Affecting(%s, %s): match in ecosystem %q", tc.eco, tc.pkg, m.Affected.Ecosystem)
			}
			for _, r := range m.Affected.Ranges {
				for _, e := range r.Events {
					if e.Fixed != "" {
						fixed = append(fixed, e.Fixed)
					}
				}
			}
		}
		if diff := cmp.Diff(tc.fixed, fixed); diff != "" {
			t.Errorf("Affecting(%s, %s) fixed versions (-want +got):\n%s", tc.eco, tc.pkg, diff)
		}
	}

	// One match in full: everything the matcher needs, in one value.
	ms, err := db.Affecting(ctx, "PyPI", "GitPython")
	if err != nil {
		t.Fatal(err)
	}
	pysec := recs["PYSEC-2024-4"]
	want := Match{
		ID:        "PYSEC-2024-4",
		Source:    "osv",
		Aliases:   []string{"CVE-2024-22190", "GHSA-2mqj-m65w-jghx"},
		Affected:  pysec.Affected[0],
		Severity:  pysec.Severity,
		Published: time.Date(2024, 1, 11, 2, 15, 0, 0, time.UTC),
		Modified:  time.Date(2024, 1, 18, 16, 22, 52, 190857000, time.UTC),
	}
	if diff := cmp.Diff(want, ms[0]); diff != "" {
		t.Errorf("PYSEC-2024-4 match (-want +got):\n%s", diff)
	}

	// The match carries what version.Affected needs.
	for _, tc := range []struct {
		v    string
		want bool
	}{{"3.1.40", true}, {"3.1.41", false}, {"0.3.2.RC1", true}} {
		got, err := version.Affected(ms[0].Affected.Ecosystem, tc.v, versionRanges(ms[0].Affected.Ranges), ms[0].Affected.Versions)
		if err != nil || got != tc.want {
			t.Errorf("gitpython %s affected = %v, %v; want %v", tc.v, got, err, tc.want)
		}
	}
}

func versionRanges(rs []advisory.Range) []version.Range {
	out := make([]version.Range, len(rs))
	for i, r := range rs {
		out[i].Type = r.Type
		for _, e := range r.Events {
			out[i].Events = append(out[i].Events, version.Event(e))
		}
	}
	return out
}

func TestAliasGroups(t *testing.T) {
	ctx := context.Background()
	db, recs := loadTestdata(t)
	checkGroups(t, db)
	withSource := func(a advisory.Advisory, src string) advisory.Advisory {
		a.Source = src
		return a
	}
	for _, id := range []string{"GHSA-2mqj-m65w-jghx", "PYSEC-2024-4", "CVE-2024-22190"} {
		v, err := db.Vulnerability(ctx, id)
		if err != nil {
			t.Fatalf("Vulnerability(%s): %v", id, err)
		}
		want := &Vulnerability{
			ID:      "CVE-2024-22190",
			IDs:     []string{"CVE-2024-22190", "GHSA-2mqj-m65w-jghx", "PYSEC-2024-4"},
			Records: []advisory.Advisory{withSource(recs["GHSA-2mqj-m65w-jghx"], "ghsa"), withSource(recs["PYSEC-2024-4"], "osv")},
		}
		if diff := cmp.Diff(want, v); diff != "" {
			t.Errorf("Vulnerability(%s) (-want +got):\n%s", id, diff)
		}
	}
	// One GHSA aliasing two PYSEC records joins all three.
	v, err := db.Vulnerability(ctx, "PYSEC-2024-34")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CVE-2024-21653", "GHSA-2wgc-48g2-cj5w", "PYSEC-2024-33", "PYSEC-2024-34"}, v.IDs); diff != "" {
		t.Errorf("PYSEC-2024-34 group (-want +got):\n%s", diff)
	}
	if len(v.Records) != 3 {
		t.Errorf("PYSEC-2024-34 group has %d records, want 3", len(v.Records))
	}
	// A withdrawn record is still shown, withdrawn.
	if v, err := db.Vulnerability(ctx, "GO-2022-0617"); err != nil || len(v.Records) != 1 || !v.Records[0].IsWithdrawn() {
		t.Errorf("Vulnerability(GO-2022-0617) = %+v, %v", v, err)
	}
	if _, err := db.Vulnerability(ctx, "CVE-1999-0000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Vulnerability(unknown) = %v, want ErrNotFound", err)
	}

	// An update that drops PYSEC-2024-4's aliases splits the group; the
	// GHSA keeps the CVE it names itself.
	split := recs["PYSEC-2024-4"]
	split.Aliases = nil
	apply(t, db, "osv", false, advs(split))
	checkGroups(t, db)
	for id, want := range map[string][]string{
		"PYSEC-2024-4":        {"PYSEC-2024-4"},
		"GHSA-2mqj-m65w-jghx": {"CVE-2024-22190", "GHSA-2mqj-m65w-jghx"},
	} {
		v, err := db.Vulnerability(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, v.IDs); diff != "" {
			t.Errorf("after split, Vulnerability(%s).IDs (-want +got):\n%s", id, diff)
		}
	}
	ms, _ := db.Affecting(ctx, "PyPI", "gitpython")
	if len(ms) != 2 || len(ms[0].Aliases) != 0 || ms[1].Aliases[0] != "CVE-2024-22190" {
		t.Errorf("after split, matches %+v", ms)
	}
	// And putting one alias back joins them again.
	apply(t, db, "osv", false, pick(recs, "PYSEC-2024-4"))
	checkGroups(t, db)
	if v, err := db.Vulnerability(ctx, "PYSEC-2024-4"); err != nil || len(v.IDs) != 3 {
		t.Errorf("after rejoin, Vulnerability(PYSEC-2024-4) = %+v, %v", v, err)
	}
}

func TestEnrichment(t *testing.T) {
	ctx := context.Background()
	db, _ := loadTestdata(t)
	base, err := db.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Log4Shell as the KEV catalogue of 2025-08-25 lists it; the second
	// CVE is in no stored advisory.
	log4shell := advisory.KEV{CVE: "CVE-2021-44228", DateAdded: date("2021-12-10"), DueDate: date("2021-12-24"), Ransomware: true,
		Vendor: "Apache", Product: "Log4j2", RequiredAction: "For all affected software assets for which updates exist, the only acceptable action is to apply the updates provided by the vendor."}
	other := advisory.KEV{CVE: "CVE-2021-27104", DateAdded: date("2021-11-03"), Vendor: "Accellion", Product: "FTA"}
	applyKEV := func(ks ...advisory.KEV) feed.ApplyStats {
		t.Helper()
		st, err := db.Apply(ctx, feed.Batch{Source: "kev", Full: true, KEV: func(yield func(advisory.KEV, error) bool) {
			for _, k := range ks {
				if !yield(k, nil) {
					return
				}
			}
		}}, feed.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	applyEPSS := func(es ...advisory.EPSS) feed.ApplyStats {
		t.Helper()
		st, err := db.Apply(ctx, feed.Batch{Source: "epss", Full: true, EPSS: func(yield func(advisory.EPSS, error) bool) {
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
		}}, feed.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	log4j := Key{"Maven", "org.apache.logging.log4j:log4j-core"}

	if diff := cmp.Diff(feed.ApplyStats{Added: 2}, applyKEV(log4shell, other)); diff != "" {
		t.Errorf("KEV stats (-want +got):\n%s", diff)
	}
	want := []Change{{Seq: base + 1, AdvisoryID: "CVE-2021-44228", Source: "kev", Kind: KindKEV, Keys: []Key{log4j}, Time: t0}}
	if diff := cmp.Diff(want, changesAfter(t, db, base)); diff != "" {
		t.Errorf("KEV change log (-want +got):\n%s", diff)
	}
	ms, err := db.Affecting(ctx, log4j.Ecosystem, log4j.Package)
	if err != nil || len(ms) != 3 {
		t.Fatalf("Affecting(log4j) = %v, %v", matchIDs(ms), err)
	}
	for _, m := range ms {
		if diff := cmp.Diff([]advisory.KEV{log4shell}, m.KEV); diff != "" {
			t.Errorf("log4j match KEV (-want +got):\n%s", diff)
		}
	}
	// A changed KEV entry is stored but, membership unchanged, not logged.
	later := log4shell
	later.Ransomware = false
	if diff := cmp.Diff(feed.ApplyStats{Modified: 1, Unchanged: 1}, applyKEV(later, other)); diff != "" {
		t.Errorf("KEV update stats (-want +got):\n%s", diff)
	}
	if cs := changesAfter(t, db, base+1); len(cs) != 0 {
		t.Errorf("unchanged KEV membership logged %+v", cs)
	}

	epss := advisory.EPSS{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99957, Date: date("2026-09-29")}
	applyEPSS(epss, advisory.EPSS{CVE: "CVE-1999-0001", Score: 0.01, Percentile: 0.5, Date: date("2026-09-29")})
	v, err := db.Vulnerability(ctx, "GHSA-jfh8-c2jp-5v3q")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]advisory.KEV{later}, v.KEV); diff != "" {
		t.Errorf("Vulnerability KEV (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]advisory.EPSS{epss}, v.EPSS); diff != "" {
		t.Errorf("Vulnerability EPSS (-want +got):\n%s", diff)
	}
	ms, _ = db.Affecting(ctx, log4j.Ecosystem, log4j.Package)
	if diff := cmp.Diff([]advisory.EPSS{epss}, ms[0].EPSS); diff != "" {
		t.Errorf("match EPSS (-want +got):\n%s", diff)
	}
	// Leaving the catalogue is logged too, and the match loses its KEV.
	applyKEV(other)
	want = []Change{
		{Seq: base + 2, AdvisoryID: "CVE-2021-44228", Source: "epss", Kind: KindEPSS, Keys: []Key{log4j}, Time: t0},
		{Seq: base + 3, AdvisoryID: "CVE-2021-44228", Source: "kev", Kind: KindKEV, Keys: []Key{log4j}, Time: t0},
	}
	if diff := cmp.Diff(want, changesAfter(t, db, base+1)); diff != "" {
		t.Errorf("change log (-want +got):\n%s", diff)
	}
	ms, _ = db.Affecting(ctx, log4j.Ecosystem, log4j.Package)
	if len(ms[0].KEV) != 0 {
		t.Errorf("match still has KEV %+v", ms[0].KEV)
	}
	if s, err := db.State(ctx, "kev"); err != nil || s.Records != 1 {
		t.Errorf("State(kev) = %+v, %v; want 1 record", s, err)
	}

	// An advisory naming two CVEs gets the entries of both.
	apply(t, db, "other", true, advs(advisory.Advisory{ID: "TEST-1", Aliases: []string{"CVE-2021-45046", "CVE-2021-44228"},
		Affected: []advisory.Affected{{Ecosystem: "npm", Package: "two-cves"}}}))
	epss2 := advisory.EPSS{CVE: "CVE-2021-45046", Score: 0.9, Percentile: 0.99, Date: date("2026-09-29")}
	applyEPSS(epss, epss2)
	applyKEV(log4shell)
	ms, err = db.Affecting(ctx, "npm", "two-cves")
	if err != nil || len(ms) != 1 {
		t.Fatalf("Affecting(two-cves) = %v, %v", ms, err)
	}
	if diff := cmp.Diff([]advisory.KEV{log4shell}, ms[0].KEV); diff != "" {
		t.Errorf("two-CVE match KEV (-want +got):\n%s", diff)
	}
	// An advisory written while the catalogue already names its CVE: its
	// row's KEV ids are set as the row is written, not only when the
	// catalogue changes.
	apply(t, db, "later", true, advs(advisory.Advisory{ID: "TEST-2", Aliases: []string{"CVE-2021-44228"},
		Affected: []advisory.Affected{{Ecosystem: "npm", Package: "written-after-kev"}}}))
	ms, err = db.Affecting(ctx, "npm", "written-after-kev")
	if err != nil || len(ms) != 1 {
		t.Fatalf("Affecting(written-after-kev) = %v, %v", ms, err)
	}
	if diff := cmp.Diff([]advisory.KEV{log4shell}, ms[0].KEV); diff != "" {
		t.Errorf("KEV of a row written after the catalogue (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]advisory.EPSS{epss2, epss}, ms[0].EPSS, cmpopts.SortSlices(func(a, b advisory.EPSS) bool { return a.CVE > b.CVE })); diff != "" {
		t.Errorf("two-CVE match EPSS (-want +got):\n%s", diff)
	}
	// The group of the GHSA and TEST-1 (sharing CVE-2021-44228) also has
	// both CVEs now, so the log4j matches see the second CVE's score.
	ms, _ = db.Affecting(ctx, log4j.Ecosystem, log4j.Package)
	if len(ms[0].EPSS) != 2 {
		t.Errorf("log4j match EPSS = %+v, want both CVEs' scores", ms[0].EPSS)
	}
}

// TestEnrichmentRealData imports the whole KEV catalogue and the EPSS
// excerpt of the shared data set through test-only readers.
func TestEnrichmentRealData(t *testing.T) {
	dir := sharedDir(t, "vulnfeeds/enrichment")
	ctx := context.Background()
	db, _ := loadTestdata(t)

	st := applyKEVCatalogue(t, db)
	if st.Added != 1404 || st.Skipped != 0 {
		t.Errorf("KEV import stats %+v, want 1404 added", st)
	}
	ms, err := db.Affecting(ctx, "Maven", "org.apache.logging.log4j:log4j-core")
	if err != nil || len(ms) == 0 || len(ms[0].KEV) != 1 || ms[0].KEV[0].Vendor != "Apache" {
		t.Errorf("log4j KEV = %+v, %v", ms, err)
	}

	f, err := os.Open(filepath.Join(dir, "epss", "epss_scores-current.EXCERPT-first16000chars.csv"))
	if err != nil {
		t.Skipf("EPSS excerpt: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	// Header comment, column names, and the last line cut mid-record.
	lines = lines[2 : len(lines)-1]
	epss := func(yield func(advisory.EPSS, error) bool) {
		for _, l := range lines {
			fs := strings.Split(l, ",")
			score, err1 := strconv.ParseFloat(fs[1], 64)
			pct, err2 := strconv.ParseFloat(fs[2], 64)
			if !yield(advisory.EPSS{CVE: fs[0], Score: score, Percentile: pct, Date: time.Date(2026, 9, 29, 0, 0, 0, 0, time.UTC)}, errors.Join(err1, err2)) {
				return
			}
		}
	}
	st, err = db.Apply(ctx, feed.Batch{Source: "epss", Full: true, EPSS: epss}, feed.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 534 || st.Skipped != 0 {
		t.Errorf("EPSS import stats %+v, want 534 added", st)
	}
}

// TestAffectingPlan keeps the lookup's plan to primary-key probes: one for
// the key's row, one per group and CVE, no scan and no sort.
func TestAffectingPlan(t *testing.T) {
	db, _ := loadTestdata(t)
	rows, err := db.ro.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+affectingQuery, "PyPI", "gitpython")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, step := range plan {
		// Scans are of the one-row generation table and of JSON lists.
		scan := strings.HasPrefix(step, "SCAN") && step != "SCAN generation" && !strings.Contains(step, "VIRTUAL TABLE")
		if strings.Contains(step, "TEMP B-TREE") || scan {
			t.Errorf("lookup plan sorts or scans: %q in\n%s", step, strings.Join(plan, "\n"))
		}
	}
}
