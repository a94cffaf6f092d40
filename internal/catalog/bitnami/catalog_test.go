package bitnami

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// spdxDoc is an SPDX document as Bitnami writes it, describing the first
// of the components given as "name@version" and containing the others.
func spdxDoc(qualifiers string, components ...string) []byte {
	var b strings.Builder
	name, _, _ := strings.Cut(components[0], "@")
	fmt.Fprintf(&b, `{"SPDXID": "SPDXRef-%s", "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0",
	"creationInfo": {"created": "2025-06-10T08:00:00.000Z", "creators": ["Organization: Broadcom Inc. and/or its subsidiaries."]},
	"name": "SPDX document for %s", "documentDescribes": ["SPDXRef-%s"], "documentNamespace": "%s", "packages": [`, name, name, name, name)
	for i, c := range components {
		n, v, _ := strings.Cut(c, "@")
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `
	{"SPDXID": "SPDXRef-%s", "name": "%s", "versionInfo": "%s", "downloadLocation": "NOASSERTION",
	 "licenseConcluded": "Apache-2.0", "licenseDeclared": "Apache-2.0", "filesAnalyzed": false,
	 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:bitnami/%s@%s%s"}],
	 "copyrightText": "NOASSERTION"}`, n, n, v, n, v, qualifiers)
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}

func file(data []byte) *fstest.MapFile { return &fstest.MapFile{Data: data, Mode: 0o644} }

