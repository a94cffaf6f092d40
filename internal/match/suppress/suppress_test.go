package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
)

var testNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func finding(id, purl string, aliases ...string) advisory.Finding {
	return advisory.Finding{ID: id, Aliases: aliases, PackagePURL: purl}
}

func mustIgnore(t *testing.T) *Ignore {
	t.Helper()
	ig, err := LoadIgnore("testdata/vigilignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return ig
}

func TestApplyIgnore(t *testing.T) {
	ig := mustIgnore(t)
	lodash := finding("CVE-2021-23337", "pkg:npm/lodash@4.17.20", "GHSA-aaaa-bbbb-cccc")
	lodash.PackageName = "lodash"
	libssl := finding("CVE-2023-9999", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64")
	libssl.PackageName, libssl.SourcePackage = "libssl3", "openssl"
	tests := []struct {
		name string
		f    advisory.Finding
		now  time.Time
		want *advisory.Suppression
	}{
		{"id only, any package", finding("CVE-2023-1234", "pkg:npm/x@1"), testNow,
			&advisory.Suppression{Kind: "ignore", Justification: "not reachable", Statement: "testdata/vigilignore.yaml rule 0 (line 3)"}},
		{"id case-insensitive", finding("cve-2023-1234", "pkg:npm/x@1"), testNow,
			&advisory.Suppression{Kind: "ignore", Justification: "not reachable", Statement: "testdata/vigilignore.yaml rule 0 (line 3)"}},
		{"alias with package name", lodash, testNow,
			&advisory.Suppression{Kind: "ignore", Justification: "only used at build time", Statement: "testdata/vigilignore.yaml rule 1 (line 5)"}},
		{"alias, other package", finding("CVE-2021-23337", "pkg:npm/other@1", "GHSA-aaaa-bbbb-cccc"), testNow, nil},
		{"purl with version matches, qualifiers ignored", finding("CVE-2023-5678", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"), testNow,
			&advisory.Suppression{Kind: "ignore", Justification: "patched in our fork", Statement: "testdata/vigilignore.yaml rule 2 (line 8)"}},
		{"purl with version, other version", finding("CVE-2023-5678", "pkg:deb/debian/openssl@3.0.13-1~deb12u1"), testNow, nil},
		{"purl other namespace", finding("CVE-2023-5678", "pkg:deb/ubuntu/openssl@3.0.11-1~deb12u2"), testNow, nil},
		{"versionless purl, name case-insensitive for deb", finding("CVE-2023-9999", "pkg:deb/debian/ZLIB@1:1.2.13"), testNow,
			&advisory.Suppression{Kind: "ignore", Justification: "no untrusted input", Statement: "testdata/vigilignore.yaml rule 3 (line 11)",
				Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}},
		{"expires on the day still applies", finding("CVE-2023-9999", "pkg:deb/debian/zlib@1"), time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC),
			&advisory.Suppression{Kind: "ignore", Justification: "no untrusted input", Statement: "testdata/vigilignore.yaml rule 3 (line 11)",
				Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}},
		{"expired date", finding("CVE-2023-9999", "pkg:deb/debian/zlib@1"), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), nil},
		{"expired rfc3339", finding("CVE-2020-0001", "pkg:npm/x@1"), testNow, nil},
		{"purl rule for another package", libssl, testNow, nil},
		{"unrelated", finding("CVE-2000-0000", "pkg:npm/x@1"), testNow, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []advisory.Finding{tt.f}
			Apply(fs, tt.now, []*Ignore{ig}, nil)
			if diff := cmp.Diff(tt.want, fs[0].Suppressed); diff != "" {
				t.Errorf("suppression (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnoreSourcePackageName(t *testing.T) {
	ig, err := ParseIgnore("x.yaml", []byte("ignore:\n  - id: CVE-1\n    package: openssl\n    reason: r\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := finding("CVE-1", "pkg:deb/debian/libssl3@3")
	f.PackageName, f.SourcePackage = "libssl3", "openssl"
	fs := []advisory.Finding{f}
	Apply(fs, testNow, []*Ignore{ig}, nil)
	if fs[0].Suppressed == nil {
		t.Error("rule naming the source package did not suppress its binary package")
	}
}

func TestApplyWarnsExpired(t *testing.T) {
	got := Apply(nil, testNow, []*Ignore{mustIgnore(t)}, nil)
	if len(got) != 1 || !strings.Contains(got[0], "CVE-2020-0001") || !strings.Contains(got[0], "vigilignore.yaml") {
		t.Errorf("warnings = %q, want one naming CVE-2020-0001 and the file", got)
	}
}

func TestParseIgnoreErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"invalid yaml", "ignore: [", "bad.yaml"},
		{"top level list", "- id: x\n", "bad.yaml line 1"},
		{"unknown top key", "ignores: []\n", `unknown key "ignores"`},
		{"ignore not a list", "ignore: 3\n", "must be a list"},
		{"unknown rule key", "ignore:\n  - id: CVE-1\n    reason: r\n    pakage: x\n", `bad.yaml line 2: unknown key "pakage"`},
		{"missing id", "ignore:\n  - reason: r\n", "bad.yaml line 2: missing id"},
		{"missing reason", "ignore:\n  - id: CVE-1\n  - id: CVE-2\n", "bad.yaml line 2: rule CVE-1: missing reason"},
		{"bad date", "ignore:\n  - id: CVE-1\n    reason: r\n    expires: 31/01/2027\n", "bad.yaml line 2: rule CVE-1: expires"},
		{"list value", "ignore:\n  - id: [a]\n    reason: r\n", `"id" must be a scalar`},
		{"bad purl", "ignore:\n  - id: CVE-1\n    reason: r\n    package: \"pkg:\"\n", "package"},
		{"duplicate key", "ignore:\n  - id: CVE-1\n    id: CVE-2\n    reason: r\n", "duplicate"},
		{"huge", strings.Repeat("#", MaxIgnoreSize+1), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIgnore("bad.yaml", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.yaml") {
				t.Errorf("error = %v, want one containing %q and the file name", err, tt.want)
			}
		})
	}
}

func TestLoadIgnoreTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, make([]byte, MaxIgnoreSize+10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIgnore(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("LoadIgnore(huge) = %v, want error naming %s", err, p)
	}
}

func TestParseIgnoreEmpty(t *testing.T) {
	for _, in := range []string{"", "ignore:\n", "# nothing\n"} {
		ig, err := ParseIgnore("e.yaml", []byte(in))
		if err != nil || len(ig.Rules) != 0 {
			t.Errorf("ParseIgnore(%q) = %v, %v; want no rules", in, ig, err)
		}
	}
}
