package osv

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

// TestSharedArchives imports every all.zip of the shared test data through
// a mirror laid out like the OSV bucket, and checks the counts the data
// set's README gives.
func TestSharedArchives(t *testing.T) {
	dir := feedtest.SharedDir(t)
	tests := []struct {
		eco, file          string
		records, withdrawn int
	}{
		{"Go", "osv/Go/all.zip", 4790, 18},
		{"PyPI", "osv/PyPI/all.zip", 2668, 10},
		{"crates.io", "osv/crates.io/all.zip", 1209, 13},
		{"npm", "osv/npm/all.zip", 4, 0},
		{"Maven", "osv/Maven/all.zip", 4, 0},
		{"Packagist", "osv/Packagist/all.zip", 3, 0},
		{"NuGet", "osv/NuGet/all.zip", 1, 0},
		{"RubyGems", "osv/RubyGems/all.zip", 1, 0},
		{"Ubuntu", "osv/Ubuntu/all.zip", 17, 3},
		{"Debian", "osv/Debian/all.zip", 5, 0},
		{"Alpine", "osv/Alpine/all.zip", 2, 0},
		// The Debian 12 reconstruction and the extra GHSA records, served
		// in place of an ecosystem's archive.
		{"Debian", "debian-derived/osv/Debian/all.zip", 6121, 0},
		{"npm", "ghsa-extra/all.zip", 32, 0},
	}
	srv := feedtest.NewServer(t)
	byID := map[string]advisory.Advisory{}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		u, err := New(srv.Client(), tt.eco, Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv.SetUpstream(t, u.URLs()[0], data)
		var buf bytes.Buffer
		fp, err := u.Fetch(context.Background(), feed.Fingerprint{}, &buf)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !bytes.Equal(buf.Bytes(), data) || fp.Digest == "" {
			t.Errorf("%s: fetched bytes differ from the file", tt.file)
		}
		b, err := u.Parse(context.Background(), bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		advs, errs := feedtest.Collect(b.Advisories)
		withdrawn := 0
		for _, a := range advs {
			if a.IsWithdrawn() {
				withdrawn++
			}
			if len(a.Affected) == 0 {
				t.Errorf("%s: %s has no affected package", tt.file, a.ID)
			}
			if _, ok := byID[a.ID]; !ok {
				byID[a.ID] = a
			}
		}
		if len(advs) != tt.records || len(errs) != 0 || withdrawn != tt.withdrawn {
			t.Errorf("%s: %d records (%d withdrawn), errors %v; want %d (%d withdrawn)", tt.file, len(advs), withdrawn, errs, tt.records, tt.withdrawn)
		}
	}

	log4j := byID["GHSA-jfh8-c2jp-5v3q"]
	if log4j.Aliases[0] != "CVE-2021-44228" || log4j.Severity[0].Base != 10 || len(log4j.Affected) != 3 ||
		log4j.Affected[0].Package != "org.apache.logging.log4j:log4j-core" || log4j.Affected[0].Ranges[0].Events[1].Fixed != "2.15.0" {
		t.Errorf("GHSA-jfh8-c2jp-5v3q: %+v", log4j)
	}
	if g := byID["GO-2022-0617"]; g.Withdrawn.Format("2006-01-02") != "2024-08-21" || g.Affected[0].Package != "k8s.io/kubernetes" {
		t.Errorf("GO-2022-0617: %+v", g)
	}
	// The README's cross-references: GHSA records aliased by PYSEC ones.
	for pysec, ghsa := range map[string]string{"PYSEC-2024-4": "GHSA-2mqj-m65w-jghx", "PYSEC-2024-103": "GHSA-2q8v-3gqq-4f8p"} {
		if a := byID[pysec]; !strings.Contains(strings.Join(a.Aliases, " "), ghsa) {
			t.Errorf("%s aliases %v, want %s among them", pysec, a.Aliases, ghsa)
		}
	}
	if d := byID["DEBIAN-CVE-2006-4334"]; d.Affected[0].Ecosystem != "Debian:12" || d.Affected[0].Severity != "high" {
		t.Errorf("DEBIAN-CVE-2006-4334: %+v", d)
	}
	if a := byID["ALPINE-CVE-2023-46850"]; len(a.Affected) != 5 || a.Affected[0].Ecosystem != "Alpine:v3.18" || a.Related[0] != "CVE-2023-46850" {
		t.Errorf("ALPINE-CVE-2023-46850: %+v", a.Affected)
	}
}
