package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Options configure an inventory run.
type Options struct {
	// Catalogers to run, at most 63; All() gives the default list.
	Catalogers []Cataloger
	Limits     layerfs.Limits
	// Cache, when not nil, keeps layer walks and image layer stacks.
	Cache *Cache
	// Base is the base image given by the user (--base-image); when nil the
	// image's own annotations are used.
	Base *UserBase
	// ResolveBase fetches the diffIDs of an annotated base image that
	// neither the image's source nor the cache knows. Nil means offline.
	ResolveBase func(ctx context.Context, name string, digest sbom.Digest) ([]sbom.Digest, error)
	// Progress, when not nil, is told of each layer as it is read.
	Progress func(Progress)
	// Parallel bounds the layers decompressed at once; 0 means GOMAXPROCS.
	Parallel int
	Logger   *slog.Logger
}

// UserBase is a base image named by the user.
type UserBase struct {
	Name    string
	DiffIDs []sbom.Digest
}

// Progress reports one layer's walk.
type Progress struct {
	Layer, Layers int
	DiffID        sbom.Digest
	Cached        bool
	Done          bool
}

const distroBit = uint64(1) << 63

// Inventory walks the image once and returns its inventory.
func Inventory(ctx context.Context, im *image.Image, opt Options) (*sbom.Inventory, error) {
	if len(opt.Catalogers) > 63 {
		return nil, errors.New("catalog: more than 63 catalogers")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	cs := opt.Catalogers
	want := func(p string, mode fs.FileMode, size int64) uint64 {
		var w uint64
		if wantsDistro(p) {
			w |= distroBit
		}
		for i, c := range cs {
			if c.Wants(p, mode, size) {
				w |= 1 << i
			}
		}
		return w
	}
	sel := &layerfs.Selector{Want: want}
	type extractor struct {
		bit int
		e   Extractor
	}
	var extractors []extractor
	for i, c := range cs {
		if e, ok := c.(Extractor); ok {
			extractors = append(extractors, extractor{i, e})
			sel.ExtractMask |= 1 << i
		}
	}
	if len(extractors) > 0 {
		sel.Extract = func(ctx context.Context, name string, mask uint64, r io.Reader, size int64) ([]layerfs.Extract, error) {
			var fns []extractFn
			for _, x := range extractors {
				if mask&(1<<x.bit) != 0 {
					fns = append(fns, extractFn{x.bit, cs[x.bit].Name(), x.e})
				}
			}
			return fanOut(ctx, name, r, size, fns)
		}
	}
	budget := layerfs.NewBudget(opt.Limits)
	inv := &sbom.Inventory{SchemaVersion: sbom.SchemaVersion, Source: im.Source}

	var indexes []*layerfs.Index
	if im.Dir != "" {
		ix, err := layerfs.IndexDir(ctx, im.Dir, sel, budget)
		if err != nil {
			return nil, err
		}
		indexes = []*layerfs.Index{ix}
		inv.Layers = []sbom.Layer{{Index: 0}}
	} else {
		var err error
		indexes, err = indexLayers(ctx, im, sel, budget, opt)
		if err != nil {
			return nil, err
		}
		for _, l := range im.Layers {
			inv.Layers = append(inv.Layers, l.Layer)
		}
	}
	for _, ix := range indexes {
		inv.Warnings = append(inv.Warnings, ix.Warnings...)
		if ix.Suppressed > 0 {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("layer %d: %d more warnings not shown", ix.Layer, ix.Suppressed))
		}
	}

	merged := layerfs.NewMerged()
	runs := make([]catalogerRun, len(cs))
	var distro *sbom.Distro
	for li, ix := range indexes {
		changed := merged.Apply(ix)
		if changed&distroBit != 0 || li == 0 {
			distro = DetectDistro(merged)
		}
		for i, c := range cs {
			if changed&(1<<i) == 0 {
				continue
			}
			var warns []string
			in := Input{
				FS:     merged,
				Paths:  merged.Paths(1 << i),
				Distro: distro,
				Warn:   func(msg string) { warns = append(warns, msg) },
				Extracted: func(p string) ([]byte, bool) {
					f, err := merged.Entry(p)
					if err != nil {
						return nil, false
					}
					return f.Extracted(i)
				},
			}
			pkgs, err := c.Catalog(ctx, in)
			// Only the view a cataloger saw last is the image's; warnings
			// about files that later layers replaced are history.
			runs[i].warnings = warns
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				// A broken database in a lower layer that a later layer
				// replaces is history; only the final view's failure counts.
				runs[i].failed = err
				runs[i].observe(nil, li)
				continue
			}
			runs[i].failed = nil
			runs[i].observe(pkgs, li)
		}
	}
	for i, r := range runs {
		inv.Warnings = append(inv.Warnings, r.warnings...)
		if r.failed != nil {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s: %v", cs[i].Name(), r.failed))
		}
	}
	if distro != nil {
		inv.Distro = distro
		// Distroless images keep one dpkg stanza per package in status.d
		// and have no status file.
		distro.Distroless = dpkgStyle(runs) == "status.d"
		if distro.Unknown {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("operating system %q: release could not be told (end of life or unknown)", distro.ID))
		}
	}

	inv.BaseImage = decideBase(ctx, im, inv.Layers, opt, &inv.Warnings)
	for i := range inv.Layers {
		inv.Layers[i].Base = inv.BaseImage.Known() && i < inv.BaseImage.Layers
	}
	for _, r := range runs {
		for _, p := range r.last {
			p.Layer = sbom.LayerRef{Index: r.since[sinceKey(&p)]}
			if p.Layer.Index < len(inv.Layers) {
				p.Layer.DiffID = inv.Layers[p.Layer.Index].DiffID
			}
			p.InBase = inv.BaseImage.Known() && p.Layer.Index < inv.BaseImage.Layers
			inv.Packages = append(inv.Packages, p)
		}
	}
	// Owners first: a copy installed by an OS package and a copy in a
	// virtualenv are matched differently, so they must stay apart.
	linkOwners(inv.Packages, merged.Resolve)
	bitnamiDirs := bitnamiDirs(inv.Packages)
	inv.Packages = slices.DeleteFunc(inv.Packages, func(p sbom.Package) bool {
		// A runtime found by its binary is only news when no OS package
		// installed it, nor Bitnami: otherwise that package already
		// stands for it.
		return p.Ecosystem == sbom.Generic && (p.OwnedBy != "" || underAny(p.Locations, bitnamiDirs))
	})
	inv.Packages = dedupe(inv.Packages)
	if opt.Cache != nil && im.Source.ManifestDigest != "" {
		var diffIDs []sbom.Digest
		for _, l := range inv.Layers {
			diffIDs = append(diffIDs, l.DiffID)
		}
		if err := opt.Cache.rememberImage(ctx, im.Source.ManifestDigest, im.Source.Reference, diffIDs); err != nil {
			opt.Logger.Debug("cache: remembering image failed", "err", err)
		}
	}
	return inv, nil
}

