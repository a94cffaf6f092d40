package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vigilproject/vigil/internal/sbom"
)

// maxMetadata bounds the size of an index, manifest or config read into
// memory; real ones are a few kilobytes.
const maxMetadata = 8 << 20

// splitSelector splits "PATH", "PATH:REF" or "PATH@sha256:…" into the path
// and the selector. A reference may itself hold colons
// ("dir:example.com/app:1"), so the shortest existing prefix before a ':' or
// '@' is the path.
func splitSelector(arg string) (string, string) {
	if _, err := os.Stat(arg); err == nil {
		return arg, ""
	}
	for i := 1; i < len(arg); i++ {
		if arg[i] != ':' && arg[i] != '@' {
			continue
		}
		if _, err := os.Stat(arg[:i]); err == nil {
			return arg[:i], arg[i+1:]
		}
	}
	return arg, ""
}

func openLayoutDir(ctx context.Context, arg string, opt Options) (*Image, error) {
	dir, sel := splitSelector(arg)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("oci-dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("oci-dir %s: not a directory", dir)
	}
	im, err := fromLayout(ctx, os.DirFS(dir), sel, opt)
	if err != nil {
		return nil, fmt.Errorf("oci-dir %s: %w", dir, err)
	}
	im.Source.Kind = KindOCIDir
	im.Source.Reference = arg
	return im, nil
}

// readSmall reads a metadata file, refusing absurd sizes.
func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMetadata+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxMetadata {
		return nil, fmt.Errorf("%s is over %d bytes", name, maxMetadata)
	}
	return data, nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readBlob reads a small blob and checks it against its digest.
func readBlob(fsys fs.FS, h v1.Hash) ([]byte, error) {
	data, err := readSmall(fsys, blobPath(h))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if h.Algorithm == "sha256" && got != h {
		return nil, fmt.Errorf("blob %s: content has digest %s", h, got)
	}
	return data, nil
}

