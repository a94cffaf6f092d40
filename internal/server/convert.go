package server

import (
	"encoding/json"
	"time"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// The wire types are the API's contract; these functions are the only
// place domain types become them.

func apiImage(im store.Image) api.Image {
	out := api.Image{
		Digest:     string(im.Digest),
		Repository: im.Repository,
		Tag:        im.Tag,
		Reference:  im.Reference,
		Origin:     string(im.Origin),
		Distro:     im.Distro,
		Base:       apiBase(im.Base),
		Layers:     im.Layers,
		Packages:   im.Packages,
		Registered: im.Registered,
		Indexed:    im.Indexed,
		DBVersion:  im.DBVersion,
		SizeBytes:  im.Size,
		Findings: api.Summary{
			Critical:   im.Summary.Critical,
			High:       im.Summary.High,
			Medium:     im.Summary.Medium,
			Low:        im.Summary.Low,
			Negligible: im.Summary.Negligible,
			Unknown:    im.Summary.Unknown,
			Fixable:    im.Summary.Fixable,
			KEV:        im.Summary.KEV,
			Max:        im.Summary.Max.String(),
		},
	}
	if !im.Assessed.IsZero() {
		t := im.Assessed
		out.Assessed = &t
	}
	return out
}

// apiBase describes a base image when anything is known of it.
func apiBase(b sbom.BaseImage) *api.BaseImage {
	if b.Name == "" && b.Digest == "" && b.Layers == 0 {
		return nil
	}
	src := string(b.Source)
	if src == "" {
		src = string(sbom.BaseUnknown)
	}
	return &api.BaseImage{Source: src, Name: b.Name, Digest: string(b.Digest), Layers: b.Layers}
}

func apiJob(j store.Job) api.Job {
	out := api.Job{
		ID:       j.ID,
		Kind:     j.Kind,
		State:    j.State,
		Attempts: j.Attempts,
		Created:  j.Created,
		Updated:  j.Updated,
		Error:    j.Error,
	}
	if len(j.Result) > 0 && json.Valid(j.Result) {
		out.Result = json.RawMessage(j.Result)
	}
	return out
}

func apiToken(t store.Token) api.Token {
	out := api.Token{
		ID:      t.ID,
		Name:    t.Name,
		Scope:   t.Scope,
		Prefix:  t.Prefix,
		Created: t.Created,
		Expires: optTime(t.Expires),
		Revoked: t.Revoked,
	}
	out.LastUsed = optTime(t.LastUsed)
	return out
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func apiImpact(im *images.Impact) api.Impact {
	out := api.Impact{
		ID:        im.ID,
		Aliases:   im.IDs,
		Summary:   im.Summary,
		Severity:  im.Severity.String(),
		KEV:       im.KEV,
		DBVersion: im.DBVersion,
		Total:     im.Total,
		Images:    make([]api.ImpactImage, 0, len(im.Images)),
		Next:      im.Next,
	}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	for _, i := range im.Images {
		ai := api.ImpactImage{
			Digest:     string(i.Digest),
			Repository: i.Repository,
			Tag:        i.Tag,
			Base:       apiBase(i.Base),
			Packages:   make([]api.ImpactPackage, 0, len(i.Packages)),
		}
		for _, p := range i.Packages {
			ai.Packages = append(ai.Packages, api.ImpactPackage{
				Ecosystem:     string(p.Ecosystem),
				Name:          p.Name,
				Version:       p.Version,
				SourceName:    p.SourceName,
				SourceVersion: p.SourceVersion,
				PURL:          p.PURL,
				Status:        string(p.Status),
				Fixed:         p.Fixed,
				FixWhere:      p.FixWhere,
				Severity:      p.Severity.String(),
				Layer:         p.LayerIndex,
				InBase:        p.InBase,
				Advisory:      p.Advisory,
			})
		}
		out.Images = append(out.Images, ai)
	}
	return out
}

func apiPackages(ps []images.PackageImages) api.PackageList {
	out := api.PackageList{Packages: make([]api.PackageImages, 0, len(ps))}
	for _, p := range ps {
		pi := api.PackageImages{
			Ecosystem:     string(p.Package.Ecosystem),
			Name:          p.Package.Name,
			Version:       p.Package.Version,
			SourceName:    p.Package.SourceName,
			SourceVersion: p.Package.SourceVersion,
			PURL:          p.Package.PURL,
			Images:        make([]api.PackageHolder, 0, len(p.Images)),
		}
		if d := p.Package.DistroInfo(); d != nil {
			pi.Distro = d.Release()
		}
		for _, u := range p.Images {
			pi.Images = append(pi.Images, api.PackageHolder{
				Digest:     string(u.Digest),
				Repository: u.Repository,
				Tag:        u.Tag,
				Layer:      u.LayerIndex,
				InBase:     u.InBase,
			})
		}
		out.Packages = append(out.Packages, pi)
	}
	return out
}