type extractFn struct {
	bit  int
	name string
	e    Extractor
}

// fanOut streams one file through every extractor that wants it. The
// common case, one extractor, reads the stream directly; several each get
// a pipe fed from the one stream, and one that stops early stops costing
// anything.
func fanOut(ctx context.Context, name string, r io.Reader, size int64, fns []extractFn) ([]layerfs.Extract, error) {
	if len(fns) == 1 {
		data, err := fns[0].e.Extract(ctx, name, r, size)
		if err != nil {
			err = fmt.Errorf("%s: %w", fns[0].name, err)
		}
		if data == nil {
			return nil, err
		}
		return []layerfs.Extract{{Consumer: fns[0].bit, Data: data}}, err
	}
	type result struct {
		data []byte
		err  error
	}
	results := make([]result, len(fns))
	writers := make([]*io.PipeWriter, len(fns))
	var wg sync.WaitGroup
	for i, f := range fns {
		pr, pw := io.Pipe()
		writers[i] = pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := f.e.Extract(ctx, name, pr, size)
			results[i] = result{data, err}
			pr.Close() // later writes fail: this extractor is done
		}()
	}
	buf := make([]byte, 64<<10)
	var readErr error
	for {
		n, err := r.Read(buf)
		if n > 0 {
			live := 0
			for i, w := range writers {
				if w == nil {
					continue
				}
				if _, werr := w.Write(buf[:n]); werr != nil {
					writers[i] = nil
					continue
				}
				live++
			}
			if live == 0 {
				break
			}
		}
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
	}
	for _, w := range writers {
		if w != nil {
			if readErr != nil {
				w.CloseWithError(readErr)
			} else {
				w.Close()
			}
		}
	}
	wg.Wait()
	var out []layerfs.Extract
	var errs []error
	for i, res := range results {
		if res.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fns[i].name, res.err))
		}
		if res.data != nil {
			out = append(out, layerfs.Extract{Consumer: fns[i].bit, Data: res.data})
		}
	}
	if readErr != nil {
		return out, readErr
	}
	return out, errors.Join(errs...)
}

