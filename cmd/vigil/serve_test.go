package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// dpkgRootfs is a small Debian 12 root filesystem: libssl3 3.0.19-1~deb12u2
// (source openssl) among six packages.
var dpkgRootfs = filepath.Join("..", "..", "internal", "catalog", "dpkg", "testdata", "rootfs")

// testVulnDB writes a vulnerability database holding two Debian 12
// advisories shaped as the Debian tracker states them: one that hits the
// rootfs's openssl, one for curl, which it does not hold.
func testVulnDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vuln.db")
	writeVulnDB(t, path, testAdvisories...)
	return path
}

func fixedAt(v string) []advisory.Range {
	return []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: v}}}}
}

var testAdvisories = []advisory.Advisory{
	{ID: "CVE-2099-0001", Source: "debian", Aliases: []string{"DSA-9999-1"}, Summary: "openssl: made-up flaw for tests",
		Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: "openssl", Status: advisory.StatusAffected, Severity: "high", Ranges: fixedAt("3.0.20-1~deb12u1")}}},
	{ID: "CVE-2099-0002", Source: "debian", Summary: "curl: made-up flaw for tests",
		Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: "curl", Status: advisory.StatusAffected, Ranges: fixedAt("7.88.1-10+deb12u99")}}},
}

// writeVulnDB writes a vulnerability database of the Debian advisories.
func writeVulnDB(t *testing.T, path string, advs ...advisory.Advisory) {
	t.Helper()
	ctx := context.Background()
	db, err := vulndb.Open(ctx, path, vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seq := func(yield func(advisory.Advisory, error) bool) {
		for _, a := range advs {
			if !yield(a, nil) {
				return
			}
		}
	}
	if _, err := db.Apply(ctx, feed.Batch{Source: "debian", Full: true, Advisories: seq}, feed.SourceState{Source: "debian"}); err != nil {
		t.Fatal(err)
	}
}

// TestAdvisorySource follows the vulnerability database file: absent,
// created, replaced by another file.
func TestAdvisorySource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	src := newAdvisorySource(path, slog.New(slog.DiscardHandler))
	src.every = 0 // check at every call
	defer src.close()
	if a := src.get(); a != nil {
		t.Fatalf("no file, got %v", a)
	}
	writeVulnDB(t, path, testAdvisories[1])
	first := src.get()
	if first == nil {
		t.Fatal("the created database was not opened")
	}
	if _, err := first.Vulnerability(ctx, "CVE-2099-0001"); err == nil {
		t.Fatal("CVE-2099-0001 is not in the first database")
	}
	if src.get() != first {
		t.Error("an unchanged file was reopened")
	}
	next := filepath.Join(dir, "next.db")
	writeVulnDB(t, next, testAdvisories...)
	if err := os.Rename(next, path); err != nil {
		t.Fatal(err)
	}
	second := src.get()
	if second == first {
		t.Fatal("the replaced file was not reopened")
	}
	if _, err := second.Vulnerability(ctx, "CVE-2099-0001"); err != nil {
		t.Fatalf("the reopened database: %v", err)
	}
	// The old handle stays usable for assessments still holding it.
	if _, err := first.Vulnerability(ctx, "CVE-2099-0002"); err != nil {
		t.Errorf("the retired database: %v", err)
	}
	os.Remove(path)
	if src.get() != second {
		t.Error("a file missing for a moment dropped the open database")
	}
}

