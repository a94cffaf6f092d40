package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sbomfile"
	"github.com/vigilproject/vigil/internal/store"
)

var digestRE = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)

// ValidDigest reports whether d is a well-formed sha256 or sha512 digest.
func ValidDigest(d string) bool { return digestRE.MatchString(d) }

// indexPayload is the payload of an index job.
type indexPayload struct {
	Reference string `json:"reference"`
}

// ParseReference parses an image reference as a registry names it
// ("alpine:3.20", "registry.example/app@sha256:…"), refusing empty and
// malformed ones.
func (s *Service) ParseReference(ref string) (name.Reference, error) {
	ref = strings.TrimSpace(strings.TrimPrefix(ref, "registry:"))
	if ref == "" || len(ref) > 1024 {
		return nil, fmt.Errorf("%w: %q", ErrBadReference, ref)
	}
	opts := []name.Option{name.StrictValidation}
	if s.cfg.Image.Insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		// StrictValidation refuses a reference without tag or digest;
		// "app" means "app:latest" as everywhere else.
		r, err = name.ParseReference(ref, opts[1:]...)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadReference, ref, err)
		}
	}
	return r, nil
}

// AddReference registers an image by reference: it checks the registry is
// allowed, starts tracking the tag (when the reference has one) and queues
// the job that pulls and indexes it. Registering a reference already queued
// returns the queued job.
func (s *Service) AddReference(ctx context.Context, ref string) (store.Job, error) {
	r, err := s.ParseReference(ref)
	if err != nil {
		return store.Job{}, err
	}
	if err := s.cfg.Registries.Check(r.Context().RegistryStr()); err != nil {
		return store.Job{}, err
	}
	if t, ok := r.(name.Tag); ok {
		if err := s.cfg.Store.TrackTag(ctx, t.Context().Name(), t.TagStr(), t.Name()); err != nil {
			return store.Job{}, err
		}
	}
	payload, _ := json.Marshal(indexPayload{Reference: r.Name()})
	j, _, err := s.cfg.Store.Enqueue(ctx, store.NewJob{Kind: KindIndex, Payload: payload, Dedupe: r.Name()})
	if err != nil {
		return store.Job{}, err
	}
	s.Wake()
	return j, nil
}

// SBOMUpload is an SBOM registered without its image.
type SBOMUpload struct {
	// Name is the image's reference ("registry.example/app:1.2"),
	// optional; the SBOM's own reference is used when empty.
	Name string
	Body io.Reader
	// Wait assesses the image before returning instead of queueing it.
	Wait bool
}

// AddSBOM stores the inventory of an uploaded SBOM (CycloneDX, SPDX or
// Vigil JSON). Its digest is the image's manifest digest when the SBOM
// names one, else the SHA-256 of the document. The image is assessed at
// once with Wait, else by a queued job.
func (s *Service) AddSBOM(ctx context.Context, up SBOMUpload) (store.Image, error) {
	body, err := io.ReadAll(io.LimitReader(up.Body, sbomfile.MaxSize+1))
	if err != nil {
		return store.Image{}, fmt.Errorf("%w: reading: %v", ErrBadSBOM, err)
	}
	if len(body) > sbomfile.MaxSize {
		return store.Image{}, sbomfile.ErrTooLarge
	}
	inv, err := sbomfile.Read(ctx, "upload", bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, sbomfile.ErrTooLarge) || ctx.Err() != nil {
			return store.Image{}, err
		}
		return store.Image{}, fmt.Errorf("%w: %v", ErrBadSBOM, err)
	}
	if n := len(inv.Packages); n > s.cfg.MaxPackages {
		return store.Image{}, fmt.Errorf("%w: %d components, at most %d", ErrTooManyPkgs, n, s.cfg.MaxPackages)
	}
	digest := inv.Source.ManifestDigest
	if !ValidDigest(string(digest)) {
		h := sha256.Sum256(body)
		digest = sbom.Digest("sha256:" + hex.EncodeToString(h[:]))
	}
	n := &store.NewImage{Digest: digest, Origin: store.OriginSBOM, Inventory: inv, Keys: storeKeys}
	if !up.Wait {
		n.Job = s.assessJob(digest)
	}
	refName := up.Name
	if refName == "" {
		refName = inv.Source.Reference
	}
	if refName != "" {
		r, err := s.ParseReference(refName)
		if err != nil {
			if up.Name != "" {
				return store.Image{}, err
			}
		} else {
			n.Repository, n.Reference = r.Context().Name(), r.Name()
			if t, ok := r.(name.Tag); ok {
				n.Tag = t.TagStr()
			}
		}
	}
	im, err := s.puts.put(ctx, n)
	if err != nil {
		return store.Image{}, err
	}
	if up.Wait {
		return s.Assess(ctx, digest)
	}
	s.Wake()
	return im, nil
}

// assessPayload is the payload of an assess job.
type assessPayload struct {
	Digest sbom.Digest `json:"digest"`
}

func (s *Service) assessJob(digest sbom.Digest) *store.NewJob {
	payload, _ := json.Marshal(assessPayload{Digest: digest})
	return &store.NewJob{Kind: KindAssess, Payload: payload, Dedupe: string(digest)}
}

// QueueAssess queues the assessment of a stored image.
func (s *Service) QueueAssess(ctx context.Context, digest sbom.Digest) error {
	if _, _, err := s.cfg.Store.Enqueue(ctx, *s.assessJob(digest)); err != nil {
		return err
	}
	s.Wake()
	return nil
}