// dpkgStyle tells how the image's dpkg database is kept: "status",
// "status.d" (distroless) or "" when it has none.
func dpkgStyle(runs []catalogerRun) string {
	style := ""
	for _, r := range runs {
		for _, p := range r.last {
			if p.Ecosystem != sbom.Deb {
				continue
			}
			for _, l := range p.Locations {
				switch {
				case l == "/var/lib/dpkg/status":
					return "status"
				case strings.HasPrefix(l, "/var/lib/dpkg/status.d/"):
					style = "status.d"
				}
			}
		}
	}
	return style
}

// catalogerRun follows one cataloger's results from layer to layer, to
// find the layer that introduced each package.
type catalogerRun struct {
	last     []sbom.Package
	since    map[string]int // package key → layer since which it is present
	failed   error
	warnings []string
}

// sinceKey identifies a package across the views of one cataloger: the
// same module in two binaries is two packages, each with its own layer.
func sinceKey(p *sbom.Package) string {
	if len(p.Locations) == 0 {
		return p.Key()
	}
	return p.Key() + "\x00" + p.Locations[0]
}

func (r *catalogerRun) observe(pkgs []sbom.Package, layer int) {
	next := make(map[string]int, len(pkgs))
	for i := range pkgs {
		k := sinceKey(&pkgs[i])
		if l, ok := r.since[k]; ok {
			next[k] = l
		} else {
			next[k] = layer
		}
	}
	r.since, r.last = next, pkgs
}