// lockedBuffer is a buffer the server writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `vigil serve` on 127.0.0.1:0 and returns its URL; stop
// sends it the signal's cancellation and returns its exit code.
func startServe(t *testing.T, args ...string) (string, *lockedBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), nil, io.Discard, stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, after, ok := strings.Cut(stderr.String(), "listening on "); ok {
			u, _, _ := strings.Cut(after, "\n")
			var once sync.Once
			code := -1
			stop := func() int {
				once.Do(func() { cancel(); code = <-done })
				return code
			}
			t.Cleanup(func() { stop() })
			return u, stderr, stop
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before listening:\n%s", code, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pushRootfs serves an in-process registry on 127.0.0.1 holding the rootfs
// as a one-layer image, and returns its host.
func pushRootfs(t *testing.T) string {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dpkgRootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dpkgRootfs {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dpkgRootfs, p)
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(reg.URL, "http://")
	ref, err := name.ParseReference(host+"/team/rootfs:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return host
}

// TestServeEndToEnd runs vigil serve on an SQLite store and drives it with
// the client commands: tokens, SBOM upload, a pull from a registry, list,
// show, impact, rm, and the errors a person meets.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "server.db")
	vdb := testVulnDB(t)
	regHost := pushRootfs(t)
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")

	code, secret, errOut := runCLI(t, "token", "create", "--db", dsn, "--name", "e2e", "--scope", "write")
	secret = strings.TrimSpace(secret)
	if code != 0 || !strings.HasPrefix(secret, store.TokenPrefix) || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("token create: exit %d, stdout %q: %s", code, secret, errOut)
	}
	code, readJSON, errOut := runCLI(t, "token", "create", "--db", dsn, "--name", "reader", "--scope", "read", "--expires", "1h", "-f", "json")
	var reader api.Token
	if code != 0 || json.Unmarshal([]byte(readJSON), &reader) != nil || reader.Secret == "" || reader.Expires == nil || reader.Scope != "read" {
		t.Fatalf("token create -f json: exit %d: %s %s", code, readJSON, errOut)
	}

	srvURL, serveLog, stop := startServe(t, "--db", dsn, "--vuln-db", vdb, "--cache-dir", filepath.Join(dir, "cache"),
		"--allow-registries", regHost, "--insecure-registries", "--workers", "1", "--update-interval", "0")
	if strings.Contains(serveLog.String(), "no valid API token") {
		t.Errorf("serve asks for a token though one exists:\n%s", serveLog)
	}
	sbomFile := filepath.Join(dir, "rootfs.cdx.json")
	if code, _, errOut := runCLI(t, "sbom", "dir:"+dpkgRootfs, "-f", "cyclonedx-json", "-o", sbomFile, "--no-cache"); code != 0 {
		t.Fatalf("sbom: %s", errOut)
	}

	t.Setenv("VIGIL_TOKEN", secret)
	srv := []string{"--server", srvURL}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, srv...)...)
	}

	code, out, errOut := cli("images", "add", "--sbom", sbomFile, "--name", "registry.example/team/app:1", "--wait", "-f", "json")
	var im api.Image
	if code != 0 || json.Unmarshal([]byte(out), &im) != nil {
		t.Fatalf("images add --sbom: exit %d: %s %s", code, out, errOut)
	}
	if im.Repository != "registry.example/team/app" || im.Packages != 6 || im.Assessed == nil || im.Findings.High != 1 || im.Findings.Fixable != 1 {
		t.Errorf("uploaded image: %+v", im)
	}

	code, out, errOut = cli("images", "add", regHost+"/team/rootfs:1", "--wait")
	if code != 0 || !strings.Contains(out, regHost+"/team/rootfs:1") || !strings.Contains(errOut, "waiting for job") {
		t.Fatalf("images add REF --wait: exit %d:\n%s\n%s\nserver:\n%s", code, out, errOut, serveLog)
	}

	tests := []struct {
		name     string
		args     []string
		token    string // instead of the write token
		wantCode int
		want     []string // in stdout (exit 0) or stderr
		wantNot  []string
	}{
		{name: "list", args: []string{"images", "list"},
			want: []string{"registry.example/team/app:1", regHost + "/team/rootfs:1", "debian-12", im.Digest}},
		{name: "list by repository", args: []string{"images", "list", "--repository", "registry.example/team/app"},
			want: []string{"registry.example/team/app:1"}, wantNot: []string{regHost}},
		{name: "list one a page", args: []string{"images", "list", "--limit", "1", "--all", "-f", "json"},
			want: []string{"registry.example/team/app", regHost}},
		{name: "list by severity", args: []string{"images", "list", "--severity", "critical"}, want: []string{"No images."}},
		{name: "list with a read token", args: []string{"images", "list"}, token: reader.Secret, want: []string{"registry.example/team/app:1"}},
		{name: "show", args: []string{"images", "show", im.Digest},
			want: []string{"Digest:     " + im.Digest, "CVE-2099-0001", "libssl3", "3.0.19-1~deb12u2", "3.0.20-1~deb12u1", "high"}},
		{name: "show json", args: []string{"images", "show", im.Digest, "-f", "json"}, want: []string{`"inventory"`, `"CVE-2099-0001"`}},
		{name: "impact", args: []string{"impact", "CVE-2099-0001"},
			want: []string{"CVE-2099-0001 (DSA-9999-1)", "registry.example/team/app:1", regHost + "/team/rootfs:1", "libssl3", "3.0.20-1~deb12u1", "2 images, 2 packages affected"}},
		{name: "impact by alias", args: []string{"impact", "DSA-9999-1", "-f", "json"}, want: []string{`"id": "CVE-2099-0001"`, im.Digest}},
		{name: "impact on no image", args: []string{"impact", "CVE-2099-0002"}, want: []string{"No stored image is affected."}},
		{name: "impact of an unknown id", args: []string{"impact", "CVE-1999-9999"}, wantCode: 2, want: []string{"404"}},
		{name: "bad token", args: []string{"images", "list"}, token: "vgl_notatoken", wantCode: 2, want: []string{"401", "VIGIL_TOKEN"}},
		{name: "read token cannot write", args: []string{"images", "rm", im.Digest}, token: reader.Secret, wantCode: 2, want: []string{"403"}},
		{name: "unknown digest", args: []string{"images", "show", "sha256:" + strings.Repeat("0", 64)}, wantCode: 2, want: []string{"404"}},
		{name: "bad digest", args: []string{"images", "show", "latest"}, wantCode: 2, want: []string{"400"}},
		{name: "registry not allowed", args: []string{"images", "add", "registry.example/team/app:2"}, wantCode: 2, want: []string{"registry.example"}},
		{name: "reference and sbom", args: []string{"images", "add", "a:1", "--sbom", sbomFile}, wantCode: 2, want: []string{"either"}},
		{name: "bad format", args: []string{"images", "list", "-f", "xml"}, wantCode: 2, want: []string{"--format"}},
		{name: "bad severity", args: []string{"images", "list", "--severity", "urgent"}, wantCode: 2, want: []string{"--severity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token != "" {
				t.Setenv("VIGIL_TOKEN", tt.token)
			}
			code, out, errOut := cli(tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			text := out
			if code != 0 {
				text = errOut
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("output holds %q:\n%s", w, text)
				}
			}
			if strings.Contains(out+errOut, secret) || strings.Contains(out+errOut, reader.Secret) {
				t.Errorf("a token's secret was printed:\n%s\n%s", out, errOut)
			}
		})
	}

	if code, _, errOut := cli("images", "rm", im.Digest); code != 0 || !strings.Contains(errOut, "removed") {
		t.Fatalf("rm: exit %d: %s", code, errOut)
	}
	if code, _, errOut := cli("images", "show", im.Digest); code != 2 || !strings.Contains(errOut, "404") {
		t.Fatalf("show after rm: exit %d: %s", code, errOut)
	}

	// Revoking a token shuts it out at once.
	code, out, _ = runCLI(t, "token", "list", "--db", dsn)
	if code != 0 || !strings.Contains(out, "e2e") || !strings.Contains(out, "reader") {
		t.Fatalf("token list: %s", out)
	}
	if code, _, errOut := runCLI(t, "token", "revoke", "--db", dsn, "1"); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	if code, _, errOut := cli("images", "list"); code != 2 || !strings.Contains(errOut, "401") {
		t.Fatalf("list with a revoked token: exit %d: %s", code, errOut)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve stopped with %d:\n%s", code, serveLog)
	}
	if !strings.Contains(serveLog.String(), "stopping") {
		t.Errorf("serve log lacks its stop:\n%s", serveLog)
	}
	if strings.Contains(serveLog.String(), secret) {
		t.Error("the server logged a token's secret")
	}
}

