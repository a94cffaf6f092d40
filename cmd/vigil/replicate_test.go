package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// TestReplicasShareVulnDB runs two vigil serve replicas on one PostgreSQL
// store, one with a vulnerability database and one without. After the
// first updates its database from the late snapshot, the second answers
// impact queries for the new advisories too: it installed the database the
// first published through the store.
func TestReplicasShareVulnDB(t *testing.T) {
	shared := sharedtest.Dir(t, "vulnfeeds/debian-derived/snapshot-early/tracker.json", "vulnfeeds/osv/Go/all.zip")
	dsn := storetest.PostgresDSN(t)
	snap := filepath.Join(shared, "vulnfeeds/debian-derived")
	dir := t.TempDir()
	inv := sharedtest.Inventory(t, filepath.Join(shared, "images", "debian-app"))
	early := sharedtest.Affected(t, sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-early/tracker.json")), "bookworm", inv)
	late := sharedtest.Affected(t, sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-late/tracker.json")), "bookworm", inv)
	var fresh []string // CVEs only the late snapshot says hit debian-app
	for k := range late {
		if !early[k] {
			_, cve, _ := strings.Cut(k, " ")
			fresh = append(fresh, cve)
		}
	}
	slices.Sort(fresh)
	if len(fresh) == 0 {
		t.Fatal("no CVE new in the late snapshot: the test would prove nothing")
	}

	m := mirror(t, filepath.Join(shared, "vulnfeeds"))
	snapshot := func(which string) { switchSnapshot(t, m, snap, which) }
	snapshot("snapshot-early")
	feedFlags := []string{"--mirror", m, "--osv-ecosystems", "Go,Debian", "--alpine-branches", "v3.11"}
	vdbA := filepath.Join(dir, "a", "vuln.db")
	if code, _, errOut := runCLI(t, append([]string{"db", "update", "--db-path", vdbA, "--no-cache"}, feedFlags...)...); code != 0 {
		t.Fatalf("db update: exit %d\n%s", code, errOut)
	}
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	t.Setenv("VIGIL_TOKEN", "")
	common := append([]string{"--db", dsn, "--no-cache", "--workers", "1", "--update-interval", "0", "--dev"}, feedFlags...)
	urlA, logA, _ := startServe(t, append([]string{"--vuln-db", vdbA}, common...)...)
	urlB, logB, _ := startServe(t, append([]string{"--vuln-db", filepath.Join(dir, "b", "vuln.db")}, common...)...)

	doc := filepath.Join(dir, "app.json")
	if code, _, errOut := runCLI(t, "sbom", "oci-dir:"+filepath.Join(shared, "images", "debian-app"), "-f", "json", "-o", doc, "--no-cache"); code != 0 {
		t.Fatalf("sbom: %s", errOut)
	}
	if code, out, errOut := runCLI(t, "images", "add", "--sbom", doc, "--name", "registry.example/app:1", "--wait", "--server", urlA); code != 0 {
		t.Fatalf("images add: exit %d: %s %s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "impact", fresh[0], "--server", urlB); code == 0 {
		t.Fatalf("replica B answered impact without any vulnerability database")
	}

	snapshot("snapshot-late")
	if code, out, errOut := runCLI(t, "db", "update", "--server", urlA); code != 0 {
		t.Fatalf("db update --server A: exit %d: %s %s\n%s", code, out, errOut, logA)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out, _ := runCLI(t, "impact", fresh[0], "--server", urlB, "-f", "json")
		if code == 0 && strings.Contains(out, "registry.example/app") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica B does not see %s 60 s after A's update (exit %d): %s\nB:\n%s", fresh[0], code, out, logB)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(logB.String(), "vulnerability database installed from the store") {
		t.Errorf("replica B's log does not show the install:\n%s", logB)
	}
}
