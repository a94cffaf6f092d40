package bitnami

import (
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// checkComponents holds what both parsers promise: components with a valid
// name and version and a canonical PURL that reads back as them, and an
// error whenever nothing was found.
func checkComponents(t *testing.T, comps []component, err error) {
	t.Helper()
	if len(comps) == 0 && err == nil {
		t.Fatal("no components and no error")
	}
	for _, d := range comps {
		if !validName(d.name) || !validVersion(d.version) || len(d.license) > maxLicenseLen {
			t.Fatalf("bad component %+v", d)
		}
		u, err := packageurl.FromString(d.purl)
		if err != nil {
			t.Fatalf("PURL %q: %v", d.purl, err)
		}
		if u.ToString() != d.purl || u.Type != "bitnami" || u.Namespace != "" || u.Name != d.name || u.Version != d.version ||
			u.Qualifiers.Map()["arch"] != d.arch || u.Subpath != "" {
			t.Fatalf("PURL %q does not read back as %+v", d.purl, d)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	catalogtest.Seeds(f, "testdata/images", ".spdx")
	f.Add([]byte(docJSON(
		pkgJSON("postgresql", "17.2.0", "NOASSERTION", "PostgreSQL", "pkg:bitnami/PostgreSQL?distro=debian-12&arch=arm64"),
		pkgJSON("pljava", "1.6.10", "NONE", "NONE", "pkg:maven/org.postgresql/pljava@1.6.10"),
	)))
	f.Add([]byte(`{"spdxVersion": "SPDX-2.3", "packages": [{"versionInfo": 1}, {"externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:bitnami/a%2Fb@1"}]}]}`))
	f.Add([]byte("SPDXVersion: SPDX-2.3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		comps, err := parseDocument(data)
		checkComponents(t, comps, err)
	})
}

func FuzzParseComponents(f *testing.F) {
	catalogtest.Seeds(f, "testdata/images", ".bitnami_components.json")
	f.Add([]byte(`{"Redis": {"arch": "arm64", "distro": "photon-5", "version": "7.4.2-0"}, "x": null, "y": {"version": 4}}`))
	f.Add([]byte(`{"a%2F": {"arch": "=&?#", "distro": "d", "version": "1@2"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		comps, err := parseComponents(data)
		checkComponents(t, comps, err)
	})
}
