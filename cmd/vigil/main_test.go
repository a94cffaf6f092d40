package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestCLIDocsUpToDate(t *testing.T) {
	t.Setenv("VIGIL_CACHE_DIR", "/default/cache") // keep the default stable
	t.Setenv("XDG_CACHE_HOME", "")
	got := cliMarkdown(newRootCmd(nil, nil, nil))
	path := filepath.Join("..", "..", "docs", "cli.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/cli.md is stale; run go test ./cmd/vigil -update (-file +code):\n%s", diff)
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSBOMCommand(t *testing.T) {
	cache := t.TempDir()
	root := filepath.Join("..", "..", "internal", "catalog", "dpkg", "testdata", "rootfs")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "table", args: []string{"sbom", "dir:" + root}, wantOut: "libssl3"},
		{name: "json", args: []string{"sbom", root, "--format", "json"}, wantOut: `"schemaVersion": 1`},
		{name: "cyclonedx", args: []string{"sbom", root, "-f", "cyclonedx-json"}, wantOut: `"specVersion": "1.6"`},
		{name: "spdx", args: []string{"sbom", root, "-f", "spdx-json"}, wantOut: `"spdxVersion": "SPDX-2.3"`},
		{name: "bad format", args: []string{"sbom", root, "-f", "xml"}, wantCode: 2, wantErr: "--format"},
		{name: "missing path", args: []string{"sbom", "./nowhere.tar"}, wantCode: 2, wantErr: "nowhere.tar"},
		{name: "no target", args: []string{"sbom"}, wantCode: 2, wantErr: "accepts 1 arg"},
		{name: "version", args: []string{"version"}, wantOut: "vigil "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(tt.args, "--cache-dir", cache)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q: %s", tt.wantErr, errOut)
			}
		})
	}
}

func TestSBOMOutputFile(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "inv.json")
	root := filepath.Join("..", "..", "internal", "catalog", "dpkg", "testdata", "rootfs")
	code, out, errOut := runCLI(t, "sbom", root, "-f", "json", "-o", dst, "--no-cache")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var inv sbom.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 6 || inv.Distro == nil || inv.Distro.ID != "debian" {
		t.Errorf("inventory: %d packages, distro %+v", len(inv.Packages), inv.Distro)
	}
}
