package image

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vigilproject/vigil/internal/sbom"
)

func (o Options) transport() http.RoundTripper {
	if o.Transport != nil {
		return o.Transport
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: o.Timeout, KeepAlive: o.Timeout}).DialContext
	if o.Dial != nil {
		t.DialContext = o.Dial
	}
	t.TLSHandshakeTimeout = o.Timeout
	t.ResponseHeaderTimeout = o.Timeout
	if o.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	return t
}

func (o Options) remoteOptions(ctx context.Context) ([]remote.Option, error) {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	p, err := o.platform()
	if err != nil {
		return nil, err
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(o.transport()),
		remote.WithPlatform(*p),
	}, nil
}

func (o Options) parseRef(s string) (name.Reference, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	return name.ParseReference(s, nopts...)
}

func openRegistry(ctx context.Context, ref string, opt Options) (*Image, error) {
	r, err := opt.parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("registry reference %q: %w", ref, err)
	}
	ropts, err := opt.remoteOptions(ctx)
	if err != nil {
		return nil, err
	}
	host := r.Context().RegistryStr()
	img, err := remote.Image(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s: %w", host, ref, err)
	}
	im, err := fromV1(img)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s: %w", host, ref, err)
	}
	im.Source.Kind = KindRegistry
	im.Source.Reference = r.Name()
	im.Source.RepoDigests = []string{r.Context().Digest(string(im.Source.ManifestDigest)).String()}
	repo := r.Context()
	im.base = func(ctx context.Context, d sbom.Digest) ([]sbom.Digest, error) {
		return remoteDiffIDs(ctx, repo.Digest(string(d)), opt)
	}
	return im, nil
}

// ResolveBase fetches the diffIDs of a base image by name and digest from
// its registry, for base annotations naming another repository.
func ResolveBase(ctx context.Context, ref string, digest sbom.Digest, opt Options) ([]sbom.Digest, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	r, err := opt.parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("base image %q: %w", ref, err)
	}
	if digest != "" {
		r = r.Context().Digest(string(digest))
	}
	return remoteDiffIDs(ctx, r, opt)
}

func remoteDiffIDs(ctx context.Context, r name.Reference, opt Options) ([]sbom.Digest, error) {
	ropts, err := opt.remoteOptions(ctx)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s: %w", r.Context().RegistryStr(), r, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("registry %s: %s: config: %w", r.Context().RegistryStr(), r, err)
	}
	out := make([]sbom.Digest, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		out[i] = sbom.Digest(d.String())
	}
	return out, nil
}

// fromV1 adapts a go-containerregistry image.
func fromV1(img v1.Image) (*Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	im := &Image{}
	im.Source.ManifestDigest = sbom.Digest(digest.String())
	for _, l := range layers {
		l := l
		im.Layers = append(im.Layers, Layer{Open: func(ctx context.Context) (io.ReadCloser, error) {
			return l.Compressed()
		}})
	}
	if err := fill(im, m, cfg, nil); err != nil {
		return nil, err
	}
	return im, nil
}
