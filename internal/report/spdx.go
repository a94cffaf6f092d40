package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	noAssertion = "NOASSERTION"
	// spdxNamespaceBase prefixes document namespaces. SPDX asks for a URI
	// unique to each document; it need not resolve.
	spdxNamespaceBase = "https://vigil.dev/spdxdocs/"
	// Longest name fragment kept inside an SPDX identifier; the hash that
	// follows it keeps identifiers unique.
	maxIDName = 64
)

func writeSPDX(w io.Writer, inv *sbom.Inventory, opts Options) error {
	doc := spdxDocument(inv, opts)
	// Like the CycloneDX serial number, the namespace is derived from the
	// document's own content so golden output is stable and distinct
	// documents never share a namespace.
	var first bytes.Buffer
	if err := encodeSPDX(&first, doc); err != nil {
		return err
	}
	name := idString(inv.Source.Reference, maxIDName)
	if name == "" {
		name = "image"
	}
	doc.DocumentNamespace = spdxNamespaceBase + name + "-" + contentUUID("spdx", first.Bytes())
	return encodeSPDX(w, doc)
}

func encodeSPDX(w io.Writer, doc *spdx.Document) error {
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

func spdxDocument(inv *sbom.Inventory, opts Options) *spdx.Document {
	creator := "vigil"
	if opts.ToolVersion != "" {
		creator += "-" + opts.ToolVersion
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      orUnknown(inv.Source.Reference),
		DocumentNamespace: spdxNamespaceBase,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: creator}},
			Created:  timestamp(opts.now()),
		},
	}

	ids := uniquer{}
	image := imagePackage(inv, ids)
	doc.Packages = append(doc.Packages, image)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA:         common.MakeDocElementID("", "DOCUMENT"),
		RefB:         common.MakeDocElementID("", string(image.PackageSPDXIdentifier)),
		Relationship: common.TypeRelationshipDescribe,
	})
	contains := func(p *spdx.Package) {
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(image.PackageSPDXIdentifier)),
			RefB:         common.MakeDocElementID("", string(p.PackageSPDXIdentifier)),
			Relationship: common.TypeRelationshipContains,
		})
	}

	if d := inv.Distro; d != nil && d.ID != "" {
		contains(&spdx.Package{
			PackageName:             d.ID,
			PackageSPDXIdentifier:   common.ElementID(ids.get("OperatingSystem-" + idString(d.Release(), maxIDName))),
			PackageVersion:          d.VersionID,
			PackageDownloadLocation: noAssertion,
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  noAssertion,
			PackageDescription:      d.PrettyName,
			PrimaryPackagePurpose:   "OPERATING_SYSTEM",
		})
	}

	refs := newLicenseRefs()
	for _, p := range sortedPackages(inv) {
		contains(spdxPackage(inv, p, ids, refs))
	}
	for _, text := range refs.order {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: refs.byText[text],
			ExtractedText:     text,
			LicenseName:       truncate(firstLine(text), 200),
			LicenseComment:    "Licence declared by a package that has no SPDX expression; recorded verbatim by Vigil.",
		})
	}
	return doc
}

func imagePackage(inv *sbom.Inventory, ids uniquer) *spdx.Package {
	src := inv.Source
	p := &spdx.Package{
		PackageName:             orUnknown(src.Reference),
		PackageSPDXIdentifier:   common.ElementID(ids.get(strings.TrimSuffix("Image-"+idString(src.Reference, maxIDName), "-"))),
		PackageVersion:          string(src.ManifestDigest),
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
	}
	if d := src.ManifestDigest; d != "" {
		if alg, ok := spdxChecksumAlgorithm(d.Algorithm()); ok && isLowerHex(d.Hex()) {
			p.PackageChecksums = []common.Checksum{{Algorithm: alg, Value: d.Hex()}}
		}
	}
	if b := inv.BaseImage; b.Known() {
		p.PackageComment = fmt.Sprintf("Base image %s (determined from %s, %d %s).", baseName(b), b.Source, b.Layers, plural(b.Layers, "layer", "layers"))
	}
	return p
}

func baseName(b sbom.BaseImage) string {
	switch {
	case b.Name != "" && b.Digest != "":
		return b.Name + "@" + string(b.Digest)
	case b.Name != "":
		return b.Name
	case b.Digest != "":
		return string(b.Digest)
	}
	return "unnamed"
}

func spdxChecksumAlgorithm(alg string) (common.ChecksumAlgorithm, bool) {
	switch alg {
	case "sha256":
		return common.SHA256, true
	case "sha512":
		return common.SHA512, true
	}
	return "", false
}

func isLowerHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func spdxPackage(inv *sbom.Inventory, p *sbom.Package, ids uniquer, refs *licenseRefs) *spdx.Package {
	id := fmt.Sprintf("Package-%s-%s-%s", idString(string(p.Ecosystem), 16), idString(p.Name, maxIDName), packageHash(p))
	sp := &spdx.Package{
		PackageName:             p.Name,
		PackageSPDXIdentifier:   common.ElementID(ids.get(id)),
		PackageVersion:          p.Version,
		PackageDownloadLocation: noAssertion,
		FilesAnalyzed:           false,
		PackageSourceInfo:       sourceInfo(inv, p),
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  spdxDeclared(p, refs),
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager,
			RefType:  common.TypePackageManagerPURL,
			Locator:  p.PURL,
		}}
	}
	return sp
}

// sourceInfo tells, in SPDX's free-text field for it, how Vigil came to know
// the package: which cataloger, from which files, in which layer.
func sourceInfo(inv *sbom.Inventory, p *sbom.Package) string {
	var b strings.Builder
	fmt.Fprintf(&b, "acquired package info from %s", orUnknown(p.FoundBy))
	if len(p.Locations) > 0 {
		fmt.Fprintf(&b, " in %s", strings.Join(p.Locations, ", "))
	}
	fmt.Fprintf(&b, "; introduced in layer %d", p.Layer.Index)
	if p.Layer.DiffID != "" {
		fmt.Fprintf(&b, " (%s)", p.Layer.DiffID)
	}
	if inv.BaseImage.Known() {
		if p.InBase {
			b.WriteString(", part of the base image")
		} else {
			b.WriteString(", added on top of the base image")
		}
	}
	if sourceCell(p) != "" {
		fmt.Fprintf(&b, "; built from source package %s %s", cmpOr(p.SourceName, p.Name), cmpOr(p.SourceVersion, p.Version))
	}
	return b.String()
}

// spdxDeclared is the package's declared licence as an SPDX expression:
// the catalogers' expressions where they are well-formed, and a
// LicenseRef (whose text goes into hasExtractedLicensingInfos) for each
// licence known only by its declared text.
func spdxDeclared(p *sbom.Package, refs *licenseRefs) string {
	var exprs []string
	for _, l := range licenseTerms(p) {
		if l.SPDX != "" && validSPDXExpression(l.SPDX) {
			exprs = append(exprs, l.SPDX)
			continue
		}
		text := l.Value
		if strings.TrimSpace(text) == "" {
			text = l.SPDX
		}
		exprs = append(exprs, refs.ref(text))
	}
	if len(exprs) == 0 {
		return noAssertion
	}
	return andJoin(dedupe(exprs))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