// fromLayout reads an OCI image layout from fsys and selects one image by
// sel (a ref name, tag or digest; empty selects the only image, or the one
// for the platform).
func fromLayout(ctx context.Context, fsys fs.FS, sel string, opt Options) (*Image, error) {
	raw, err := readSmall(fsys, "index.json")
	if err != nil {
		return nil, fmt.Errorf("not an OCI layout: %w", err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	want, err := opt.platform()
	if err != nil {
		return nil, err
	}
	desc, err := selectManifest(fsys, idx, sel, want, 0)
	if err != nil {
		return nil, err
	}
	im, err := imageFromDescriptor(fsys, desc)
	if err != nil {
		return nil, err
	}
	im.base = func(ctx context.Context, d sbom.Digest) ([]sbom.Digest, error) {
		h, err := v1.NewHash(string(d))
		if err != nil {
			return nil, err
		}
		return diffIDsOf(fsys, h)
	}
	return im, nil
}

// selectManifest finds the image manifest descriptor sel names, descending
// into nested indexes (multi-platform images) up to a small depth.
func selectManifest(fsys fs.FS, idx *v1.IndexManifest, sel string, want *v1.Platform, depth int) (v1.Descriptor, error) {
	if depth > 4 {
		return v1.Descriptor{}, fmt.Errorf("indexes nested too deep")
	}
	var cands []v1.Descriptor
	for _, d := range idx.Manifests {
		if sel != "" && depth == 0 && !selects(d, sel) {
			continue
		}
		cands = append(cands, d)
	}
	if len(cands) == 0 {
		if sel != "" {
			return v1.Descriptor{}, fmt.Errorf("no image %q in the layout: %w", sel, ErrNotFound)
		}
		return v1.Descriptor{}, fmt.Errorf("the layout holds no image: %w", ErrNotFound)
	}
	var images []v1.Descriptor
	for _, d := range cands {
		switch {
		case d.MediaType.IsIndex():
			raw, err := readBlob(fsys, d.Digest)
			if err != nil {
				return v1.Descriptor{}, err
			}
			child, err := v1.ParseIndexManifest(bytes.NewReader(raw))
			if err != nil {
				return v1.Descriptor{}, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			got, err := selectManifest(fsys, child, "", want, depth+1)
			if err != nil {
				return v1.Descriptor{}, err
			}
			// Annotations of the outer descriptor (ref name, base image)
			// still describe the selected image.
			got.Annotations = mergeAnn(d.Annotations, got.Annotations)
			images = append(images, got)
		case d.MediaType.IsImage() || d.MediaType == "":
			images = append(images, d)
		}
	}
	if len(images) == 1 {
		return images[0], nil
	}
	var match []v1.Descriptor
	for _, d := range images {
		if platformMatches(d.Platform, want) {
			match = append(match, d)
		}
	}
	if len(match) >= 1 {
		return match[0], nil
	}
	if len(images) == 0 {
		return v1.Descriptor{}, fmt.Errorf("no image manifest in the layout: %w", ErrNotFound)
	}
	var names []string
	for _, d := range images {
		n := d.Annotations[annotationRefName]
		if n == "" {
			n = d.Digest.String()
		}
		names = append(names, n)
	}
	return v1.Descriptor{}, fmt.Errorf("the layout holds %d images (%s): name one with PATH:REF or PATH@DIGEST", len(images), strings.Join(names, ", "))
}

func mergeAnn(outer, inner map[string]string) map[string]string {
	if len(outer) == 0 {
		return inner
	}
	out := make(map[string]string, len(outer)+len(inner))
	for k, v := range outer {
		out[k] = v
	}
	for k, v := range inner {
		out[k] = v
	}
	return out
}

// selects reports whether a descriptor is the one sel names: its digest,
// its full ref name, or the tag at the end of its ref name.
func selects(d v1.Descriptor, sel string) bool {
	if sel == d.Digest.String() {
		return true
	}
	ref := d.Annotations[annotationRefName]
	if ref == "" {
		return false
	}
	if ref == sel {
		return true
	}
	i := strings.LastIndexAny(ref, ":/")
	return i >= 0 && ref[i] == ':' && ref[i+1:] == sel
}

func imageFromDescriptor(fsys fs.FS, d v1.Descriptor) (*Image, error) {
	raw, err := readBlob(fsys, d.Digest)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if m.Config.MediaType != "" && !m.Config.MediaType.IsConfig() && m.Config.MediaType != types.OCIConfigJSON {
		return nil, fmt.Errorf("manifest %s: config media type %s is not an image config", d.Digest, m.Config.MediaType)
	}
	cfgRaw, err := readBlob(fsys, m.Config.Digest)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	im := &Image{}
	im.Source.ManifestDigest = sbom.Digest(d.Digest.String())
	if ref := d.Annotations[annotationRefName]; ref != "" && strings.ContainsAny(ref, "/:") {
		im.Source.RepoDigests = repoDigest(ref, d.Digest.String())
	}
	for _, l := range m.Layers {
		l := l
		im.Layers = append(im.Layers, Layer{Open: func(ctx context.Context) (io.ReadCloser, error) {
			f, err := fsys.Open(blobPath(l.Digest))
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
			}
			return f, nil
		}})
	}
	if err := fill(im, m, cfg, d.Annotations); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	return im, nil
}

// repoDigest turns "host/repo:tag" and a digest into "host/repo@digest".
func repoDigest(ref, digest string) []string {
	repo := ref
	if i := strings.LastIndexAny(ref, ":/"); i >= 0 && ref[i] == ':' {
		repo = ref[:i]
	}
	if !strings.Contains(repo, "/") {
		return nil
	}
	return []string{repo + "@" + digest}
}

// diffIDsOf reads the diffIDs of the image manifest with digest h in fsys.
func diffIDsOf(fsys fs.FS, h v1.Hash) ([]sbom.Digest, error) {
	raw, err := readBlob(fsys, h)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", h, err)
	}
	cfgRaw, err := readBlob(fsys, m.Config.Digest)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	out := make([]sbom.Digest, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		out[i] = sbom.Digest(d)
	}
	return out, nil
}
