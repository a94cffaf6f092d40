package sbomfile

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/vigilproject/vigil/internal/sbom"
)

func decodeSPDXJSON(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding SPDX JSON: %w", err)
	}
	return fromSPDX(ctx, name, doc)
}

func decodeSPDXTagValue(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	doc, err := tagvalue.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding SPDX tag-value: %w", err)
	}
	return fromSPDX(ctx, name, doc)
}

func fromSPDX(ctx context.Context, name string, doc *spdx.Document) (*sbom.Inventory, error) {
	if doc == nil {
		return nil, ErrUnknownFormat
	}
	c := &collector{inv: newInventory(name)}
	if doc.DocumentName != "" {
		c.inv.Source.Annotations = map[string]string{"sbom.document.name": doc.DocumentName}
	}
	for i, sp := range doc.Packages {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if sp == nil {
			continue
		}
		if strings.EqualFold(sp.PrimaryPackagePurpose, "OPERATING_SYSTEM") && c.inv.Distro == nil && sp.PackageName != "" {
			c.inv.Distro = &sbom.Distro{ID: sp.PackageName, VersionID: sp.PackageVersion, PrettyName: sp.PackageDescription, Source: "SPDX operating-system package"}
			continue
		}
		for _, ref := range sp.PackageExternalReferences {
			if ref == nil || !isPURLRef(ref.Category, ref.RefType) {
				continue
			}
			p, distro, err := fromPURL(ref.Locator)
			if err != nil {
				c.inv.Warnings = append(c.inv.Warnings, fmt.Sprintf("sbomfile: %s: package %q: %v; skipped", name, sp.PackageName, err))
				continue
			}
			p.Licenses = spdxLicenses(sp.PackageLicenseDeclared)
			c.add(p, distro)
			break
		}
	}
	return c.finish(), nil
}

// isPURLRef reports whether an external reference is a package URL. SPDX
// 2.3 spells the category PACKAGE-MANAGER; earlier versions and some tools
// PACKAGE_MANAGER.
func isPURLRef(category, refType string) bool {
	cat := strings.ReplaceAll(strings.ToUpper(category), "_", "-")
	return cat == "PACKAGE-MANAGER" && strings.EqualFold(refType, "purl")
}

func spdxLicenses(declared string) []sbom.License {
	declared = strings.TrimSpace(declared)
	switch declared {
	case "", "NOASSERTION", "NONE":
		return nil
	}
	return []sbom.License{{SPDX: declared, Value: declared}}
}
