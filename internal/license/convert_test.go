package license_test

import (
	"testing"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

// TestDeclaredConvertsToSBOM keeps Declared convertible to sbom.License, which
// catalogers rely on; it stops compiling if the two drift apart.
func TestDeclaredConvertsToSBOM(t *testing.T) {
	d := license.Declared{SPDX: "MIT", Value: "Expat"}
	if got := sbom.License(d); got.SPDX != "MIT" || got.Value != "Expat" {
		t.Errorf("sbom.License(%+v) = %+v", d, got)
	}
}