// indexLayers walks every layer, in parallel, from the cache when it can.
func indexLayers(ctx context.Context, im *image.Image, sel *layerfs.Selector, budget *layerfs.Budget, opt Options) ([]*layerfs.Index, error) {
	key := catalogersKey(opt.Catalogers)
	out := make([]*layerfs.Index, len(im.Layers))
	g, ctx := errgroup.WithContext(ctx)
	n := opt.Parallel
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(n)
	// Largest layers first: the walk ends when the last layer does, so
	// the big ones must not be left for the end.
	order := make([]int, len(im.Layers))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return im.Layers[order[a]].Size > im.Layers[order[b]].Size })
	for _, i := range order {
		l := im.Layers[i]
		g.Go(func() error {
			report := func(cached, done bool) {
				if opt.Progress != nil {
					opt.Progress(Progress{Layer: i, Layers: len(im.Layers), DiffID: l.DiffID, Cached: cached, Done: done})
				}
			}
			if ix := opt.Cache.getLayer(ctx, l.DiffID, key); ix != nil {
				ix.Layer = i
				for _, f := range ix.Files {
					f.Layer = i
				}
				out[i] = ix
				report(true, true)
				return nil
			}
			report(false, false)
			ix, err := indexLayer(ctx, l, i, sel, budget)
			if err != nil {
				return err
			}
			out[i] = ix
			if err := opt.Cache.putLayer(ctx, l.DiffID, key, ix); err != nil {
				opt.Logger.Debug("cache: storing layer failed", "diffID", l.DiffID, "err", err)
			}
			report(false, true)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func indexLayer(ctx context.Context, l image.Layer, i int, sel *layerfs.Selector, budget *layerfs.Budget) (*layerfs.Index, error) {
	name := fmt.Sprintf("%d (%s)", i, l.DiffID)
	open := func() (io.ReadCloser, error) {
		rc, err := l.Open(ctx)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", name, err)
		}
		r, err := layerfs.Decompress(rc)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", name, err)
		}
		return r, nil
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	ix, err := layerfs.IndexTar(ctx, r, i, name, sel, budget)
	r.Close()
	var second *layerfs.NeedsSecondPass
	if errors.As(err, &second) {
		r, err := open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		if err := layerfs.ResolveLinks(ctx, r, ix, second, sel, budget); err != nil {
			return nil, fmt.Errorf("layer %s: %w", name, err)
		}
		return ix, nil
	}
	return ix, err
}

// decideBase finds how many bottom layers belong to the base image.
func decideBase(ctx context.Context, im *image.Image, layers []sbom.Layer, opt Options, warnings *[]string) sbom.BaseImage {
	prefix := func(base []sbom.Digest) int {
		n := 0
		for n < len(base) && n < len(layers) && base[n] == layers[n].DiffID {
			n++
		}
		return n
	}
	if opt.Base != nil {
		n := prefix(opt.Base.DiffIDs)
		if n < len(opt.Base.DiffIDs) {
			*warnings = append(*warnings, fmt.Sprintf("base image %s: only its first %d of %d layers are at the bottom of this image", opt.Base.Name, n, len(opt.Base.DiffIDs)))
		}
		return sbom.BaseImage{Source: sbom.BaseFromFlag, Name: opt.Base.Name, Layers: n}
	}
	if im.BaseDigest == "" && im.BaseName == "" {
		return sbom.BaseImage{Source: sbom.BaseUnknown}
	}
	b := sbom.BaseImage{Source: sbom.BaseFromAnnotation, Name: im.BaseName, Digest: im.BaseDigest}
	if im.BaseDigest != "" {
		if ids, ok := opt.Cache.imageDiffIDs(ctx, im.BaseDigest); ok {
			b.Layers = prefix(ids)
			return b
		}
		if ids, err := im.BaseDiffIDs(ctx, im.BaseDigest); err == nil {
			b.Layers = prefix(ids)
			return b
		}
	}
	if opt.ResolveBase != nil && im.BaseName != "" {
		ids, err := opt.ResolveBase(ctx, im.BaseName, im.BaseDigest)
		if err == nil {
			b.Layers = prefix(ids)
			return b
		}
		opt.Logger.Debug("base image could not be fetched", "name", im.BaseName, "err", err)
	}
	*warnings = append(*warnings, fmt.Sprintf("base image %s (%s) is named by the image's annotations but its layers are unknown: scan it once, or pass --base-image", im.BaseName, im.BaseDigest))
	b.Source = sbom.BaseUnknown
	return b
}

// linkOwners marks application packages that an OS package installed (a
// Python distribution from python3-requests, a jar from a *-java package):
// they are covered by the OS package's own advisories.
//
// OS packages list files by the path they were installed under, which on a
// merged-/usr system may run through a symlink (/bin/busybox is
// /usr/bin/busybox); resolve, in the image's final view, maps those paths to
// the real ones catalogers report.
func linkOwners(pkgs []sbom.Package, resolve func(string) (string, error)) {
	owner := map[string]string{}
	for i := range pkgs {
		if pkgs[i].Ecosystem.IsOS() {
			for _, f := range pkgs[i].Files {
				owner[f] = pkgs[i].PURL
				if r, err := resolve(strings.TrimPrefix(f, "/")); err == nil && "/"+r != f {
					if _, ok := owner["/"+r]; !ok {
						owner["/"+r] = pkgs[i].PURL
					}
				}
			}
		}
	}
	if len(owner) == 0 {
		return
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem.IsOS() {
			continue
		}
		for _, l := range p.Locations {
			if o, ok := owner[l]; ok {
				p.OwnedBy = o
				break
			}
		}
	}
}

// bitnamiDirs returns the directories Bitnami installed components into,
// "/opt/bitnami/<component>/": those holding a Bitnami package's SPDX
// document.
func bitnamiDirs(pkgs []sbom.Package) []string {
	var dirs []string
	for i := range pkgs {
		if pkgs[i].Ecosystem != sbom.Bitnami {
			continue
		}
		for _, l := range pkgs[i].Locations {
			if rest, ok := strings.CutPrefix(l, "/opt/bitnami/"); ok {
				if dir, _, ok := strings.Cut(rest, "/"); ok && dir != "" {
					dirs = append(dirs, "/opt/bitnami/"+dir+"/")
				}
			}
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// underAny reports whether a location lies under one of dirs.
func underAny(locations, dirs []string) bool {
	for _, l := range locations {
		for _, d := range dirs {
			if strings.HasPrefix(l, d) {
				return true
			}
		}
	}
	return false
}

// dedupe merges packages found more than once (by several catalogers or in
// several places), keeping the first and the union of locations.
func dedupe(pkgs []sbom.Package) []sbom.Package {
	sort.SliceStable(pkgs, func(i, j int) bool { return less(&pkgs[i], &pkgs[j]) })
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 && out[n-1].Key() == p.Key() && out[n-1].PURL == p.PURL && out[n-1].OwnedBy == p.OwnedBy {
			q := &out[n-1]
			for _, l := range p.Locations {
				if !slices.Contains(q.Locations, l) {
					q.Locations = append(q.Locations, l)
				}
			}
			if p.Layer.Index < q.Layer.Index {
				q.Layer, q.InBase = p.Layer, p.InBase
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func less(a, b *sbom.Package) bool {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c < 0
	}
	if c := strings.Compare(string(a.Ecosystem), string(b.Ecosystem)); c != 0 {
		return c < 0
	}
	if c := strings.Compare(a.Version, b.Version); c != 0 {
		return c < 0
	}
	if c := strings.Compare(a.Arch, b.Arch); c != 0 {
		return c < 0
	}
	if c := strings.Compare(a.PURL, b.PURL); c != 0 {
		return c < 0
	}
	return strings.Compare(a.OwnedBy, b.OwnedBy) < 0
}
