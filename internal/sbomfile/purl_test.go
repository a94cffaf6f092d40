package sbomfile

import (
	"testing"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestFromPURL(t *testing.T) {
	for _, tc := range []struct {
		purl      string
		eco       sbom.Ecosystem
		name, ver string
	}{
		{"pkg:hex/plug@1.14.2", sbom.Hex, "plug", "1.14.2"},
		// A private Hex organisation's package keeps its organisation.
		{"pkg:hex/acme/plug@1.0.0", sbom.Hex, "acme/plug", "1.0.0"},
		{"pkg:pub/http@1.2.0", sbom.Pub, "http", "1.2.0"},
		{"pkg:pub/path@1.9.0?repository_url=https://pub.example.com", sbom.Pub, "path", "1.9.0"},
		{"pkg:bitnami/postgresql@17.2.0-8?arch=arm64&distro=debian-12", sbom.Bitnami, "postgresql", "17.2.0-8"},
		{"pkg:npm/%40scope/x@1.0.0", sbom.NPM, "@scope/x", "1.0.0"},
		{"pkg:maven/org.example/lib@2.0", sbom.Maven, "org.example:lib", "2.0"},
		{"pkg:swift/github.com/apple/swift-nio@2.0.0", sbom.Generic, "github.com/apple/swift-nio", "2.0.0"},
	} {
		p, _, err := fromPURL(tc.purl)
		if err != nil || p.Ecosystem != tc.eco || p.Name != tc.name || p.Version != tc.ver || p.PURL != tc.purl {
			t.Errorf("fromPURL(%s) = %s %q %q %q, %v; want %s %q %q", tc.purl, p.Ecosystem, p.Name, p.Version, p.PURL, err, tc.eco, tc.name, tc.ver)
		}
	}
}
