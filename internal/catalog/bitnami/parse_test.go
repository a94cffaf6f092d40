package bitnami

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// compStrings shows components as "purl arch=… license=…", marking one
// whose name and version are not its PURL's.
func compStrings(comps []component) []string {
	var out []string
	for _, d := range comps {
		s := d.purl
		if !strings.HasPrefix(d.purl, "pkg:bitnami/"+d.name+"@"+d.version) {
			s += " name=" + d.name + " version=" + d.version
		}
		if d.arch != "" {
			s += " arch=" + d.arch
		}
		if d.license != "" {
			s += " license=" + d.license
		}
		out = append(out, s)
	}
	return out
}

// pkgJSON is one entry of an SPDX packages list with the given PURLs.
func pkgJSON(name, version, concluded, declared string, purls ...string) string {
	var refs []string
	for _, p := range purls {
		refs = append(refs, `{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "`+p+`"}`)
	}
	return `{"SPDXID": "SPDXRef-` + name + `", "name": "` + name + `", "versionInfo": "` + version + `", "licenseConcluded": "` + concluded +
		`", "licenseDeclared": "` + declared + `", "externalRefs": [` + strings.Join(refs, ", ") + `]}`
}

func docJSON(pkgs ...string) string {
	return `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [` + strings.Join(pkgs, ",\n") + `]}`
}

