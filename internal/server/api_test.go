package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cdxDoc generates a CycloneDX JSON SBOM of n npm components named after
// name, so that each name gives another document (and digest).
func cdxDoc(name string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"library","name":"%s-%d","version":"1.0.%d","purl":"pkg:npm/%s-%d@1.0.%d"}`, name, i, i, name, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// sbomRequest is the body of an SBOM upload: a JSON document as an
// object, anything else as a string.
func sbomRequest(doc []byte, name string, wait bool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	var raw json.RawMessage = doc
	if !json.Valid(doc) || doc[0] != '{' {
		var s bytes.Buffer
		e := json.NewEncoder(&s)
		e.SetEscapeHTML(false)
		e.Encode(string(doc))
		raw = bytes.TrimSpace(s.Bytes())
	}
	enc.Encode(api.AddImageRequest{SBOM: raw, Name: name, Wait: wait})
	return b.Bytes()
}

// millionDocs are upload requests of SBOMs of a million components:
// CycloneDX JSON with names, with only PURLs, and CycloneDX XML (as a
// string). Made once.
var millionDocs = sync.OnceValue(func() [3][]byte {
	of := func(head, format, tail string) []byte {
		var b bytes.Buffer
		b.WriteString(head)
		for i := range 1_000_000 {
			if i > 0 && head[0] == '{' {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, format, i, i)
		}
		b.WriteString(tail)
		return sbomRequest(b.Bytes(), "", false)
	}
	const cdx = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`
	return [3][]byte{
		of(cdx, `{"type":"library","name":"p%d","purl":"pkg:npm/p%d@1"}`, `]}`),
		of(cdx, `{"purl":"pkg:npm/p%d@%d"}`, `]}`),
		of(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>`, `<component><purl>pkg:npm/p%d@%d</purl></component>`, `</components></bom>`),
	}
})

// TestAPI walks the endpoints' ordinary answers on each store.
func TestAPI(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{dsn: be.DSN(t), advisories: emptyAdvisories(t), run: true})

			if r := e.call("GET", "/healthz", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
				t.Errorf("healthz: %d %s", r.status, r.body)
			}
			if r := e.call("GET", "/readyz", "", nil); r.status != 200 {
				t.Errorf("readyz: %d %s", r.status, r.body)
			}
			if r := e.call("GET", "/openapi.json", "", nil); r.status != 200 || !bytes.Equal(r.body, openapiDoc) {
				t.Errorf("openapi.json: %d", r.status)
			}

			// An SBOM as a JSON object, assessed before the answer.
			add := decode[api.AddImageResponse](t, e.call("POST", "/v1/images", e.write, sbomRequest(readTestdata(t, "app.cdx.json"), "registry.example/team/app:1.2", true)), 201)
			app := add.Image
			if app == nil || app.Assessed == nil || app.Origin != "sbom" || app.Repository != "registry.example/team/app" || app.Tag != "1.2" || app.Packages != 4 || app.Distro != "debian-12" {
				t.Fatalf("SBOM upload: %+v", app)
			}
			// As strings: CycloneDX XML and SPDX tag-value, assessed by a job.
			var others []string
			for _, f := range []string{"alpine.cdx.xml", "rocky.spdx"} {
				add := decode[api.AddImageResponse](t, e.call("POST", "/v1/images", e.write, sbomRequest(readTestdata(t, f), "", false)), 201)
				if add.Image == nil || add.Image.Packages == 0 {
					t.Fatalf("%s: %+v", f, add)
				}
				others = append(others, add.Image.Digest)
			}

			e.waitIdle(time.Minute)

			// Detail, with each include.
			for _, tc := range []struct {
				include       string
				inv, findings bool
			}{{"", true, true}, {"?include=inventory", true, false}, {"?include=findings", false, true}, {"?include=", false, false}, {"?include=findings,inventory", true, true}} {
				d := decode[api.ImageDetail](t, e.call("GET", "/v1/images/"+app.Digest+tc.include, e.read, nil), 200)
				if (d.Inventory != nil) != tc.inv || (d.Assessment != nil) != tc.findings {
					t.Errorf("include %q: inventory %v, assessment %v", tc.include, d.Inventory != nil, d.Assessment != nil)
				}
				if d.Image.Digest != app.Digest {
					t.Errorf("include %q: digest %s", tc.include, d.Image.Digest)
				}
			}

			// Lists and their filters.
			list := func(q string) []string {
				t.Helper()
				l := decode[api.ImageList](t, e.call("GET", "/v1/images"+q, e.read, nil), 200)
				var ds []string
				for _, im := range l.Images {
					ds = append(ds, im.Digest)
				}
				return ds
			}
			all := list("")
			if len(all) != 3 || all[0] != others[1] {
				t.Errorf("list: %v, want 3 images, newest first", all)
			}
			for q, want := range map[string][]string{
				"?repository=registry.example/team/app":      {app.Digest},
				"?repository=registry.example/*":             {app.Digest},
				"?repository=registry.example/team/ap":       nil,
				"?severity=low":                              nil,
				"?fixable=true":                              nil,
				"?kev=false&limit=1000":                      all,
				"?assessed_before=2000-01-01T00:00:00Z":      nil,
				"?assessed_age=10000h":                       nil,
				"?repository=" + url.QueryEscape("nothing*"): nil,
			} {
				if got := list(q); !slices.Equal(got, want) {
					t.Errorf("list%s: %v, want %v", q, got, want)
				}
			}
			// Pages of one.
			var paged []string
			for q := "?limit=1"; ; {
				l := decode[api.ImageList](t, e.call("GET", "/v1/images"+q, e.read, nil), 200)
				for _, im := range l.Images {
					paged = append(paged, im.Digest)
				}
				if l.Next == "" {
					break
				}
				q = "?limit=1&after=" + url.QueryEscape(l.Next)
			}
			if !slices.Equal(paged, all) {
				t.Errorf("pages: %v, want %v", paged, all)
			}

			// The reverse index.
			pl := decode[api.PackageList](t, e.call("GET", "/v1/packages?purl="+url.QueryEscape("pkg:npm/lodash"), e.read, nil), 200)
			if len(pl.Packages) != 1 || pl.Packages[0].Version != "4.17.15" || len(pl.Packages[0].Images) != 1 || pl.Packages[0].Images[0].Digest != app.Digest {
				t.Errorf("packages: %+v", pl)
			}
			pl = decode[api.PackageList](t, e.call("GET", "/v1/packages?purl="+url.QueryEscape("pkg:npm/lodash")+"&range="+url.QueryEscape(">=4.17.21"), e.read, nil), 200)
			if len(pl.Packages) != 0 {
				t.Errorf("packages in range >=4.17.21: %+v", pl)
			}

			// Jobs: the assessment of an SBOM uploaded without wait.
			ids := decode[api.AddImageResponse](t, e.call("POST", "/v1/images", e.write, sbomRequest(cdxDoc("jobcheck", 3), "", false)), 201)
			jobs, err := e.store.Jobs(context.Background(), "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var jobID int64
			for _, j := range jobs {
				if strings.Contains(string(j.Payload), ids.Image.Digest) {
					jobID = j.ID
				}
			}
			if jobID == 0 {
				t.Fatalf("no assess job for %s", ids.Image.Digest)
			}
			e.waitJob(jobID, time.Minute)
			j := decode[api.Job](t, e.call("GET", fmt.Sprintf("/v1/jobs/%d", jobID), e.read, nil), 200)
			if j.State != "done" || j.Kind != "assess" || !strings.Contains(string(j.Result), ids.Image.Digest) {
				t.Errorf("job: %+v", j)
			}

			// Delete.
			if r := e.call("DELETE", "/v1/images/"+others[0], e.write, nil); r.status != 204 {
				t.Errorf("delete: %d %s", r.status, r.body)
			}
			if r := e.call("GET", "/v1/images/"+others[0], e.read, nil); r.status != 404 {
				t.Errorf("deleted image: %d", r.status)
			}

			// Tokens.
			created := decode[api.Token](t, e.call("POST", "/v1/tokens", e.admin, api.CreateTokenRequest{Name: "ci", Scope: "read"}), 201)
			if !strings.HasPrefix(created.Secret, "vgl_") || created.Scope != "read" || !strings.HasPrefix(created.Secret, created.Prefix) {
				t.Fatalf("created token: %+v", created)
			}
			if r := e.call("GET", "/v1/images", created.Secret, nil); r.status != 200 {
				t.Errorf("new token: %d", r.status)
			}
			tl := decode[api.TokenList](t, e.call("GET", "/v1/tokens", e.admin, nil), 200)
			found := false
			for _, tok := range tl.Tokens {
				found = found || (tok.ID == created.ID && tok.Secret == "" && tok.LastUsed != nil)
				if tok.Secret != "" {
					t.Errorf("token list shows a secret")
				}
			}
			if !found {
				t.Errorf("token list lacks %d (or its last use): %+v", created.ID, tl)
			}
			if r := e.call("DELETE", fmt.Sprintf("/v1/tokens/%d", created.ID), e.admin, nil); r.status != 204 {
				t.Errorf("revoke: %d %s", r.status, r.body)
			}
			if r := e.call("GET", "/v1/images", created.Secret, nil); r.status != 401 {
				t.Errorf("revoked token: %d", r.status)
			}

			// Metrics count what was done.
			r := e.call("GET", "/metrics", "", nil)
			for _, want := range []string{
				`vigil_http_request_duration_seconds_count{route="POST /v1/images",method="POST",code="201"} 4`,
				`vigil_images 3`,
				`vigil_advisories_loaded 1`,
				`vigil_jobs{state="done"}`,
			} {
				if !strings.Contains(string(r.body), want) {
					t.Errorf("metrics lack %q:\n%s", want, r.body)
				}
			}
		})
	}
}

// TestBadInput sends every endpoint what it must refuse: each answer is the
// exact 4xx, as a JSON error, never a 500.
func TestBadInput(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{dsn: be.DSN(t), advisories: emptyAdvisories(t), allow: []string{"registry.example.com"}})
			ctx := context.Background()
			add := decode[api.AddImageResponse](t, e.call("POST", "/v1/images", e.write, sbomRequest(readTestdata(t, "app.cdx.json"), "", true)), 201)
			digest := add.Image.Digest
			expired, _, err := e.store.CreateToken(ctx, "expired", "admin", time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			revoked, tok, err := e.store.CreateToken(ctx, "revoked", "admin", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			zeros := "sha256:" + strings.Repeat("0", 64)
			big := bytes.Repeat([]byte(" "), DefaultMaxBody+1)
			copy(big, `{"reference":"x"}`)
			bigToken := append([]byte(`{"name":"x","scope":"read"}`), bytes.Repeat([]byte(" "), maxJSONBody)...)
			million := millionDocs()
			for _, m := range million {
				if len(m) >= DefaultMaxBody {
					t.Fatalf("a million-component SBOM of %d bytes must fit the body limit to reach the component count", len(m))
				}
			}

			type tc struct {
				name         string
				method, path string
				token        string
				ctype        string // default application/json
				body         any
				status       int
				code         string
				header       [2]string // a header the answer must have
			}
			tests := []tc{
				// POST /v1/images
				{"malformed JSON", "POST", "/v1/images", e.write, "", `{"reference":`, 400, "bad_request", [2]string{}},
				{"empty body", "POST", "/v1/images", e.write, "", "", 400, "bad_request", [2]string{}},
				{"empty object", "POST", "/v1/images", e.write, "", `{}`, 400, "bad_request", [2]string{}},
				{"both", "POST", "/v1/images", e.write, "", `{"reference":"registry.example.com/a:1","sbom":{}}`, 400, "bad_request", [2]string{}},
				{"unknown field", "POST", "/v1/images", e.write, "", `{"ref":"registry.example.com/a:1"}`, 400, "bad_request", [2]string{}},
				{"two values", "POST", "/v1/images", e.write, "", `{"reference":"registry.example.com/a:1"} {}`, 400, "bad_request", [2]string{}},
				{"wrong type", "POST", "/v1/images", e.write, "", `{"reference":42}`, 400, "bad_request", [2]string{}},
				{"sbom a number", "POST", "/v1/images", e.write, "", `{"sbom":42}`, 400, "bad_request", [2]string{}},
				{"sbom empty string", "POST", "/v1/images", e.write, "", `{"sbom":" "}`, 400, "bad_request", [2]string{}},
				{"name with reference", "POST", "/v1/images", e.write, "", `{"reference":"registry.example.com/a:1","name":"b"}`, 400, "bad_request", [2]string{}},
				{"sbom not an sbom", "POST", "/v1/images", e.write, "", `{"sbom":"hello"}`, 422, "unprocessable", [2]string{}},
				{"sbom unknown JSON", "POST", "/v1/images", e.write, "", `{"sbom":{"foo":1}}`, 422, "unprocessable", [2]string{}},
				{"sbom broken CycloneDX", "POST", "/v1/images", e.write, "", `{"sbom":{"bomFormat":"CycloneDX","components":7}}`, 422, "unprocessable", [2]string{}},
				{"sbom bad name", "POST", "/v1/images", e.write, "", sbomRequest(readTestdata(t, "app.cdx.json"), "Not A Reference!", false), 422, "unprocessable", [2]string{}},
				{"bad reference", "POST", "/v1/images", e.write, "", `{"reference":"Not A Reference!"}`, 422, "unprocessable", [2]string{}},
				{"registry not allowed", "POST", "/v1/images", e.write, "", `{"reference":"evil.example.net/app:1"}`, 422, "unprocessable", [2]string{}},
				{"loopback registry not allowed", "POST", "/v1/images", e.write, "", `{"reference":"127.0.0.1:5000/app:1"}`, 422, "unprocessable", [2]string{}},
				{"text/plain", "POST", "/v1/images", e.write, "text/plain", `{"reference":"registry.example.com/a:1"}`, 415, "unsupported_media_type", [2]string{}},
				{"no content type", "POST", "/v1/images", e.write, "-", `{"reference":"registry.example.com/a:1"}`, 415, "unsupported_media_type", [2]string{}},
				{"oversized body", "POST", "/v1/images", e.write, "", big, 413, "too_large", [2]string{}},
				{"million components", "POST", "/v1/images", e.write, "", million[0], 422, "unprocessable", [2]string{}},
				{"million compact components", "POST", "/v1/images", e.write, "", million[1], 422, "unprocessable", [2]string{}},
				{"million XML components", "POST", "/v1/images", e.write, "", million[2], 422, "unprocessable", [2]string{}},
				// GET /v1/images
				{"severity", "GET", "/v1/images?severity=bogus", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"fixable", "GET", "/v1/images?fixable=maybe", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"kev", "GET", "/v1/images?kev=2", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"limit 0", "GET", "/v1/images?limit=0", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"limit too big", "GET", "/v1/images?limit=1001", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"limit word", "GET", "/v1/images?limit=ten", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"cursor", "GET", "/v1/images?after=garbage!", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"cursor base64", "GET", "/v1/images?after=eDEy", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"assessed_before", "GET", "/v1/images?assessed_before=yesterday", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"assessed_age negative", "GET", "/v1/images?assessed_age=-1h", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"assessed_age days", "GET", "/v1/images?assessed_age=3d", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"assessed both", "GET", "/v1/images?assessed_age=1h&assessed_before=2025-01-01T00:00:00Z", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"unknown parameter", "GET", "/v1/images?severty=high", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"repeated parameter", "GET", "/v1/images?limit=1&limit=2", e.read, "", nil, 400, "bad_request", [2]string{}},
				// /v1/images/{digest}
				{"short digest", "GET", "/v1/images/sha256:abc", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"no algorithm", "GET", "/v1/images/" + strings.Repeat("a", 64), e.read, "", nil, 400, "bad_request", [2]string{}},
				{"upper-case digest", "GET", "/v1/images/sha256:" + strings.Repeat("A", 64), e.read, "", nil, 400, "bad_request", [2]string{}},
				{"md5 digest", "GET", "/v1/images/md5:" + strings.Repeat("a", 32), e.read, "", nil, 400, "bad_request", [2]string{}},
				{"unknown digest", "GET", "/v1/images/" + zeros, e.read, "", nil, 404, "not_found", [2]string{}},
				{"include", "GET", "/v1/images/" + digest + "?include=everything", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"delete bad digest", "DELETE", "/v1/images/latest", e.write, "", nil, 400, "bad_request", [2]string{}},
				{"delete unknown", "DELETE", "/v1/images/" + zeros, e.write, "", nil, 404, "not_found", [2]string{}},
				// jobs
				{"job id word", "GET", "/v1/jobs/abc", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"job id zero", "GET", "/v1/jobs/0", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"job id overflow", "GET", "/v1/jobs/99999999999999999999", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"unknown job", "GET", "/v1/jobs/987654", e.read, "", nil, 404, "not_found", [2]string{}},
				// impact and packages
				{"unknown vulnerability", "GET", "/v1/vulnerabilities/CVE-1999-99999/impact", e.read, "", nil, 404, "not_found", [2]string{}},
				{"long vulnerability id", "GET", "/v1/vulnerabilities/" + strings.Repeat("A", 300) + "/impact", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"impact parameter", "GET", "/v1/vulnerabilities/CVE-2024-1/impact?x=1", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"impact limit", "GET", "/v1/vulnerabilities/CVE-2024-1/impact?limit=0", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"no purl", "GET", "/v1/packages", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"not a purl", "GET", "/v1/packages?purl=lodash", e.read, "", nil, 400, "bad_request", [2]string{}},
				{"bad range", "GET", "/v1/packages?purl=pkg:npm/lodash&range=" + url.QueryEscape(">>> what"), e.read, "", nil, 400, "bad_request", [2]string{}},
				// tokens
				{"token scope", "POST", "/v1/tokens", e.admin, "", `{"name":"x","scope":"root"}`, 400, "bad_request", [2]string{}},
				{"token no name", "POST", "/v1/tokens", e.admin, "", `{"scope":"read"}`, 400, "bad_request", [2]string{}},
				{"token past", "POST", "/v1/tokens", e.admin, "", `{"name":"x","scope":"read","expires":"2001-01-01T00:00:00Z"}`, 400, "bad_request", [2]string{}},
				{"token bad time", "POST", "/v1/tokens", e.admin, "", `{"name":"x","scope":"read","expires":"soon"}`, 400, "bad_request", [2]string{}},
				{"token malformed", "POST", "/v1/tokens", e.admin, "", `[`, 400, "bad_request", [2]string{}},
				{"token oversized", "POST", "/v1/tokens", e.admin, "", bigToken, 413, "too_large", [2]string{}},
				{"token form", "POST", "/v1/tokens", e.admin, "application/x-www-form-urlencoded", "name=x&scope=read", 415, "unsupported_media_type", [2]string{}},
				{"revoke word", "DELETE", "/v1/tokens/me", e.admin, "", nil, 400, "bad_request", [2]string{}},
				{"revoke unknown", "DELETE", "/v1/tokens/987654", e.admin, "", nil, 404, "not_found", [2]string{}},
				// routes and methods
				{"unknown path", "GET", "/v2/images", e.read, "", nil, 404, "not_found", [2]string{}},
				{"unknown subpath", "GET", "/v1/images/" + digest + "/layers", e.read, "", nil, 404, "not_found", [2]string{}},
				{"PUT images", "PUT", "/v1/images", e.write, "", `{}`, 405, "method_not_allowed", [2]string{"Allow", "GET, HEAD, POST"}},
				{"DELETE job", "DELETE", "/v1/jobs/1", e.admin, "", nil, 405, "method_not_allowed", [2]string{"Allow", "GET, HEAD"}},
				{"POST healthz", "POST", "/healthz", "", "", `{}`, 405, "method_not_allowed", [2]string{"Allow", "GET, HEAD"}},
				// authentication and scopes
				{"no token", "GET", "/v1/images", "", "", nil, 401, "unauthorized", [2]string{"WWW-Authenticate", `Bearer realm="vigil"`}},
				{"unknown token", "GET", "/v1/images", "vgl_" + strings.Repeat("a", 32), "", nil, 401, "unauthorized", [2]string{"WWW-Authenticate", `Bearer realm="vigil", error="invalid_token"`}},
				{"not a vigil token", "GET", "/v1/images", "hunter2", "", nil, 401, "unauthorized", [2]string{"WWW-Authenticate", `Bearer realm="vigil", error="invalid_token"`}},
				{"huge token", "GET", "/v1/images", "vgl_" + strings.Repeat("a", 4000), "", nil, 401, "unauthorized", [2]string{}},
				{"expired token", "GET", "/v1/images", expired, "", nil, 401, "unauthorized", [2]string{}},
				{"revoked token", "GET", "/v1/images", revoked, "", nil, 401, "unauthorized", [2]string{}},
				{"no token, bad body", "POST", "/v1/images", "", "text/plain", `{`, 401, "unauthorized", [2]string{}},
				{"read token writes", "POST", "/v1/images", e.read, "", `{"reference":"registry.example.com/a:1"}`, 403, "forbidden", [2]string{}},
				{"read token deletes", "DELETE", "/v1/images/" + digest, e.read, "", nil, 403, "forbidden", [2]string{}},
				{"write token lists tokens", "GET", "/v1/tokens", e.write, "", nil, 403, "forbidden", [2]string{}},
				{"write token creates a token", "POST", "/v1/tokens", e.write, "", `{"name":"x","scope":"admin"}`, 403, "forbidden", [2]string{}},
				{"read token revokes", "DELETE", "/v1/tokens/1", e.read, "", nil, 403, "forbidden", [2]string{}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					ct := tc.ctype
					switch ct {
					case "":
						ct = "application/json"
					case "-":
						ct = ""
					}
					r := e.callType(tc.method, tc.path, tc.token, ct, tc.body)
					if r.status != tc.status {
						t.Fatalf("status %d, want %d: %.500s", r.status, tc.status, r.body)
					}
					var er api.Error
					if err := json.Unmarshal(r.body, &er); err != nil || er.Error.Code != tc.code || er.Error.Message == "" {
						t.Errorf("body %.500s: want a JSON error %q (%v)", r.body, tc.code, err)
					}
					if h := tc.header; h[0] != "" && r.header.Get(h[0]) != h[1] {
						t.Errorf("%s: %q, want %q", h[0], r.header.Get(h[0]), h[1])
					}
				})
			}
			// Nothing of the refused uploads was stored.
			if l := decode[api.ImageList](t, e.call("GET", "/v1/images", e.read, nil), 200); len(l.Images) != 1 {
				t.Errorf("%d images stored, want the one valid upload", len(l.Images))
			}
		})
	}
}

// TestDev checks that dev mode lets in tokenless requests from loopback
// only, and that a token, when given, is still checked.
func TestDev(t *testing.T) {
	dev := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), dev: true})
	prod := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	tests := []struct {
		name   string
		e      *env
		remote string
		method string
		path   string
		token  string
		status int
	}{
		{"dev loopback v4", dev, "127.0.0.1:5555", "GET", "/v1/images", "", 200},
		{"dev loopback v4 range", dev, "127.0.0.2:5555", "GET", "/v1/images", "", 200},
		{"dev loopback v6", dev, "[::1]:5555", "GET", "/v1/images", "", 200},
		{"dev loopback admin", dev, "127.0.0.1:5555", "GET", "/v1/tokens", "", 200},
		{"dev remote", dev, "203.0.113.7:4444", "GET", "/v1/images", "", 401},
		{"dev private network", dev, "10.1.2.3:4444", "GET", "/v1/images", "", 401},
		{"dev mapped v4", dev, "[::ffff:192.0.2.1]:80", "GET", "/v1/images", "", 401},
		{"dev garbage address", dev, "localhost", "GET", "/v1/images", "", 401},
		{"dev remote with token", dev, "203.0.113.7:4444", "GET", "/v1/images", dev.read, 200},
		{"dev remote read token writes", dev, "203.0.113.7:4444", "DELETE", "/v1/images/sha256:" + strings.Repeat("0", 64), dev.read, 403},
		{"dev loopback bad token", dev, "127.0.0.1:5555", "GET", "/v1/images", "vgl_nope", 401},
		{"prod loopback", prod, "127.0.0.1:5555", "GET", "/v1/images", "", 401},
		{"dev public endpoints", dev, "203.0.113.7:4444", "GET", "/healthz", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.RemoteAddr = tc.remote
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			tc.e.srv.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			checkAgainstDocument(t, tc.e.srv, req, response{status: w.Code, header: w.Header(), body: w.Body.Bytes()})
		})
	}
}

// TestPanic checks a handler's panic becomes a logged 500 JSON error and
// the server carries on.
func TestPanic(t *testing.T) {
	var logged syncBuffer
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), logger: slogTo(&logged)})
	e.srv.mux.Handle("GET /panic", e.srv.endpoint(route{"GET /panic", "", 0, func(w http.ResponseWriter, r *http.Request) error {
		var m map[string]int
		m["boom"]++
		return nil
	}}))
	req := httptest.NewRequest("GET", "/panic", nil)
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	var er api.Error
	if w.Code != 500 || json.Unmarshal(w.Body.Bytes(), &er) != nil || er.Error.Code != "internal" {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logged.String(), "assignment to entry in nil map") || !strings.Contains(logged.String(), "level=ERROR") {
		t.Errorf("the panic was not logged: %s", logged.String())
	}
	if r := e.call("GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("after the panic: %d", r.status)
	}
}

// TestReadyWithoutAdvisories: with no vulnerability database the server is
// not ready, and what needs one answers 503.
func TestReadyWithoutAdvisories(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	r := e.call("GET", "/readyz", "", nil)
	if r.status != 503 || !strings.Contains(string(r.body), `"advisories":"none loaded"`) {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/vulnerabilities/CVE-2024-1/impact", ""},
		{"POST", "/v1/images", string(sbomRequest(readTestdata(t, "app.cdx.json"), "", true))},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := e.call(c.method, c.path, e.write, body)
		if r.status != 503 || r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
}

// TestLogsNoSecrets checks that neither tokens nor the Authorization header
// reach the log.
func TestLogsNoSecrets(t *testing.T) {
	var logged syncBuffer
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), logger: slogTo(&logged)})
	e.call("GET", "/v1/images", e.admin, nil)
	e.call("GET", "/v1/images", "vgl_wrongsecret", nil)
	created := decode[api.Token](t, e.call("POST", "/v1/tokens", e.admin, api.CreateTokenRequest{Name: "x", Scope: "read"}), 201)
	for _, secret := range []string{e.admin, "vgl_wrongsecret", created.Secret, "Bearer"} {
		if strings.Contains(logged.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logged.String())
		}
	}
	if !strings.Contains(logged.String(), "msg=request") || !strings.Contains(logged.String(), `route="GET /v1/images"`) {
		t.Errorf("requests are not logged:\n%s", logged.String())
	}
}