// TestServeFollowsUpdates changes the vulnerability database file under
// a running server, as 'vigil db update' does, and finds the events of the
// re-assessment in the stream of GET /v1/events.
func TestServeFollowsUpdates(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "server.db")
	vdb := filepath.Join(dir, "vuln.db")
	writeVulnDB(t, vdb, testAdvisories[1]) // curl only: the rootfs is clean
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	code, secret, errOut := runCLI(t, "token", "create", "--db", dsn, "--name", "w", "--scope", "write")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	t.Setenv("VIGIL_TOKEN", strings.TrimSpace(secret))
	srvURL, serveLog, stop := startServe(t, "--db", dsn, "--vuln-db", vdb, "--no-cache", "--workers", "1", "--update-interval", "0")

	sbomFile := filepath.Join(dir, "rootfs.cdx.json")
	if code, _, errOut := runCLI(t, "sbom", "dir:"+dpkgRootfs, "-f", "cyclonedx-json", "-o", sbomFile, "--no-cache"); code != 0 {
		t.Fatalf("sbom: %s", errOut)
	}
	code, out, errOut := runCLI(t, "images", "add", "--sbom", sbomFile, "--name", "registry.example/team/app:1", "--wait", "-f", "json", "--server", srvURL)
	var im api.Image
	if code != 0 || json.Unmarshal([]byte(out), &im) != nil || im.Assessed == nil || im.Findings.High != 0 {
		t.Fatalf("images add --sbom: exit %d: %s %s", code, out, errOut)
	}

	writeVulnDB(t, vdb, testAdvisories...) // the openssl advisory arrives

	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, srvURL+"/v1/events?follow=false", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(secret))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/events: %d %v: %s", res.StatusCode, err, body)
		}
		if strings.Contains(string(body), "event: finding.new\n") && strings.Contains(string(body), `"vulnerability":"CVE-2099-0001"`) {
			if !strings.Contains(string(body), im.Digest) {
				t.Errorf("the events name another image than %s:\n%s", im.Digest, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finding.new event for CVE-2099-0001 within 30 s; events:\n%s\nserver:\n%s", body, serveLog)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve stopped with %d:\n%s", code, serveLog)
	}
}