func TestParseDocument(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "main and bundled components, a jar and an application left out",
			in: docJSON(
				pkgJSON("postgresql", "17.2.0-8", "PostgreSQL", "PostgreSQL", "pkg:bitnami/postgresql@17.2.0-8?arch=arm64&distro=debian-12"),
				pkgJSON("geos", "3.13.0", "LGPL-2.1-only", "LGPL-2.1-only", "pkg:bitnami/geos@3.13.0?arch=arm64&distro=debian-12"),
				pkgJSON("org.postgresql:pljava", "1.6.10", "NONE", "NONE", "pkg:maven/org.postgresql/pljava@1.6.10"),
				`{"name": "opt/bitnami/postgresql/lib/pljava.so", "SPDXID": "SPDXRef-Application-1", "primaryPackagePurpose": "APPLICATION"}`,
			),
			want: []string{
				"pkg:bitnami/postgresql@17.2.0-8?arch=arm64&distro=debian-12 arch=arm64 license=PostgreSQL",
				"pkg:bitnami/geos@3.13.0?arch=arm64&distro=debian-12 arch=arm64 license=LGPL-2.1-only",
			},
		},
		{
			name: "old style, no qualifiers, a CPE beside the PURL",
			in: `{"spdxVersion": "SPDX-2.3", "packages": [{"name": "postgresql", "versionInfo": "15.3.0", "licenseConcluded": "PostgreSQL",
				"externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:*:postgresql:postgresql:15.3.0:*:*:*:*:*:*:*"},
				{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:bitnami/postgresql@15.3.0"}]}]}`,
			want: []string{"pkg:bitnami/postgresql@15.3.0 license=PostgreSQL"},
		},
		{
			name: "display name, PURL case, qualifier order and SPDX 2.2 category",
			in: `{"spdxVersion": "SPDX-2.2", "packages": [{"name": "PostgreSQL", "versionInfo": "17.2.0",
				"externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "PURL", "referenceLocator": "PKG:Bitnami/PostgreSQL@17.2.0-8?distro=debian-12&arch=amd64"}]}]}`,
			want: []string{"pkg:bitnami/postgresql@17.2.0-8?arch=amd64&distro=debian-12 arch=amd64"},
		},
		{
			name: "licences: NOASSERTION and NONE say nothing, declared stands in",
			in: docJSON(
				pkgJSON("a", "1", "NOASSERTION", "MIT", "pkg:bitnami/a@1"),
				pkgJSON("b", "1", "NONE", "NOASSERTION", "pkg:bitnami/b@1"),
				pkgJSON("c", "1", "(MIT OR Apache-2.0)", "MIT", "pkg:bitnami/c@1"),
				pkgJSON("d", "1", " ", "", "pkg:bitnami/d@1"),
			),
			want: []string{
				"pkg:bitnami/a@1 license=MIT",
				"pkg:bitnami/b@1",
				"pkg:bitnami/c@1 license=(MIT OR Apache-2.0)",
				"pkg:bitnami/d@1",
			},
		},
		{
			name: "version from versionInfo only when the PURL has none",
			in: docJSON(
				pkgJSON("a", "2.0.0", "", "", "pkg:bitnami/a?arch=amd64"),
				pkgJSON("b", "3.0.0", "", "", "pkg:bitnami/b@3.0.0-2"),
			),
			want: []string{"pkg:bitnami/a@2.0.0?arch=amd64 arch=amd64", "pkg:bitnami/b@3.0.0-2"},
		},
		{
			name: "bad PURLs skipped, good ones kept",
			in: docJSON(
				pkgJSON("a", "", "", "", "pkg:bitnami/a"),
				pkgJSON("b", "1", "", "", "pkg:bitnami/vmware/b@1"),
				pkgJSON("c", "1", "", "", "pkg:bitnami/c@1%20beta"),
				pkgJSON("d", "1", "", "", "pkg:bitnami/d@1#lib"),
				pkgJSON("e", "1", "", "", "pkg:bitnami/-e@1"),
				pkgJSON("f", "1", "", "", "pkg:bitnami/f@1?arch=amd64&arch=arm64"),
				pkgJSON("ok", "1", "", "", "pkg:bitnami/ok@1"),
			),
			want:    []string{"pkg:bitnami/ok@1"},
			wantErr: `6 entries skipped, the first: package 1 ("a"): PURL "pkg:bitnami/a": invalid or missing version`,
		},
		{
			name:    "a PURL too long",
			in:      docJSON(pkgJSON("a", "1", "", "", "pkg:bitnami/a@"+strings.Repeat("1", 2000))),
			wantErr: `1 entry skipped: package 1 ("a"): PURL longer than 1024 bytes`,
		},
		{
			name:    "versionInfo a number",
			in:      `{"spdxVersion": "SPDX-2.3", "packages": [{"name": "redis", "versionInfo": 7.4, "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:bitnami/redis@7.4.2-1"}]}]}`,
			wantErr: "1 entry skipped: package 1: unexpected JSON: versionInfo is a number, want a string",
		},
		{
			name:    "externalRefs an object",
			in:      `{"spdxVersion": "SPDX-2.3", "packages": [{"name": "redis", "externalRefs": {"purl": "pkg:bitnami/redis@7.4.2-1"}}]}`,
			wantErr: "1 entry skipped: package 1: unexpected JSON: externalRefs is an object, want a list",
		},
		{
			name:    "a package a string",
			in:      `{"spdxVersion": "SPDX-2.3", "packages": ["pkg:bitnami/redis@7.4.2-1"]}`,
			wantErr: "1 entry skipped: package 1: unexpected JSON: the value is a string, want an object",
		},
		{name: "packages an object", in: `{"spdxVersion": "SPDX-2.3", "packages": {"redis": {}}}`, wantErr: "unexpected JSON: packages is an object, want a list"},
		{name: "packages null", in: `{"spdxVersion": "SPDX-2.3", "packages": null}`, wantErr: errNoPackages.Error()},
		{name: "no packages", in: `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}`, wantErr: errNoPackages.Error()},
		{name: "empty packages", in: `{"spdxVersion": "SPDX-2.3", "packages": []}`, wantErr: errNoBitnami.Error()},
		{name: "spdxVersion a number", in: `{"spdxVersion": 2.3, "packages": []}`, wantErr: "unexpected JSON: spdxVersion is a number, want a string"},
		{name: "SPDX 3", in: `{"spdxVersion": "SPDX-3.0", "packages": []}`, wantErr: `spdxVersion "SPDX-3.0": only SPDX 2 documents are read`},
		{name: "CycloneDX", in: `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}`, wantErr: "not an SPDX JSON document: no spdxVersion"},
		{name: "tag-value", in: "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", wantErr: errTagValue.Error()},
		{name: "truncated", in: docJSON(pkgJSON("redis", "7.4.2-1", "", "", "pkg:bitnami/redis@7.4.2-1"))[:90], wantErr: "invalid JSON: unexpected end of JSON input"},
		{name: "trailing garbage", in: `{"spdxVersion": "SPDX-2.3", "packages": []} {}`, wantErr: "invalid JSON: invalid character '{' after top-level value"},
		{name: "an array", in: `[{"spdxVersion": "SPDX-2.3"}]`, wantErr: "not an SPDX JSON document: not a JSON object"},
		{name: "S but not tag-value", in: "Something else", wantErr: "invalid JSON"},
		{name: "empty", in: "", wantErr: "invalid JSON"},
		{
			name:    "hostile nesting",
			in:      `{"spdxVersion": "SPDX-2.3", "packages": [{"name": ` + strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat("}", 20000) + `}]}`,
			wantErr: "invalid JSON: invalid character '{' exceeded max depth",
		},
		{
			name: "byte-order mark",
			in:   "\ufeff" + docJSON(pkgJSON("redis", "7.4.2-1", "", "", "pkg:bitnami/redis@7.4.2-1")),
			want: []string{"pkg:bitnami/redis@7.4.2-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comps, err := parseDocument([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, compStrings(comps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseComponents(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "sorted by name, digest ignored",
			in: `{"wait-for-port": {"arch": "amd64", "distro": "debian-10", "type": "NAMI", "version": "1.0.1-10"},
				"mongodb": {"arch": "amd64", "digest": "d21fc890385eae0aaa394ce6491ef304d28a5cc43f860def6badee401fe55bc5", "distro": "debian-10", "type": "NAMI", "version": "4.4.11-2"}}`,
			want: []string{
				"pkg:bitnami/mongodb@4.4.11-2?arch=amd64&distro=debian-10 arch=amd64",
				"pkg:bitnami/wait-for-port@1.0.1-10?arch=amd64&distro=debian-10 arch=amd64",
			},
		},
		{
			name: "qualifiers only when known and sound",
			in:   `{"A": {"version": "1.0.0-0"}, "b": {"arch": "arm 64", "distro": "photon-5", "version": "2"}}`,
			want: []string{"pkg:bitnami/a@1.0.0-0", "pkg:bitnami/b@2?distro=photon-5"},
		},
		{
			name: "bad entries skipped",
			in: `{"redis": {"arch": "amd64", "version": "7.4.2-0"}, "gosu": {"type": "NAMI"}, "yq": {"version": 4},
				"bad name": {"version": "1"}, "x": null, "y": "1.0", "z": {"version": "1 0"}}`,
			want:    []string{"pkg:bitnami/redis@7.4.2-0?arch=amd64 arch=amd64"},
			wantErr: `6 entries skipped, the first: component "bad name": invalid name "bad name"`,
		},
		{name: "one bad entry", in: `{"yq": {"version": 4}}`, wantErr: `1 entry skipped: component "yq": unexpected JSON: version is a number, want a string`},
		{name: "empty object", in: `{}`, wantErr: errNoComponents.Error()},
		{name: "an array", in: `[{"redis": {"version": "1"}}]`, wantErr: errNotComponents.Error()},
		{name: "null", in: `null`, wantErr: errNotComponents.Error()},
		{name: "truncated", in: `{"redis": {"arch": "amd64", "vers`, wantErr: "invalid JSON: unexpected end of JSON input"},
		{name: "garbage", in: "\x1f\x8b\x08\x00", wantErr: "invalid JSON"},
		{name: "hostile nesting", in: `{"a": ` + strings.Repeat("[", 20000), wantErr: "invalid JSON: invalid character '[' exceeded max depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comps, err := parseComponents([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, compStrings(comps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
