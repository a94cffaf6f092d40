package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// Property names Vigil adds to CycloneDX components. CycloneDX reserves
// unprefixed names; "vigil:" is our namespace.
const (
	propLayerIndex    = "vigil:layer:index"
	propLayerDiffID   = "vigil:layer:diffID"
	propBaseImage     = "vigil:base-image"
	propSourceName    = "vigil:source:name"
	propSourceVersion = "vigil:source:version"
	propFoundBy       = "vigil:foundBy"
	propLocation      = "vigil:location"
	propArch          = "vigil:arch"
	propVersion       = "vigil:version"
	propOwnedBy       = "vigil:ownedBy"
	propDev           = "vigil:dev"
	propEvidence      = "vigil:evidence"
	propWarning       = "vigil:warning"
)

// cdxSchema16 is the $schema of a CycloneDX 1.6 JSON document.
const cdxSchema16 = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// maxCDXVersion is the CycloneDX 1.6 schema's limit on a version string.
const maxCDXVersion = 1024

func writeCycloneDX(w io.Writer, inv *sbom.Inventory, opts Options) error {
	bom := cycloneDXBOM(inv, opts)
	// The serial number names this BOM: derive it from everything else in
	// it (timestamp included), so reruns on the same inventory at the same
	// time agree and any change gives a new serial.
	var first bytes.Buffer
	if err := encodeCDX(&first, bom); err != nil {
		return err
	}
	bom.SerialNumber = "urn:uuid:" + contentUUID("cyclonedx", first.Bytes())
	return encodeCDX(w, bom)
}

func encodeCDX(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.Encode(bom)
}

func cycloneDXBOM(inv *sbom.Inventory, opts Options) *cdx.BOM {
	// Built for 1.6 directly rather than converted with EncodeVersion, which
	// deep-copies the whole BOM through gob and dominated encoding time.
	bom := &cdx.BOM{
		JSONSchema:  cdxSchema16,
		BOMFormat:   cdx.BOMFormat,
		SpecVersion: cdx.SpecVersion1_6,
		Version:     1,
	}
	refs := uniquer{}

	image := imageComponent(inv, refs)
	meta := &cdx.Metadata{
		Timestamp: timestamp(opts.now()),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:    cdx.ComponentTypeApplication,
			Name:    "vigil",
			Version: truncate(opts.ToolVersion, maxCDXVersion),
		}}},
		Component: &image,
	}
	var warnings []cdx.Property
	for _, w := range inv.Warnings {
		warnings = append(warnings, cdx.Property{Name: propWarning, Value: w})
	}
	meta.Properties = optional(warnings)
	bom.Metadata = meta

	var comps []cdx.Component
	if d := inv.Distro; d != nil && d.ID != "" {
		comps = append(comps, osComponent(d, refs))
	}
	for _, p := range sortedPackages(inv) {
		comps = append(comps, packageComponent(inv, p, refs))
	}
	if len(comps) > 0 {
		bom.Components = &comps
		dependsOn := make([]string, len(comps))
		for i, c := range comps {
			dependsOn[i] = c.BOMRef
		}
		bom.Dependencies = &[]cdx.Dependency{{Ref: image.BOMRef, Dependencies: &dependsOn}}
	}
	return bom
}

func imageComponent(inv *sbom.Inventory, refs uniquer) cdx.Component {
	src := inv.Source
	ref := "image:" + src.Reference
	if src.ManifestDigest != "" {
		ref = "image:" + string(src.ManifestDigest)
	}
	c := cdx.Component{
		BOMRef:  refs.get(ref),
		Type:    cdx.ComponentTypeContainer,
		Name:    src.Reference,
		Version: truncate(string(src.ManifestDigest), maxCDXVersion),
	}
	var props []cdx.Property
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add("vigil:target:kind", src.Kind)
	add("vigil:image:configDigest", string(src.ConfigDigest))
	for _, rd := range src.RepoDigests {
		add("vigil:image:repoDigest", rd)
	}
	add("vigil:image:platform", platform(src))
	for _, l := range inv.Layers {
		add("vigil:layer:"+strconv.Itoa(l.Index)+":diffID", string(l.DiffID))
	}
	if b := inv.BaseImage; b.Known() {
		add("vigil:base-image:source", string(b.Source))
		add("vigil:base-image:name", b.Name)
		add("vigil:base-image:digest", string(b.Digest))
		add("vigil:base-image:layers", strconv.Itoa(b.Layers))
	}
	c.Properties = optional(props)
	return c
}

