// Package all holds the explicit list of feed updaters Vigil runs. It lives
// apart from package feed because every updater imports feed's contract;
// the list, importing them all, cannot sit beside it.
package all

import (
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/alpine"
	"github.com/vigilproject/vigil/internal/feed/debian"
	"github.com/vigilproject/vigil/internal/feed/epss"
	"github.com/vigilproject/vigil/internal/feed/kev"
	"github.com/vigilproject/vigil/internal/feed/osv"
)

// Default validates cfg and returns the updaters it describes, in a fixed
// order: one per OSV ecosystem, the Debian tracker, one per Alpine branch,
// KEV, EPSS. All share one feed.Client built from cfg.
func Default(cfg feed.Config) ([]feed.Updater, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	client := feed.NewClient(cfg)
	var out []feed.Updater
	for _, eco := range cfg.OSVEcosystems {
		u, err := osv.New(client, eco, osv.Options{
			BaseURL:        cfg.OSVBaseURL,
			DeltaThreshold: cfg.OSVDeltaThreshold,
			Concurrency:    cfg.OSVConcurrency,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if cfg.DebianTrackerURL != feed.Disabled {
		out = append(out, debian.New(client, cfg.DebianTrackerURL))
	}
	for _, b := range cfg.AlpineBranches {
		out = append(out, alpine.New(client, cfg.AlpineBaseURL, b))
	}
	if cfg.KEVURL != feed.Disabled {
		out = append(out, kev.New(client, cfg.KEVURL))
	}
	if cfg.EPSSURL != feed.Disabled {
		out = append(out, epss.New(client, cfg.EPSSURL))
	}
	return out, nil
}
