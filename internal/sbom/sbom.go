// Package sbom is Vigil's inventory vocabulary: images, layers, distributions
// and the packages found in them. It imports only the standard library.
package sbom

import (
	"strings"
	"time"
)

// SchemaVersion is the version of the Inventory shape. It is bumped when a
// field changes meaning or is removed; adding fields does not bump it.
const SchemaVersion = 1

// Digest is a content digest in "algorithm:hex" form, e.g. "sha256:9f86…".
type Digest string

// Algorithm returns the part of d before the colon.
func (d Digest) Algorithm() string {
	a, _, _ := strings.Cut(string(d), ":")
	return a
}

// Hex returns the part of d after the colon.
func (d Digest) Hex() string {
	_, h, _ := strings.Cut(string(d), ":")
	return h
}

// Ecosystem names the package manager or language ecosystem a package comes
// from. The values are stable and appear in the JSON output.
type Ecosystem string

// Ecosystems produced by the catalogers.
const (
	Deb      Ecosystem = "deb"
	APK      Ecosystem = "apk"
	RPM      Ecosystem = "rpm"
	Golang   Ecosystem = "golang"
	NPM      Ecosystem = "npm"
	PyPI     Ecosystem = "pypi"
	Maven    Ecosystem = "maven"
	Gem      Ecosystem = "gem"
	Cargo    Ecosystem = "cargo"
	Composer Ecosystem = "composer"
	NuGet    Ecosystem = "nuget"
	Hex      Ecosystem = "hex"     // Elixir and Erlang packages of hex.pm
	Pub      Ecosystem = "pub"     // Dart and Flutter packages of pub.dev
	Bitnami  Ecosystem = "bitnami" // components of Bitnami's images, in /opt/bitnami
	Generic  Ecosystem = "generic"
)

// IsOS reports whether e is an operating-system package manager, whose
// packages are matched against their distribution's own advisories.
func (e Ecosystem) IsOS() bool { return e == Deb || e == APK || e == RPM }

// Distro identifies the operating system of an image.
type Distro struct {
	ID         string   `json:"id"`                   // os-release ID: "debian", "alpine", "rhel" …
	VersionID  string   `json:"versionID,omitempty"`  // os-release VERSION_ID: "12", "3.20.3"
	Codename   string   `json:"codename,omitempty"`   // "bookworm"
	PrettyName string   `json:"prettyName,omitempty"` // os-release PRETTY_NAME
	IDLike     []string `json:"idLike,omitempty"`     // os-release ID_LIKE
	Source     string   `json:"source,omitempty"`     // the file the answer came from
	Unknown    bool     `json:"unknown,omitempty"`    // true when the release could not be told
	Distroless bool     `json:"distroless,omitempty"` // Debian-based image without dpkg status (status.d only)
}

// Release returns "ID-VERSION" as used in PURL distro qualifiers, e.g.
// "debian-12", or the ID alone when the version is unknown.
func (d Distro) Release() string {
	if d.VersionID == "" {
		return d.ID
	}
	return d.ID + "-" + d.VersionID
}

// Layer describes one filesystem layer of an image, in application order.
type Layer struct {
	Index     int    `json:"index"`
	Digest    Digest `json:"digest,omitempty"` // compressed blob digest; empty for a directory target
	DiffID    Digest `json:"diffID"`           // digest of the uncompressed tar
	Size      int64  `json:"size,omitempty"`   // compressed size in bytes
	MediaType string `json:"mediaType,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"` // from the config history
	Base      bool   `json:"base,omitempty"`      // part of the base image
}

// LayerRef points at the layer that introduced something.
type LayerRef struct {
	Index  int    `json:"index"`
	DiffID Digest `json:"diffID"`
}

// BaseSource says how the base-image boundary was decided.
type BaseSource string

// How the base image was determined.
const (
	BaseFromAnnotation BaseSource = "annotation" // org.opencontainers.image.base.* annotations
	BaseFromFlag       BaseSource = "flag"       // --base-image given by the user
	BaseUnknown        BaseSource = "unknown"
)

// BaseImage records the base-image boundary of an image.
type BaseImage struct {
	Source BaseSource `json:"source"`
	Name   string     `json:"name,omitempty"`
	Digest Digest     `json:"digest,omitempty"`
	// Layers is the number of bottom layers that belong to the base image.
	// Meaningful only when Source is not BaseUnknown.
	Layers int `json:"layers"`
}

// Known reports whether the boundary is known.
func (b BaseImage) Known() bool { return b.Source != "" && b.Source != BaseUnknown }

// License is one declared licence of a package.
type License struct {
	// SPDX is an SPDX licence expression, when the declared licence maps to one.
	SPDX string `json:"spdx,omitempty"`
	// Value is the licence as declared by the package, kept verbatim.
	Value string `json:"value"`
}

