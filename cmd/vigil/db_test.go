package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedFeeds returns ../shared/vulnfeeds, or skips.
func sharedFeeds(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	dir = filepath.Join(dir, "vulnfeeds")
	if _, err := os.Stat(filepath.Join(dir, "osv", "Go", "all.zip")); err != nil {
		t.Skipf("shared feeds not found at %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// mirror lays real upstream files out as a file:// mirror: BASE/HOST/PATH.
func mirror(t *testing.T, feeds string) string {
	t.Helper()
	root := t.TempDir()
	put := func(upstream string, data []byte) {
		p := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(upstream, "https://")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(feeds, rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	put("https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip", read("osv/Go/all.zip"))
	put("https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip", read("debian-derived/osv/Debian/all.zip"))
	put("https://security-tracker.debian.org/tracker/data/json", read("debian-derived/tracker.json"))
	put("https://secdb.alpinelinux.org/v3.11/main.json", read("distro/alpine-secdb/v3.11/main.json"))
	put("https://secdb.alpinelinux.org/v3.11/community.json", read("distro/alpine-secdb/v3.11/community.json"))
	put("https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", read("enrichment/kev/known_exploited_vulnerabilities.json"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(read("enrichment/epss/epss_scores-current.EXCERPT-first16000chars.csv"))
	zw.Close()
	put("https://epss.empiricalsecurity.com/epss_scores-current.csv.gz", gz.Bytes())
	return "file://" + root
}

// TestDBCommands updates from a mirror of real upstream files, updates
// again with nothing changed, shows the status, and moves the database
// through export and import.
func TestDBCommands(t *testing.T) {
	m := mirror(t, sharedFeeds(t))
	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	base := []string{"--db-path", dbPath, "--no-cache"}
	update := append([]string{"db", "update", "--mirror", m, "--osv-ecosystems", "Go,Debian", "--alpine-branches", "v3.11"}, base...)

	code, _, errOut := runCLI(t, update...)
	if code != 0 {
		t.Fatalf("first update: exit %d\n%s", code, errOut)
	}
	for _, src := range []string{"osv/Go", "osv/Debian", "debian", "alpine/v3.11", "kev", "epss"} {
		if !strings.Contains(errOut, src) {
			t.Errorf("update report lacks %s:\n%s", src, errOut)
		}
	}
	code, _, errOut = runCLI(t, update...)
	if code != 0 || strings.Contains(errOut, "updated") {
		t.Fatalf("second update: exit %d, want every source unchanged:\n%s", code, errOut)
	}

	code, out, errOut := runCLI(t, append([]string{"db", "status"}, base...)...)
	if code != 0 || !strings.Contains(out, "osv/Go") || !strings.Contains(out, "kev") {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errOut)
	}

	bundle := filepath.Join(t.TempDir(), "db.bundle")
	if code, _, errOut := runCLI(t, append([]string{"db", "export", bundle}, base...)...); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	other := filepath.Join(t.TempDir(), "imported.db")
	if code, _, errOut := runCLI(t, "db", "import", bundle, "--db-path", other); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	code, out2, _ := runCLI(t, "db", "status", "--db-path", other)
	if code != 0 || !strings.Contains(out2, "osv/Go") {
		t.Fatalf("status of the imported database: %s", out2)
	}

	// A damaged bundle is refused and the database stays as it was.
	b, _ := os.ReadFile(bundle)
	b[len(b)/2] ^= 0xff
	os.WriteFile(bundle, b, 0o644)
	if code, _, errOut := runCLI(t, "db", "import", bundle, "--db-path", other); code != 2 || !strings.Contains(errOut, bundle) {
		t.Fatalf("damaged import: exit %d: %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "db", "status", "--db-path", other); code != 0 {
		t.Fatal("the database was damaged by a refused import")
	}
}

func TestDBUpdateFailingSource(t *testing.T) {
	// An empty mirror: every source fails, the exit code says so, and the
	// report names the sources.
	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	code, _, errOut := runCLI(t, "db", "update", "--db-path", dbPath, "--mirror", "file://"+t.TempDir(), "--osv-ecosystems", "Go", "--alpine-branches", "v3.20")
	if code != 2 || !strings.Contains(errOut, "osv/Go") || !strings.Contains(errOut, "failed") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// TestScan scans the real debian-app image against a database made from
// the real feeds, and checks the exit codes and formats.
func TestScan(t *testing.T) {
	m := mirror(t, sharedFeeds(t))
	img := filepath.Join(sharedFeeds(t), "..", "images", "debian-app")
	if _, err := os.Stat(img); err != nil {
		t.Skipf("shared images: %v", err)
	}
	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	if code, _, errOut := runCLI(t, "db", "update", "--db-path", dbPath, "--mirror", m, "--osv-ecosystems", "Go,Debian", "--alpine-branches", "v3.11", "-q"); code != 0 {
		t.Fatalf("update: %s", errOut)
	}
	base := []string{"scan", "oci-dir:" + img, "--db-path", dbPath, "--no-cache", "--offline", "-q"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "table", args: nil, wantOut: "CVE-"},
		{name: "json", args: []string{"-f", "json"}, wantOut: `"schemaVersion": 1`},
		{name: "sarif", args: []string{"-f", "sarif"}, wantOut: `"version": "2.1.0"`},
		{name: "go module advisories", args: []string{"-f", "json"}, wantOut: `"packageName": "golang.org/x/text"`},
		{name: "fail on low", args: []string{"--fail-on", "low"}, wantCode: 1, wantOut: "CVE-"},
		{name: "bad severity", args: []string{"--fail-on", "urgent"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(base, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%.2000s", tt.wantOut, out)
			}
		})
	}
	t.Run("ignores and VEX", func(t *testing.T) {
		dir := t.TempDir()
		ign := filepath.Join(dir, "ignore.yaml")
		os.WriteFile(ign, []byte("ignore:\n  - id: CVE-2024-28757\n    package: libexpat1\n    reason: not reachable from our code\n"), 0o644)
		vex := filepath.Join(dir, "vex.json")
		os.WriteFile(vex, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"test","timestamp":"2026-11-01T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"CVE-2025-59375"},"products":[{"@id":"pkg:deb/debian/libexpat1"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`), 0o644)
		code, out, errOut := runCLI(t, append(base, "-f", "json", "--ignore-file", ign, "--vex", vex)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{`"justification": "not reachable from our code"`, `"justification": "vulnerable_code_not_in_execute_path"`} {
			if !strings.Contains(out, want) {
				t.Errorf("json lacks %s", want)
			}
		}
		code, _, errOut = runCLI(t, append(base, "--ignore-file", filepath.Join(dir, "missing.yaml"))...)
		if code != 2 || !strings.Contains(errOut, "missing.yaml") {
			t.Errorf("missing ignore file: exit %d: %s", code, errOut)
		}
	})

	t.Run("sbom targets find what the image scan finds", func(t *testing.T) {
		_, want, _ := runCLI(t, append(base, "-f", "json")...)
		if len(findingIDs(t, want)) < 100 {
			t.Fatalf("the image scan found %d findings; the shared data gives well over 100", len(findingIDs(t, want)))
		}
		for _, format := range []string{"json", "cyclonedx-json", "spdx-json"} {
			file := filepath.Join(t.TempDir(), "sbom."+format)
			if code, _, errOut := runCLI(t, "sbom", "oci-dir:"+img, "--no-cache", "-q", "-f", format, "-o", file); code != 0 {
				t.Fatalf("sbom %s: %s", format, errOut)
			}
			code, got, errOut := runCLI(t, "scan", "sbom:"+file, "--db-path", dbPath, "--offline", "-q", "-f", "json")
			if code != 0 {
				t.Fatalf("scan sbom:%s: exit %d: %s", format, code, errOut)
			}
			if a, b := findingIDs(t, want), findingIDs(t, got); !slices.Equal(a, b) {
				t.Errorf("%s: %d findings from the SBOM, %d from the image", format, len(b), len(a))
			}
		}
	})

	t.Run("no database offline", func(t *testing.T) {
		code, _, errOut := runCLI(t, "scan", "oci-dir:"+img, "--db-path", filepath.Join(t.TempDir(), "none.db"), "--offline", "--no-cache")
		if code != 2 || !strings.Contains(errOut, "vigil db update") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}

// findingIDs lists "id package" of a scan's JSON output, sorted.
func findingIDs(t *testing.T, out string) []string {
	t.Helper()
	var doc struct {
		Findings []struct{ ID, PackageName string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("scan json: %v", err)
	}
	var ids []string
	for _, f := range doc.Findings {
		ids = append(ids, f.ID+" "+f.PackageName)
	}
	slices.Sort(ids)
	return ids
}
