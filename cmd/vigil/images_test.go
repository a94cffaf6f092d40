package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/server/api"
)

func TestImageDetailTable(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	detail := func(findings string) *api.ImageDetail {
		return &api.ImageDetail{
			Image: api.Image{Digest: "sha256:" + strings.Repeat("ab", 32), Repository: "registry.example/app", Tag: "1", Origin: "registry",
				Base: &api.BaseImage{Source: "annotation", Name: "debian:12", Layers: 1}, Layers: 2, Packages: 3, Assessed: &at, DBVersion: 7},
			Assessment: &api.Assessment{At: at, DBVersion: 7, Findings: json.RawMessage(findings)},
		}
	}
	// Findings as the scan JSON writes them (severity by name) and as the
	// advisory type marshals (severity by number: 4 is high).
	findings := `[
	 {"id":"CVE-1","packageName":"zlib1g","installedVersion":"1","status":"affected","severity":"low","fix":{}},
	 {"id":"CVE-2","packageName":"libssl3","installedVersion":"3.0","status":"fixed","severity":4,"fix":{"versions":["3.1"]},"inBase":true,"kev":{"dateAdded":"2026-01-01"}},
	 {"id":"CVE-3","packageName":"bash","installedVersion":"5","status":"fixed","severity":"critical","fix":{"versions":["6"]},"suppressed":{"kind":"vex"}},
	 {"id":"CVE-4\u001b[31m","packageName":"evil\npkg","installedVersion":"1","status":"affected","severity":"medium","fix":{}}
	]`
	tests := []struct {
		name       string
		d          *api.ImageDetail
		suppressed bool
		want       []string // in this order
		wantNot    []string
	}{
		{name: "findings by severity", d: detail(findings),
			want:    []string{"Image:      registry.example/app:1", "Base image: debian:12 (1 layers, from annotation)", "database version 7", "high      CVE-2", "3.1", "known exploited, base image", "medium    CVE-4 [31m     evil pkg", "low       CVE-1"},
			wantNot: []string{"CVE-3", "\x1b"}},
		{name: "suppressed on demand", d: detail(findings), suppressed: true, want: []string{"critical  CVE-3", "suppressed", "high"}},
		{name: "no findings", d: detail(`[]`), want: []string{"No vulnerabilities found."}},
		{name: "not assessed", d: &api.ImageDetail{Image: api.Image{Digest: "sha256:00"}}, want: []string{"Assessed:   never", "Not assessed yet."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeImageDetail(&buf, tt.d, tt.suppressed, false); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("output holds %q:\n%s", w, out)
				}
			}
			for line := range strings.Lines(out) {
				if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " ") {
					t.Errorf("trailing blanks: %q", line)
				}
			}
		})
	}
}

// TestImagesAddSBOMFromStdin checks an SBOM read from stdin reaches the
// API as the request documents: XML as a JSON string, with the name.
func TestImagesAddSBOMFromStdin(t *testing.T) {
	var got api.AddImageRequest
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.Method != http.MethodPost || r.URL.Path != "/v1/images" || json.NewDecoder(r.Body).Decode(&got) != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":"bad_request","message":"unexpected request"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"image":{"digest":"sha256:`+strings.Repeat("c", 64)+`","repository":"team/app","tag":"2","origin":"sbom","layers":0,"packages":1,"registered":"2026-03-01T10:00:00Z","indexed":"2026-03-01T10:00:00Z","findings":{"max":"unknown"},"sizeBytes":10}}`)
	}))
	defer srv.Close()
	t.Setenv("VIGIL_TOKEN", "vgl_fromenv")
	doc := `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>`
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"images", "add", "--sbom", "-", "--name", "team/app:2", "--server", srv.URL}, strings.NewReader(doc), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var s string
	if json.Unmarshal(got.SBOM, &s) != nil || s != doc || got.Name != "team/app:2" || got.Wait || got.Reference != "" {
		t.Errorf("request: %+v (sbom %s)", got, got.SBOM)
	}
	if auth != "Bearer vgl_fromenv" {
		t.Errorf("Authorization %q", auth)
	}
	if !strings.Contains(out.String(), "team/app:2") || !strings.Contains(out.String(), "never") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestImageName(t *testing.T) {
	tests := []struct{ repo, tag, ref, want string }{
		{"registry.example/app", "1", "registry.example/app:1", "registry.example/app:1"},
		{"registry.example/app", "", "registry.example/app@sha256:00", "registry.example/app"},
		{"", "", "upload", "upload"},
		{"", "", "", "-"},
	}
	for _, tt := range tests {
		if got := imageName(tt.repo, tt.tag, tt.ref); got != tt.want {
			t.Errorf("imageName(%q, %q, %q) = %q, want %q", tt.repo, tt.tag, tt.ref, got, tt.want)
		}
	}
}
