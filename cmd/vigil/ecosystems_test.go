package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// osvRecord is an OSV record with one affected package and one range.
func osvRecord(id, cve, eco, pkg, rangeType, introduced, fixed string) map[string]any {
	return map[string]any{
		"schema_version": "1.6.0", "id": id, "modified": "2026-11-01T00:00:00Z", "published": "2026-10-01T00:00:00Z",
		"aliases": []string{cve}, "summary": id + " in " + pkg,
		"affected": []map[string]any{{
			"package": map[string]string{"ecosystem": eco, "name": pkg},
			"ranges":  []map[string]any{{"type": rangeType, "events": []map[string]string{{"introduced": introduced}, {"fixed": fixed}}}},
		}},
	}
}

// TestScanNewEcosystems runs the whole path for the ecosystems and the
// distribution added last, from feed files in a mirror to scan findings:
// an SBOM of a Wolfi image with a Bitnami component, a Hex and a Pub
// package, against OSV records of each written to the OSV schema.
func TestScanNewEcosystems(t *testing.T) {
	root := t.TempDir()
	put := func(upstream string, data []byte) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(upstream, "https://")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipOf := func(recs ...map[string]any) []byte {
		t.Helper()
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, r := range recs {
			w, err := zw.Create(r["id"].(string) + ".json")
			if err != nil {
				t.Fatal(err)
			}
			json.NewEncoder(w).Encode(r)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	osv := "https://osv-vulnerabilities.storage.googleapis.com/"
	put(osv+"Wolfi/all.zip", zipOf(osvRecord("CGA-0001", "CVE-2026-1001", "Wolfi", "openssl", "ECOSYSTEM", "0", "3.1.4-r1")))
	put(osv+"Bitnami/all.zip", zipOf(
		// Fixed in the upstream release the installed revision is built from.
		osvRecord("BIT-postgresql-2026-1", "CVE-2026-1002", "Bitnami", "postgresql", "SEMVER", "0", "17.2.0"),
		osvRecord("BIT-postgresql-2026-2", "CVE-2026-1003", "Bitnami", "postgresql", "SEMVER", "17.0.0", "17.3.0")))
	put(osv+"Hex/all.zip", zipOf(osvRecord("GHSA-hex0-0000-0001", "CVE-2026-1004", "Hex", "plug", "ECOSYSTEM", "0", "1.14.2")))
	put(osv+"Pub/all.zip", zipOf(osvRecord("GHSA-pub0-0000-0001", "CVE-2026-1005", "Pub", "http", "ECOSYSTEM", "0", "0.13.3")))
	// The other default sources, empty.
	put("https://security-tracker.debian.org/tracker/data/json", []byte(`{}`))
	put("https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
		[]byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.01","dateReleased":"2026-11-01T00:00:00.000Z","count":0,"vulnerabilities":[]}`))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("#model_version:v2025.03.14,score_date:2026-11-28T00:00:00Z\ncve,epss,percentile\n"))
	zw.Close()
	put("https://epss.empiricalsecurity.com/epss_scores-current.csv.gz", gz.Bytes())

	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	if code, _, errOut := runCLI(t, "db", "update", "--db-path", dbPath, "--mirror", "file://"+root,
		"--osv-ecosystems", "Wolfi,Bitnami,Hex,Pub", "--alpine-branches", "", "-q"); code != 0 {
		t.Fatalf("db update: exit %d: %s", code, errOut)
	}

	sbomPath := filepath.Join(t.TempDir(), "image.cdx.json")
	sbom := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "container", "name": "registry.example/app:1"}},
  "components": [
    {"type": "operating-system", "name": "wolfi", "version": "20230201"},
    {"type": "library", "name": "openssl", "version": "3.1.4-r0", "purl": "pkg:apk/wolfi/openssl@3.1.4-r0?arch=x86_64&distro=wolfi-20230201"},
    {"type": "application", "name": "postgresql", "version": "17.2.0-8", "purl": "pkg:bitnami/postgresql@17.2.0-8?arch=amd64"},
    {"type": "library", "name": "plug", "version": "1.14.0", "purl": "pkg:hex/plug@1.14.0"},
    {"type": "library", "name": "http", "version": "0.13.0", "purl": "pkg:pub/http@0.13.0"}
  ]}`
	if err := os.WriteFile(sbomPath, []byte(sbom), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "scan", "sbom:"+sbomPath, "--db-path", dbPath, "--offline", "-q", "-f", "json")
	if code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errOut)
	}
	got := findingIDs(t, out)
	want := []string{"CVE-2026-1001 openssl", "CVE-2026-1003 postgresql", "CVE-2026-1004 plug", "CVE-2026-1005 http"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v (not CVE-2026-1002: 17.2.0-8 is built from the fixed 17.2.0)\n%s", got, want, errOut)
	}
}