func symlink(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

const componentsJSON = `{
    "gosu": {"arch": "amd64", "distro": "debian-12", "type": "NAMI", "version": "1.17.0-9"},
    "redis": {"arch": "amd64", "distro": "debian-12", "type": "NAMI", "version": "7.4.2-0"},
    "wait-for-port": {"arch": "amd64", "distro": "debian-12", "type": "NAMI", "version": "1.0.8-8"}
}`

// TestCatalog checks how documents and the components file combine, and
// that each bad file is one warning naming it while good files beside it
// are still read.
func TestCatalog(t *testing.T) {
	const (
		q      = "?arch=arm64&distro=debian-12"
		compsP = "opt/bitnami/.bitnami_components.json"
		redisP = "opt/bitnami/redis/.spdx-redis.spdx"
	)
	redisDoc := spdxDoc(q, "redis@7.4.2-1")
	tests := []struct {
		name      string
		fsys      fstest.MapFS
		want      []string
		wantWarns []string
	}{
		{
			name: "a component without a document comes from the components file",
			fsys: fstest.MapFS{
				compsP: file([]byte(componentsJSON)),
				redisP: file(redisDoc),
			},
			want: []string{
				"pkg:bitnami/gosu@1.17.0-9?arch=amd64&distro=debian-12 /opt/bitnami/.bitnami_components.json",
				"pkg:bitnami/redis@7.4.2-1" + q + " /opt/bitnami/redis/.spdx-redis.spdx",
				"pkg:bitnami/wait-for-port@1.0.8-8?arch=amd64&distro=debian-12 /opt/bitnami/.bitnami_components.json",
			},
		},
		{
			name: "a document covers what it names, in whatever directory",
			fsys: fstest.MapFS{
				compsP: file([]byte(componentsJSON)),
				"opt/bitnami/common/.spdx-wait-for-port.spdx": file(spdxDoc(q, "wait-for-port@1.0.8-12")),
				"opt/bitnami/common/.spdx-gosu.spdx":          file(spdxDoc(q, "gosu@1.17.0-12")),
				"opt/bitnami/redis/.spdx-redis.spdx":          file(redisDoc),
			},
			want: []string{
				"pkg:bitnami/gosu@1.17.0-12" + q + " /opt/bitnami/common/.spdx-gosu.spdx",
				"pkg:bitnami/redis@7.4.2-1" + q + " /opt/bitnami/redis/.spdx-redis.spdx",
				"pkg:bitnami/wait-for-port@1.0.8-12" + q + " /opt/bitnami/common/.spdx-wait-for-port.spdx",
			},
		},
		{
			name: "a bundled component covers its entry too",
			fsys: fstest.MapFS{
				compsP: file([]byte(`{"postgresql": {"version": "17.2.0-7"}, "geos": {"version": "3.12.0"}}`)),
				"opt/bitnami/postgresql/.spdx-postgresql.spdx": file(spdxDoc(q, "postgresql@17.2.0-8", "geos@3.13.0")),
			},
			want: []string{
				"pkg:bitnami/geos@3.13.0" + q + " /opt/bitnami/postgresql/.spdx-postgresql.spdx",
				"pkg:bitnami/postgresql@17.2.0-8" + q + " /opt/bitnami/postgresql/.spdx-postgresql.spdx",
			},
		},
		{
			name: "a broken document does not hide the components file",
			fsys: fstest.MapFS{
				compsP: file([]byte(`{"redis": {"arch": "amd64", "distro": "debian-12", "type": "NAMI", "version": "7.4.2-0"}}`)),
				redisP: file(redisDoc[:len(redisDoc)/2]),
			},
			want:      []string{"pkg:bitnami/redis@7.4.2-0?arch=amd64&distro=debian-12 /opt/bitnami/.bitnami_components.json"},
			wantWarns: []string{"bitnami: /opt/bitnami/redis/.spdx-redis.spdx: invalid JSON: unexpected end of JSON input"},
		},
		{
			name: "a document without Bitnami PURLs does not hide it either",
			fsys: fstest.MapFS{
				compsP: file([]byte(`{"keycloak": {"arch": "amd64", "distro": "debian-12", "type": "NAMI", "version": "26.1.2-0"}}`)),
				"opt/bitnami/keycloak/.spdx-keycloak.spdx": file([]byte(`{"spdxVersion": "SPDX-2.3", "packages": [
					{"name": "org.keycloak:keycloak-core", "versionInfo": "26.1.2", "externalRefs": [
						{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:maven/org.keycloak/keycloak-core@26.1.2"}]}]}`)),
			},
			want:      []string{"pkg:bitnami/keycloak@26.1.2-0?arch=amd64&distro=debian-12 /opt/bitnami/.bitnami_components.json"},
			wantWarns: []string{"bitnami: /opt/bitnami/keycloak/.spdx-keycloak.spdx: no package with a pkg:bitnami PURL"},
		},
		{
			name: ".spdx a symlink to .json (June 2025)",
			fsys: fstest.MapFS{
				"opt/bitnami/node/.spdx-node.json": file(spdxDoc(q, "node@22.16.0-1")),
				"opt/bitnami/node/.spdx-node.spdx": symlink(".spdx-node.json"),
			},
			want: []string{"pkg:bitnami/node@22.16.0-1" + q + " /opt/bitnami/node/.spdx-node.spdx"},
		},
		{
			name: ".json a symlink to .spdx",
			fsys: fstest.MapFS{
				"opt/bitnami/node/.spdx-node.spdx": file(spdxDoc(q, "node@22.16.0-3")),
				"opt/bitnami/node/.spdx-node.json": symlink(".spdx-node.spdx"),
			},
			want: []string{"pkg:bitnami/node@22.16.0-3" + q + " /opt/bitnami/node/.spdx-node.spdx"},
		},
		{
			name: "a dangling .spdx symlink leaves the .json",
			fsys: fstest.MapFS{
				"opt/bitnami/node/.spdx-node.spdx": symlink("/opt/bitnami/node/gone.json"),
				"opt/bitnami/node/.spdx-node.json": file(spdxDoc(q, "node@22.16.0-1")),
			},
			want: []string{"pkg:bitnami/node@22.16.0-1" + q + " /opt/bitnami/node/.spdx-node.json"},
		},
		{
			name: "a dangling symlink alone",
			fsys: fstest.MapFS{
				"opt/bitnami/node/.spdx-node.spdx": symlink("/opt/bitnami/node/gone.json"),
			},
			wantWarns: []string{"bitnami: /opt/bitnami/node/.spdx-node.spdx: file does not exist"},
		},
		{
			name: "one component in two documents, and twice in one",
			fsys: fstest.MapFS{
				"opt/bitnami/php/.spdx-php.spdx":       file(spdxDoc(q, "php@8.3.16-2", "libmemcached@1.0.18", "libmemcached@1.0.18")),
				"opt/bitnami/apache/.spdx-apache.spdx": file(spdxDoc(q, "apache@2.4.63-1", "libmemcached@1.0.18")),
			},
			want: []string{
				"pkg:bitnami/apache@2.4.63-1" + q + " /opt/bitnami/apache/.spdx-apache.spdx",
				"pkg:bitnami/libmemcached@1.0.18" + q + " /opt/bitnami/apache/.spdx-apache.spdx",
				"pkg:bitnami/libmemcached@1.0.18" + q + " /opt/bitnami/php/.spdx-php.spdx",
				"pkg:bitnami/php@8.3.16-2" + q + " /opt/bitnami/php/.spdx-php.spdx",
			},
		},
		{
			name: "bad files beside good ones",
			fsys: fstest.MapFS{
				redisP:                       file(redisDoc),
				"opt/bitnami/a/.spdx-a.spdx": file([]byte(`{"spdxVersion": "SPDX-2.3", "packages": {"a": {}}}`)),
				"opt/bitnami/b/.spdx-b.spdx": file([]byte(`{"spdxVersion": "SPDX-2.3", "packages": [
					{"name": "b", "versionInfo": 1.2, "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:bitnami/b@1.2.0-1"}]},
					{"name": "c", "versionInfo": "2.0.0", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:bitnami/c@2.0.0"}]}]}`)),
				"opt/bitnami/c/.spdx-c.spdx": file([]byte("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nPackageName: c\n")),
				"opt/bitnami/d/.spdx-d.spdx": file([]byte(`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}`)),
				"opt/bitnami/e/.spdx-e.spdx": file([]byte("\x00\x01\x02\xff garbage")),
				"opt/bitnami/f/.spdx-f.spdx": file(nil),
				"opt/bitnami/g/.spdx-g.spdx": file([]byte(`{"spdxVersion": "SPDX-2.3", "packages": [` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `]}`)),
				compsP:                       file([]byte(`["redis"]`)),
			},
			want: []string{
				"pkg:bitnami/c@2.0.0 /opt/bitnami/b/.spdx-b.spdx",
				"pkg:bitnami/redis@7.4.2-1" + q + " /opt/bitnami/redis/.spdx-redis.spdx",
			},
			wantWarns: []string{
				"bitnami: /opt/bitnami/a/.spdx-a.spdx: unexpected JSON: packages is an object, want a list",
				"bitnami: /opt/bitnami/b/.spdx-b.spdx: 1 entry skipped: package 1: unexpected JSON: versionInfo is a number, want a string",
				"bitnami: /opt/bitnami/c/.spdx-c.spdx: SPDX tag-value document: only SPDX JSON is read",
				"bitnami: /opt/bitnami/d/.spdx-d.spdx: not an SPDX JSON document: no spdxVersion",
				"bitnami: /opt/bitnami/e/.spdx-e.spdx: invalid JSON",
				"bitnami: /opt/bitnami/f/.spdx-f.spdx: invalid JSON",
				"bitnami: /opt/bitnami/g/.spdx-g.spdx: invalid JSON: invalid character '[' exceeded max depth",
				"bitnami: /opt/bitnami/.bitnami_components.json: not a .bitnami_components.json: not a JSON object of components",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, warns := catalogtest.Run(t, New(), tt.fsys)
			var got []string
			for _, p := range pkgs {
				if p.Ecosystem != "bitnami" || p.FoundBy != "bitnami" || len(p.Locations) != 1 {
					t.Errorf("bad package %+v", p)
				}
				got = append(got, p.PURL+" "+p.Locations[0])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCatalogHuge hands Catalog files larger than Wants accepts, as a view
// holding more than this cataloger wanted could: they are refused unread,
// with a warning naming them.
func TestCatalogHuge(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "images", "redis", "opt", "bitnami", "redis", ".spdx-redis.spdx"))
	if err != nil {
		t.Fatal(err)
	}
	// A real document padded to 50 MB with white space: valid JSON.
	huge := append(bytes.Repeat([]byte(" "), 50<<20), doc...)
	fsys := fstest.MapFS{
		"opt/bitnami/redis/.spdx-redis.spdx":   file(huge),
		"opt/bitnami/.bitnami_components.json": file(append(bytes.Repeat([]byte("\n"), 50<<20), componentsJSON...)),
	}
	c := New()
	for p, f := range fsys {
		if c.Wants(p, f.Mode, int64(len(f.Data))) {
			t.Errorf("Wants(%s, %d bytes) = true", p, len(f.Data))
		}
	}
	var warns []string
	pkgs, err := c.Catalog(context.Background(), catalog.Input{
		FS:    fsys,
		Paths: []string{"opt/bitnami/.bitnami_components.json", "opt/bitnami/redis/.spdx-redis.spdx"},
		Warn:  func(s string) { warns = append(warns, s) },
	})
	if err != nil || len(pkgs) != 0 {
		t.Errorf("Catalog = %v, %v; want nothing", pkgs, err)
	}
	want := []string{
		"bitnami: /opt/bitnami/redis/.spdx-redis.spdx: larger than 8388608 bytes, not read",
		"bitnami: /opt/bitnami/.bitnami_components.json: larger than 1048576 bytes, not read",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestCatalogCanceled checks that a canceled context stops the cataloger.
func TestCatalogCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fsys := fstest.MapFS{"opt/bitnami/redis/.spdx-redis.spdx": file(spdxDoc("", "redis@7.4.2-1"))}
	_, err := New().Catalog(ctx, catalog.Input{FS: fsys, Paths: []string{"opt/bitnami/redis/.spdx-redis.spdx"}, Warn: func(string) {}})
	if err != context.Canceled {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