func osComponent(d *sbom.Distro, refs uniquer) cdx.Component {
	c := cdx.Component{
		BOMRef:      refs.get("os:" + d.Release()),
		Type:        cdx.ComponentTypeOS,
		Name:        d.ID,
		Version:     truncate(d.VersionID, maxCDXVersion),
		Description: d.PrettyName,
	}
	var props []cdx.Property
	if d.Codename != "" {
		props = append(props, cdx.Property{Name: "vigil:distro:codename", Value: d.Codename})
	}
	if d.Distroless {
		props = append(props, cdx.Property{Name: "vigil:distro:distroless", Value: "true"})
	}
	c.Properties = optional(props)
	return c
}

func packageComponent(inv *sbom.Inventory, p *sbom.Package, refs uniquer) cdx.Component {
	c := cdx.Component{
		BOMRef:     refs.get(packageRef(p)),
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    truncate(p.Version, maxCDXVersion),
		PackageURL: p.PURL,
		Licenses:   cdxLicenses(p),
	}
	props := []cdx.Property{
		{Name: propLayerIndex, Value: strconv.Itoa(p.Layer.Index)},
	}
	add := func(name, value string) {
		if value != "" {
			props = append(props, cdx.Property{Name: name, Value: value})
		}
	}
	add(propLayerDiffID, string(p.Layer.DiffID))
	if inv.BaseImage.Known() {
		add(propBaseImage, strconv.FormatBool(p.InBase))
	}
	add(propSourceName, p.SourceName)
	add(propSourceVersion, p.SourceVersion)
	add(propFoundBy, p.FoundBy)
	for _, l := range p.Locations {
		add(propLocation, l)
	}
	add(propArch, p.Arch)
	add(propOwnedBy, p.OwnedBy)
	if p.Dev {
		add(propDev, "true")
	}
	if p.Binary != nil {
		add(propEvidence, p.Binary.Evidence)
	}
	if utf8.RuneCountInString(p.Version) > maxCDXVersion {
		// The schema caps version; keep the real one where it fits.
		add(propVersion, p.Version)
	}
	c.Properties = optional(props)
	return c
}

// packageRef is a package's bom-ref: its PURL, which readers recognise,
// qualified by a hash of what it is and where it was found, because one
// PURL can occur more than once in an image.
func packageRef(p *sbom.Package) string {
	base := p.PURL
	if base == "" {
		base = fmt.Sprintf("vigil:%s/%s@%s", p.Ecosystem, p.Name, p.Version)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "package-id=" + packageHash(p)
}

// cdxLicenses maps declared licences onto CycloneDX's choice: one SPDX
// expression when every licence has one, otherwise a list of named
// licences. CycloneDX 1.6 does not allow the two to be mixed.
func cdxLicenses(p *sbom.Package) *cdx.Licenses {
	terms := licenseTerms(p)
	if len(terms) == 0 {
		return nil
	}
	var exprs []string
	for _, l := range terms {
		if l.SPDX == "" || !validSPDXExpression(l.SPDX) {
			exprs = nil
			break
		}
		exprs = append(exprs, l.SPDX)
	}
	if exprs != nil {
		return &cdx.Licenses{{Expression: andJoin(dedupe(exprs))}}
	}
	var out cdx.Licenses
	var names []string
	for _, l := range terms {
		name := l.Value
		if l.SPDX != "" && validSPDXExpression(l.SPDX) {
			name = l.SPDX
		}
		if name == "" {
			name = l.SPDX
		}
		names = append(names, name)
	}
	for _, n := range dedupe(names) {
		out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: n}})
	}
	return &out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func optional(props []cdx.Property) *[]cdx.Property {
	if len(props) == 0 {
		return nil
	}
	return &props
}