// Package is one installed component.
type Package struct {
	Ecosystem     Ecosystem `json:"ecosystem"`
	Name          string    `json:"name"`
	Version       string    `json:"version"`
	Arch          string    `json:"arch,omitempty"`
	SourceName    string    `json:"sourceName,omitempty"`
	SourceVersion string    `json:"sourceVersion,omitempty"`
	PURL          string    `json:"purl"`
	Licenses      []License `json:"licenses,omitempty"`
	// Locations are the files the package was found in (a package database,
	// a manifest, a binary), as absolute paths inside the image.
	Locations []string `json:"locations"`
	// Files are the files the package owns, as absolute paths, when the
	// package manager records them.
	Files   []string `json:"files,omitempty"`
	FoundBy string   `json:"foundBy"`
	// Layer is the layer that introduced this exact name and version.
	Layer LayerRef `json:"layer"`
	// InBase is true when Layer belongs to the base image. It is meaningful
	// only when the inventory's BaseImage is known.
	InBase bool `json:"inBase,omitempty"`
	// Dev is true for development-only dependencies (from lockfiles).
	Dev bool `json:"dev,omitempty"`
	// OwnedBy is the PURL of the OS package whose files include this
	// package's location (e.g. a Python distribution installed by dpkg).
	// Such a package is covered by its OS package's advisories.
	OwnedBy string `json:"ownedBy,omitempty"`

	Dpkg   *DpkgMetadata   `json:"dpkg,omitempty"`
	APK    *APKMetadata    `json:"apk,omitempty"`
	RPM    *RPMMetadata    `json:"rpm,omitempty"`
	Go     *GoMetadata     `json:"go,omitempty"`
	Java   *JavaMetadata   `json:"java,omitempty"`
	Binary *BinaryMetadata `json:"binary,omitempty"`
}

// GoMetadata is what a Go binary's build information says about a module.
type GoMetadata struct {
	// Main is true for the binary's main module.
	Main bool `json:"main,omitempty"`
	// GoVersion is the toolchain that built the binary ("go1.22.5").
	GoVersion string `json:"goVersion,omitempty"`
	// Replace is the module that replaced this one, "path@version" or a
	// local directory.
	Replace string `json:"replace,omitempty"`
	// Sum is the go.sum hash of the module, when recorded.
	Sum string `json:"sum,omitempty"`
	// Settings are the build settings of the main module (GOOS, GOARCH,
	// -trimpath, vcs.revision …).
	Settings map[string]string `json:"settings,omitempty"`
}

// JavaMetadata describes a Java archive.
type JavaMetadata struct {
	GroupID    string `json:"groupId,omitempty"`
	ArtifactID string `json:"artifactId,omitempty"`
	// VirtualPath locates an archive nested in others:
	// "/app/app.jar:BOOT-INF/lib/x.jar".
	VirtualPath string `json:"virtualPath,omitempty"`
	// From says where the coordinates came from: "pom.properties",
	// "MANIFEST.MF" or "filename".
	From string `json:"from,omitempty"`
	SHA1 string `json:"sha1,omitempty"`
}

// BinaryMetadata says how a component without a package manager was found.
type BinaryMetadata struct {
	// Evidence is the file, and the string or version file, that showed the
	// version: "/usr/local/bin/node: node.js/v20.11.1".
	Evidence string `json:"evidence"`
}

// Key identifies a package within one inventory: the same ecosystem, name,
// version and arch found twice is one package.
func (p *Package) Key() string {
	return string(p.Ecosystem) + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Arch
}

// DpkgMetadata is what dpkg records about an installed package.
type DpkgMetadata struct {
	Maintainer    string `json:"maintainer,omitempty"`
	InstalledSize int64  `json:"installedSize,omitempty"` // KiB, as dpkg records it
	Status        string `json:"status,omitempty"`
	Section       string `json:"section,omitempty"`
	Priority      string `json:"priority,omitempty"`
	Depends       string `json:"depends,omitempty"`
	PreDepends    string `json:"preDepends,omitempty"`
	Provides      string `json:"provides,omitempty"`
}

// APKMetadata is what apk records about an installed package.
type APKMetadata struct {
	Origin        string   `json:"origin,omitempty"`
	Commit        string   `json:"commit,omitempty"`
	Maintainer    string   `json:"maintainer,omitempty"`
	URL           string   `json:"url,omitempty"`
	Description   string   `json:"description,omitempty"`
	InstalledSize int64    `json:"installedSize,omitempty"`
	Checksum      string   `json:"checksum,omitempty"`
	Depends       []string `json:"depends,omitempty"`
	Provides      []string `json:"provides,omitempty"`
}

// RPMMetadata is what the rpm database records about an installed package.
type RPMMetadata struct {
	Epoch     *int   `json:"epoch,omitempty"`
	Version   string `json:"version"`
	Release   string `json:"release"`
	SourceRPM string `json:"sourceRpm,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	// Modularity is the modularity label, e.g. "nodejs:18:8090020231023:ad008a3a".
	Modularity string `json:"modularityLabel,omitempty"`
	Size       int64  `json:"size,omitempty"`
}

// Source describes what was inventoried.
type Source struct {
	// Kind is the target kind: "registry", "oci-dir", "oci-archive",
	// "docker-archive", "dir" or "sbom".
	Kind           string            `json:"kind"`
	Reference      string            `json:"reference"`
	ManifestDigest Digest            `json:"manifestDigest,omitempty"`
	ConfigDigest   Digest            `json:"configDigest,omitempty"`
	RepoDigests    []string          `json:"repoDigests,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
	Created        time.Time         `json:"created,omitzero"`
	OS             string            `json:"os,omitempty"`
	Architecture   string            `json:"architecture,omitempty"`
	Variant        string            `json:"variant,omitempty"`
}

// Inventory is everything Vigil knows about the contents of one image.
type Inventory struct {
	SchemaVersion int       `json:"schemaVersion"`
	Source        Source    `json:"source"`
	Distro        *Distro   `json:"distro,omitempty"`
	BaseImage     BaseImage `json:"baseImage"`
	Layers        []Layer   `json:"layers"`
	Packages      []Package `json:"packages"`
	// Warnings are problems met on the way that did not stop the inventory:
	// a skipped stanza, an unreadable file, a refused symlink.
	Warnings []string `json:"warnings,omitempty"`
}
