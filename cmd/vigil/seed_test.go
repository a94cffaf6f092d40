package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sharedtest"
)

// TestSeedStoryOverHTTP is the story of the seed, end to end through the
// real commands: a mirror serves the early snapshot of the Debian data;
// debian-minbase and debian-app are registered with a running vigil serve;
// a receiver on 127.0.0.1 subscribes; the mirror switches to the late
// snapshot and the server is asked to update. The receiver must get exactly
// one signed finding.new per (image, package, CVE) that late affects and
// early did not — as the tracker and dpkg --compare-versions say — and
// image.went_bad for the images that crossed the threshold.
func TestSeedStoryOverHTTP(t *testing.T) {
	shared := sharedtest.Dir(t, "vulnfeeds/debian-derived/snapshot-early/tracker.json", "vulnfeeds/osv/Go/all.zip")
	snap := filepath.Join(shared, "vulnfeeds/debian-derived")
	early := sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-early/tracker.json"))
	late := sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-late/tracker.json"))
	names := []string{"debian-minbase", "debian-app"}
	var want []string
	docs := map[string]string{}
	dir := t.TempDir()
	for _, name := range names {
		inv := sharedtest.Inventory(t, filepath.Join(shared, "images", name))
		a, b := sharedtest.Affected(t, early, "bookworm", inv), sharedtest.Affected(t, late, "bookworm", inv)
		for k := range b {
			if !a[k] {
				want = append(want, name+" "+k)
			}
		}
		raw, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = filepath.Join(dir, name+".json")
		if err := os.WriteFile(docs[name], raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)

	// The mirror, with the early snapshot in the tracker's and OSV's places.
	m := mirror(t, filepath.Join(shared, "vulnfeeds"))
	snapshot := func(which string) { switchSnapshot(t, m, snap, which) }
	snapshot("snapshot-early")
	feedFlags := []string{"--mirror", m, "--osv-ecosystems", "Go,Debian", "--alpine-branches", "v3.11"}
	vdb := filepath.Join(dir, "vuln.db")
	if code, _, errOut := runCLI(t, append([]string{"db", "update", "--db-path", vdb, "--no-cache"}, feedFlags...)...); code != 0 {
		t.Fatalf("db update from the early snapshot: exit %d\n%s", code, errOut)
	}

	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	t.Setenv("VIGIL_TOKEN", "")
	t.Setenv("HOOK_SECRET", hookSecret)
	rc := &receiver{byKey: map[string]int{}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	srvURL, serveLog, stop := startServe(t, append([]string{"--db", "sqlite://" + filepath.Join(dir, "server.db"), "--vuln-db", vdb,
		"--no-cache", "--workers", "2", "--update-interval", "0", "--dev", "--allow-webhook-hosts", strings.TrimPrefix(hook.URL, "http://")},
		feedFlags...)...)
	srv := []string{"--server", srvURL}
	if code, out, errOut := runCLI(t, append([]string{"subscriptions", "add", "--url", hook.URL + "/hook", "--secret-env", "HOOK_SECRET",
		"--events", "finding.new,image.went_bad"}, srv...)...); code != 0 {
		t.Fatalf("subscriptions add: exit %d: %s %s", code, out, errOut)
	}
	for _, name := range names {
		if code, out, errOut := runCLI(t, append([]string{"images", "add", "--sbom", docs[name], "--name", "registry.example/" + name + ":1", "--wait"}, srv...)...); code != 0 {
			t.Fatalf("images add %s: exit %d: %s %s", name, code, out, errOut)
		}
	}

	snapshot("snapshot-late")
	if code, out, errOut := runCLI(t, append([]string{"db", "update"}, srv...)...); code != 0 {
		t.Fatalf("db update --server: exit %d: %s %s\nserver:\n%s", code, out, errOut, serveLog)
	}

	// Wait for the deliveries to settle: what the oracle expects, then a
	// moment more for anything that should not come.
	deadline := time.Now().Add(90 * time.Second)
	for {
		rc.mu.Lock()
		n := 0
		for _, e := range rc.events {
			if e.Type == "dev.vigil.finding.new" {
				n++
			}
		}
		rc.mu.Unlock()
		if n >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d finding.new deliveries in 90 s; server:\n%s", n, len(want), serveLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if code := stop(); code != 0 {
		t.Fatalf("serve stopped with %d:\n%s", code, serveLog)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bad {
		t.Error(b)
	}
	var got []string
	wentBad := map[string]int{}
	for _, e := range rc.events {
		if rc.byKey[e.ID] != 1 {
			t.Errorf("event %s delivered %d times", e.ID, rc.byKey[e.ID])
		}
		name := strings.TrimPrefix(e.Data.Image.Repository, "registry.example/")
		switch e.Type {
		case "dev.vigil.finding.new":
			if e.Data.Package.Ecosystem == string(sbom.Deb) {
				got = append(got, name+" "+e.Data.Package.Name+" "+e.Data.Vulnerability.ID)
			}
		case "dev.vigil.image.went_bad":
			wentBad[name]++
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding.new deliveries (-tracker+dpkg +vigil):\n%s", diff)
	}
	for name, n := range wentBad {
		if n != 1 {
			t.Errorf("%s: %d image.went_bad deliveries, want at most one", name, n)
		}
	}
	t.Logf("%d finding.new deliveries as the oracle says; image.went_bad for %v", len(got), wentBad)
}

// switchSnapshot puts a snapshot of the Debian data (snapshot-early or
// snapshot-late under snap) in the tracker's and OSV's places of the
// file:// mirror m.
func switchSnapshot(t *testing.T, m, snap, which string) {
	t.Helper()
	root := strings.TrimPrefix(m, "file://")
	for from, to := range map[string]string{
		"tracker.json":       "security-tracker.debian.org/tracker/data/json",
		"osv/Debian/all.zip": "osv-vulnerabilities.storage.googleapis.com/Debian/all.zip",
	} {
		b, err := os.ReadFile(filepath.Join(snap, which, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
