// Package image opens any target Vigil can inventory — a registry
// reference, an OCI layout directory or archive, a docker-archive tarball or
// an unpacked root filesystem — and presents it as metadata plus a list of
// layers that can be streamed.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vigilproject/vigil/internal/sbom"
)

// Target kinds.
const (
	KindRegistry      = "registry"
	KindOCIDir        = "oci-dir"
	KindOCIArchive    = "oci-archive"
	KindDockerArchive = "docker-archive"
	KindDir           = "dir"
)

// Kinds lists the target schemes in the order a bare argument is tried.
var Kinds = []string{KindOCIDir, KindDockerArchive, KindOCIArchive, KindDir, KindRegistry}

// Annotations naming the base image, from the OCI image spec.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
	annotationRefName    = "org.opencontainers.image.ref.name"
)

// Options configure how targets are opened.
type Options struct {
	// Platform selects an image from a multi-platform index, as
	// "os/arch[/variant]". Empty means linux and the host's architecture.
	Platform string
	// Insecure allows plain HTTP and unverified TLS for registries.
	Insecure bool
	// Keychain supplies registry credentials; nil means the Docker config
	// (~/.docker/config.json, $DOCKER_CONFIG) and anonymous access.
	Keychain authn.Keychain
	// Transport is the HTTP transport for registries; nil means a default
	// one with the timeouts below.
	Transport http.RoundTripper
	// Dial, when set, opens the connections of the default transport
	// (a server's guard against pulling from internal addresses).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds connecting to a registry and waiting for its answers.
	Timeout time.Duration
}

// DefaultTimeout bounds registry connections and response headers.
const DefaultTimeout = 30 * time.Second

func (o Options) platform() (*v1.Platform, error) {
	if o.Platform == "" {
		return &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(o.Platform)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", o.Platform, err)
	}
	return p, nil
}

// Image is an opened target.
type Image struct {
	Source sbom.Source
	// Layers in application order; empty for a dir target.
	Layers []Layer
	// Dir is the root filesystem of a dir target.
	Dir string
	// BaseName and BaseDigest come from the base-image annotations.
	BaseName   string
	BaseDigest sbom.Digest
	// base resolves the diffIDs of another image of the same source by
	// manifest digest, when the source can.
	base   func(ctx context.Context, digest sbom.Digest) ([]sbom.Digest, error)
	closer io.Closer
}

// Layer is one layer of an image.
type Layer struct {
	sbom.Layer
	// Open returns the layer blob as stored: gzip, zstd or plain tar.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Close releases files the image holds open.
func (im *Image) Close() error {
	if im.closer != nil {
		return im.closer.Close()
	}
	return nil
}

// ErrNotFound is wrapped when the target names something that is not there.
var ErrNotFound = errors.New("not found")

// BaseDiffIDs returns the layer diffIDs of the image with the given manifest
// digest when the same source holds it (an OCI layout or archive with both
// images, or the same registry).
func (im *Image) BaseDiffIDs(ctx context.Context, digest sbom.Digest) ([]sbom.Digest, error) {
	if im.base == nil {
		return nil, fmt.Errorf("image %s: %w", digest, ErrNotFound)
	}
	return im.base(ctx, digest)
}

// Open opens a target, given with an explicit scheme ("registry:REF",
// "oci-dir:PATH", "oci-archive:PATH", "docker-archive:PATH", "dir:PATH") or
// bare. A bare argument that names an existing path is opened by what the
// path holds; otherwise it is taken as a registry reference.
func Open(ctx context.Context, target string, opt Options) (*Image, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if kind, rest, ok := strings.Cut(target, ":"); ok {
		switch kind {
		case KindRegistry:
			return openRegistry(ctx, rest, opt)
		case KindOCIDir:
			return openLayoutDir(ctx, rest, opt)
		case KindOCIArchive:
			return openArchive(ctx, rest, KindOCIArchive, opt)
		case KindDockerArchive:
			return openArchive(ctx, rest, KindDockerArchive, opt)
		case KindDir:
			return openDir(rest)
		}
	}
	if p, _ := splitSelector(target); p != target || exists(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", target, err)
		}
		if fi.IsDir() {
			if exists(filepath.Join(p, "oci-layout")) {
				return openLayoutDir(ctx, target, opt)
			}
			return openDir(target)
		}
		return openArchive(ctx, target, "", opt)
	}
	if looksLikePath(target) {
		return nil, fmt.Errorf("target %s: no such file or directory", target)
	}
	return openRegistry(ctx, target, opt)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// looksLikePath tells a mistyped path from a registry reference, so that
// "./imgae.tar" fails fast instead of asking a registry.
func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasSuffix(s, ".tar") || strings.HasSuffix(s, ".tar.gz")
}

func openDir(dir string) (*Image, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dir %s: not a directory", dir)
	}
	return &Image{Source: sbom.Source{Kind: KindDir, Reference: dir}, Dir: dir}, nil
}

// fill completes an image's metadata from its parsed manifest and config.
func fill(im *Image, m *v1.Manifest, cfg *v1.ConfigFile, manifestAnn map[string]string) error {
	diffIDs := cfg.RootFS.DiffIDs
	if len(diffIDs) != len(m.Layers) {
		return fmt.Errorf("manifest lists %d layers but config lists %d diffIDs", len(m.Layers), len(diffIDs))
	}
	im.Source.ConfigDigest = sbom.Digest(m.Config.Digest.String())
	im.Source.OS = cfg.OS
	im.Source.Architecture = cfg.Architecture
	im.Source.Variant = cfg.Variant
	if !cfg.Created.IsZero() && cfg.Created.Year() > 1 {
		im.Source.Created = cfg.Created.UTC()
	}
	if len(cfg.Config.Labels) > 0 {
		im.Source.Labels = cfg.Config.Labels
	}
	ann := map[string]string{}
	for k, v := range manifestAnn {
		ann[k] = v
	}
	for k, v := range m.Annotations {
		ann[k] = v
	}
	if len(ann) > 0 {
		im.Source.Annotations = ann
	}
	im.BaseName = ann[AnnotationBaseName]
	im.BaseDigest = sbom.Digest(ann[AnnotationBaseDigest])

	// History entries with empty_layer set have no layer; the others map
	// one to one onto the layers, in order.
	var createdBy []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			createdBy = append(createdBy, h.CreatedBy)
		}
	}
	if len(im.Layers) != len(m.Layers) {
		return fmt.Errorf("internal: %d layer openers for %d layers", len(im.Layers), len(m.Layers))
	}
	for i, l := range m.Layers {
		im.Layers[i].Index = i
		im.Layers[i].Digest = sbom.Digest(l.Digest.String())
		im.Layers[i].DiffID = sbom.Digest(diffIDs[i].String())
		im.Layers[i].Size = l.Size
		im.Layers[i].MediaType = string(l.MediaType)
		if i < len(createdBy) {
			im.Layers[i].CreatedBy = createdBy[i]
		}
	}
	return nil
}

// platformMatches reports whether p satisfies want, as a runtime would pick.
func platformMatches(p *v1.Platform, want *v1.Platform) bool {
	if p == nil {
		return false
	}
	if p.OS != want.OS || p.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || p.Variant == want.Variant
}
