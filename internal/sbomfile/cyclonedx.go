package sbomfile

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// Properties Vigil's CycloneDX writer (internal/report) adds to components;
// reading them back restores what a purl cannot carry.
const (
	propLayerIndex    = "vigil:layer:index"
	propLayerDiffID   = "vigil:layer:diffID"
	propBaseImage     = "vigil:base-image"
	propSourceName    = "vigil:source:name"
	propSourceVersion = "vigil:source:version"
	propLocation      = "vigil:location"
	propArch          = "vigil:arch"
	propVersion       = "vigil:version"
	propOwnedBy       = "vigil:ownedBy"
	propDev           = "vigil:dev"
	propCodename      = "vigil:distro:codename"
	propDistroless    = "vigil:distro:distroless"
)

func decodeCycloneDXJSON(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	return decodeCycloneDX(ctx, name, data, cdx.BOMFileFormatJSON)
}

func decodeCycloneDXXML(ctx context.Context, name string, data []byte) (*sbom.Inventory, error) {
	return decodeCycloneDX(ctx, name, data, cdx.BOMFileFormatXML)
}

func decodeCycloneDX(ctx context.Context, name string, data []byte, format cdx.BOMFileFormat) (inv *sbom.Inventory, err error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
		return nil, fmt.Errorf("decoding CycloneDX: %w", err)
	}
	if format == cdx.BOMFileFormatXML && bom.XMLNS == "" && bom.Components == nil && bom.Metadata == nil {
		// Any XML decodes into an empty BOM; refuse what is plainly not one.
		return nil, ErrUnknownFormat
	}
	c := &collector{inv: newInventory(name)}
	if m := bom.Metadata; m != nil && m.Component != nil {
		if m.Component.Name != "" {
			c.inv.Source.Annotations = map[string]string{"sbom.component.name": m.Component.Name}
			if m.Component.Version != "" {
				c.inv.Source.Annotations["sbom.component.version"] = m.Component.Version
			}
		}
	}
	// Walk nested components with an explicit stack: depth is the
	// document's to choose.
	var stack []*cdx.Component
	push := func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for i := len(*cs) - 1; i >= 0; i-- {
			stack = append(stack, &(*cs)[i])
		}
	}
	push(bom.Components)
	for n := 0; len(stack) > 0; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		comp := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		push(comp.Components)
		if comp.Type == cdx.ComponentTypeOS {
			if c.inv.Distro == nil && comp.Name != "" {
				c.inv.Distro = osDistro(comp)
			}
			continue
		}
		if comp.PackageURL == "" {
			continue
		}
		p, distro, err := fromPURL(comp.PackageURL)
		if err != nil {
			c.inv.Warnings = append(c.inv.Warnings, fmt.Sprintf("sbomfile: %s: component %q: %v; skipped", name, comp.Name, err))
			continue
		}
		applyProperties(&p, comp.Properties)
		p.Licenses = cdxLicenses(comp.Licenses)
		c.add(p, distro)
	}
	return c.finish(), nil
}

func osDistro(comp *cdx.Component) *sbom.Distro {
	d := &sbom.Distro{ID: comp.Name, VersionID: comp.Version, PrettyName: comp.Description, Source: "CycloneDX operating-system component"}
	if comp.Properties != nil {
		for _, pr := range *comp.Properties {
			switch pr.Name {
			case propCodename:
				d.Codename = pr.Value
			case propDistroless:
				d.Distroless = pr.Value == "true"
			}
		}
	}
	return d
}

// applyProperties restores from Vigil's properties what the purl lacks or
// states less precisely.
func applyProperties(p *sbom.Package, props *[]cdx.Property) {
	if props == nil {
		return
	}
	for _, pr := range *props {
		switch pr.Name {
		case propLayerIndex:
			if n, err := strconv.Atoi(pr.Value); err == nil && n >= 0 {
				p.Layer.Index = n
			}
		case propLayerDiffID:
			p.Layer.DiffID = sbom.Digest(pr.Value)
		case propBaseImage:
			p.InBase = pr.Value == "true"
		case propSourceName:
			p.SourceName = pr.Value
		case propSourceVersion:
			p.SourceVersion = pr.Value
		case propLocation:
			p.Locations = append(p.Locations, pr.Value)
		case propArch:
			if p.Arch == "" {
				p.Arch = pr.Value
			}
		case propVersion:
			// Written when the version is too long for CycloneDX's
			// version field; the purl still has it whole, but prefer
			// Vigil's own spelling.
			p.Version = pr.Value
		case propOwnedBy:
			p.OwnedBy = pr.Value
		case propDev:
			p.Dev = pr.Value == "true"
		}
	}
}

func cdxLicenses(ls *cdx.Licenses) []sbom.License {
	if ls == nil {
		return nil
	}
	var out []sbom.License
	for _, l := range *ls {
		switch {
		case l.Expression != "":
			out = append(out, sbom.License{SPDX: l.Expression, Value: l.Expression})
		case l.License != nil && l.License.ID != "":
			out = append(out, sbom.License{SPDX: l.License.ID, Value: l.License.ID})
		case l.License != nil && l.License.Name != "":
			out = append(out, sbom.License{Value: l.License.Name})
		}
	}
	return out
}
