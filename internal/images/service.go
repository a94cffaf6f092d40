// Package images is the inventory server's work: registering images by
// reference or SBOM, the background jobs that pull, catalogue and assess
// them, tag tracking, and the impact queries answered from the reverse
// index. internal/server puts HTTP in front of it; internal/monitor reuses
// its assessment.
package images

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/match"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// Advisories is what the service needs of the vulnerability database:
// *vulndb.DB implements it.
type Advisories interface {
	match.Source
	Version(ctx context.Context) (int64, error)
	Vulnerability(ctx context.Context, id string) (*vulndb.Vulnerability, error)
}

// Config configures a Service.
type Config struct {
	Store *store.Store
	// Advisories returns the database to match against; it is asked for
	// each assessment, so a database replaced by an update is picked up.
	Advisories func() Advisories
	Catalogers []catalog.Cataloger
	// Cache keeps layer walks; nil catalogues every layer every time.
	Cache  *catalog.Cache
	Limits layerfs.Limits
	// Image configures registry access (credentials, TLS, timeouts). Its
	// Transport is wrapped by the registry guard.
	Image image.Options
	// Registries limits where images may be pulled from.
	Registries *netguard.Guard
	// Worker names this process in job leases; default host:pid.
	Worker string
	// Lease is how long a claimed job is this worker's before another may
	// take it over; it is renewed while the job runs. Default 2 minutes.
	Lease time.Duration
	// MaxPackages refuses SBOMs listing more components (default 200,000).
	MaxPackages int
	// TagInterval is how often tracked tags are checked for moves
	// (default 15 minutes; 0 keeps the default, negative disables).
	TagInterval time.Duration
	// Threshold decides when an image has gone bad (default: a fixable
	// critical or a KEV finding).
	Threshold store.Threshold
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service registers, indexes and assesses images.
type Service struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}
	puts *batcher
}

// Job kinds.
const (
	KindIndex   = "index"    // pull and catalogue a reference, then assess
	KindAssess  = "assess"   // match a stored inventory again
	KindPollTag = "poll-tag" // check where a tracked tag points
)

// Errors the HTTP layer maps to 4xx answers.
var (
	ErrBadReference  = errors.New("bad image reference")
	ErrNotAllowed    = netguard.ErrNotAllowed
	ErrBadSBOM       = errors.New("bad SBOM")
	ErrTooManyPkgs   = errors.New("SBOM lists too many components")
	ErrUnknownVuln   = errors.New("unknown vulnerability")
	ErrBadQuery      = errors.New("bad query")
	ErrNoAdvisories  = errors.New("no vulnerability database")
	ErrNotFound      = store.ErrNotFound
	errPermanentFail = errors.New("permanent failure")
)

// New returns a service; it starts nothing (Run does).
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("images: no store")
	}
	if cfg.Worker == "" {
		h, _ := os.Hostname()
		cfg.Worker = fmt.Sprintf("%s:%d", h, os.Getpid())
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxPackages <= 0 {
		cfg.MaxPackages = 200_000
	}
	if cfg.TagInterval == 0 {
		cfg.TagInterval = 15 * time.Minute
	}
	if cfg.Registries == nil {
		cfg.Registries = &netguard.Guard{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), puts: &batcher{st: cfg.Store}}, nil
}

// Store returns the service's store.
func (s *Service) Store() *store.Store { return s.cfg.Store }

func (s *Service) advisories() (Advisories, error) {
	if s.cfg.Advisories == nil {
		return nil, ErrNoAdvisories
	}
	a := s.cfg.Advisories()
	if a == nil {
		return nil, ErrNoAdvisories
	}
	return a, nil
}

// PackageKeys returns the keys of a stored package as match.Keys derives
// them now, for store.RekeyPackages.
func PackageKeys(p store.IndexedPackage) []store.Key {
	inv := &sbom.Inventory{Distro: p.DistroInfo()}
	return storeKeys(inv, &sbom.Package{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, Arch: p.Arch,
		SourceName: p.SourceName, SourceVersion: p.SourceVersion, PURL: p.PURL})
}

// storeKeys adapts match.Keys to the store's key type.
func storeKeys(inv *sbom.Inventory, p *sbom.Package) []store.Key {
	ks := match.Keys(inv, p)
	out := make([]store.Key, len(ks))
	for i, k := range ks {
		out[i] = store.Key{Ecosystem: k.Ecosystem, Name: k.Package}
	}
	return out
}

// Assess brings a stored image's assessment up to date with the current
// database: its packages never evaluated are matched (each distinct
// package once, whichever images hold it), then its counts are set from
// its packages' findings. The first assessment is the image's baseline;
// later changes come through the monitor as events.
func (s *Service) Assess(ctx context.Context, digest sbom.Digest) (store.Image, error) {
	// Images stored meanwhile have their postings indexed together, so
	// that this image's first assessment does not index its own alone.
	if _, err := s.cfg.Store.IndexPending(ctx, pendingBatch); err != nil {
		return store.Image{}, err
	}
	adv, err := s.advisories()
	if err != nil {
		return store.Image{}, err
	}
	ver, err := adv.Version(ctx)
	if err != nil {
		return store.Image{}, fmt.Errorf("images: %s: database version: %w", digest, err)
	}
	pkgs, err := s.cfg.Store.UnevaluatedPackages(ctx, digest)
	if err != nil {
		return store.Image{}, err
	}
	if len(pkgs) > 0 {
		fs, err := EvaluatePackages(ctx, adv, pkgs)
		if err != nil {
			return store.Image{}, fmt.Errorf("images: %s: %w", digest, err)
		}
		if _, err := s.cfg.Store.ApplyEvaluation(ctx, store.Evaluation{Version: ver, Findings: fs, Threshold: s.cfg.Threshold}); err != nil {
			return store.Image{}, err
		}
	}
	return s.cfg.Store.AssessImage(ctx, digest, ver)
}

// Findings matches a stored image's inventory against the current
// database, as `vigil scan` of the image would: every finding with the
// image's own details (locations, layers, base image).
func (s *Service) Findings(ctx context.Context, digest sbom.Digest) (*store.Assessment, error) {
	adv, err := s.advisories()
	if err != nil {
		return nil, err
	}
	inv, err := s.cfg.Store.Inventory(ctx, digest)
	if err != nil {
		return nil, err
	}
	ver, err := adv.Version(ctx)
	if err != nil {
		return nil, err
	}
	res, err := match.Match(ctx, inv, adv, match.Options{})
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", digest, err)
	}
	return &store.Assessment{Findings: res.Findings, Warnings: res.Warnings, DBVersion: ver, At: s.cfg.Now()}, nil
}

// Guard is the registry guard: netguard's, under the name the server's
// configuration uses.
type Guard = netguard.Guard