// TestServeRefuses checks what stops vigil serve from starting.
func TestServeRefuses(t *testing.T) {
	newer := "sqlite://" + filepath.Join(t.TempDir(), "newer.db")
	st, err := store.Open(context.Background(), newer, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ExecForTest(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	fresh := "sqlite://" + filepath.Join(t.TempDir(), "server.db")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "newer schema", args: []string{"--db", newer}, want: "upgraded by a newer vigil"},
		{name: "dev on a public address", args: []string{"--db", fresh, "--dev", "--listen", "0.0.0.0:0"}, want: "loopback"},
		{name: "negative update interval", args: []string{"--db", fresh, "--update-interval", "-1h"}, want: "--update-interval"},
		{name: "empty webhook host", args: []string{"--db", fresh, "--allow-webhook-hosts", "hooks.example.com,,x.example"}, want: "--allow-webhook-hosts"},
		{name: "bad listen address", args: []string{"--db", fresh, "--listen", "8080"}, want: "--listen"},
		{name: "missing registry config", args: []string{"--db", fresh, "--listen", "127.0.0.1:0", "--registry-config", filepath.Join(t.TempDir(), "none.json")}, want: "--registry-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"serve", "--no-cache"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, want 2 and %q: %s", code, tt.want, errOut)
			}
		})
	}
	t.Run("token commands on a newer schema", func(t *testing.T) {
		code, _, errOut := runCLI(t, "token", "list", "--db", newer)
		if code != 2 || !strings.Contains(errOut, "newer") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}

// TestServeWithoutTokens checks the hint given when no token exists, and
// that --dev lets loopback requests in without one.
func TestServeWithoutTokens(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "server.db")
	t.Setenv("VIGIL_TOKEN", "")
	u, log, stop := startServe(t, "--db", dsn, "--no-cache", "--workers", "0")
	if !strings.Contains(log.String(), "vigil token create --db '"+dsn+"'") {
		t.Errorf("no hint to create a token:\n%s", log)
	}
	if code, _, errOut := runCLI(t, "images", "list", "--server", u); code != 2 || !strings.Contains(errOut, "401") {
		t.Errorf("without a token: exit %d: %s", code, errOut)
	}
	stop()

	u, _, _ = startServe(t, "--db", dsn, "--no-cache", "--workers", "0", "--dev")
	if code, out, errOut := runCLI(t, "images", "list", "--server", u); code != 0 || !strings.Contains(out, "No images.") {
		t.Errorf("--dev: exit %d: %s %s", code, out, errOut)
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://vigil:s3cret@db.internal:5432/vigil?sslmode=require", "postgres://vigil:xxxxx@db.internal:5432/vigil?sslmode=require"},
		{"postgres://vigil@db.internal/vigil", "postgres://vigil@db.internal/vigil"},
		{"sqlite:///var/lib/vigil/server.db", "sqlite:///var/lib/vigil/server.db"},
	}
	for _, tt := range tests {
		if got := redactDSN(tt.in); got != tt.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
