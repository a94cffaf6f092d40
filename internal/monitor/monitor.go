// Package monitor keeps stored images' assessments current as advisories
// change: it reads the vulnerability database's change log, follows the
// changed (ecosystem, package) keys through the reverse index to the
// distinct packages under them, matches each of those once, and records
// what changed for the images holding them as lifecycle events.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/match"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// Advisories is what the monitor needs of the vulnerability database;
// *vulndb.DB implements it.
type Advisories interface {
	match.Source
	Version(ctx context.Context) (int64, error)
	Changes(ctx context.Context, afterSeq int64, limit int) ([]vulndb.Change, error)
}

// Config configures a Monitor.
type Config struct {
	Store *store.Store
	// Advisories returns the current database (it may be replaced by an
	// update between runs).
	Advisories func() Advisories
	// Threshold decides image.went_bad and image.recovered.
	Threshold store.Threshold
	// Holder names this process in the monitor's lock.
	Holder string
	// Chunk is how many packages are matched and applied per transaction
	// (default 2000).
	Chunk int
	// AfterChunk, when set, is called after each chunk is applied (tests
	// kill the process there).
	AfterChunk func()
	Logger     *slog.Logger
}

// Monitor re-assesses stored images.
type Monitor struct {
	cfg Config
	log *slog.Logger
}

// New returns a monitor.
func New(cfg Config) (*Monitor, error) {
	if cfg.Store == nil || cfg.Advisories == nil {
		return nil, errors.New("monitor: a store and a database are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Holder == "" {
		cfg.Holder = "monitor"
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = 2000
	}
	return &Monitor{cfg: cfg, log: cfg.Logger}, nil
}

// Result says what one run did.
type Result struct {
	DBVersion int64
	Changes   int // change-log entries read
	Keys      int // distinct (ecosystem, package) keys they named
	Packages  int // distinct stored packages re-evaluated
	Events    []store.Event
	Took      time.Duration
}

const cursorKey = "monitor.change_seq"

// keysVersionKey holds the match.KeysVersion the stored packages' keys were
// derived with.
const keysVersionKey = "monitor.keys_version"

// ErrBusy: another process holds the monitor's lock.
var ErrBusy = errors.New("monitor: another replica is re-assessing")

// Reassess processes the change log since the last run. Only the keys it
// names are looked at; only packages under them are matched again. The
// cursor advances after the changes are applied, so a run killed midway
// is redone by the next one, which finds nothing left to change where the
// first got to: no event is recorded twice.
func (m *Monitor) Reassess(ctx context.Context) (*Result, error) {
	return m.run(ctx, false)
}

// ReassessAll matches every stored package again, whatever the change log
// says: the full re-assessment. It records the same events the delta path
// would for any difference it finds.
func (m *Monitor) ReassessAll(ctx context.Context) (*Result, error) {
	return m.run(ctx, true)
}

func (m *Monitor) run(ctx context.Context, all bool) (*Result, error) {
	start := time.Now()
	st := m.cfg.Store
	lock, err := st.TryLock(ctx, "monitor", m.cfg.Holder, time.Minute)
	if err != nil {
		return nil, err
	}
	if lock == nil {
		return nil, ErrBusy
	}
	defer lock.Release(context.WithoutCancel(ctx))
	adv := m.cfg.Advisories()
	if adv == nil {
		return nil, images.ErrNoAdvisories
	}
	ver, err := adv.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("monitor: database version: %w", err)
	}
	res := &Result{DBVersion: ver}
	// Packages stored by a release that derived keys otherwise (one that
	// did not match some distribution yet) get the keys this one asks,
	// and everything is re-assessed once: their findings may differ too.
	kv, err := st.Meta(ctx, keysVersionKey)
	if err != nil {
		return nil, err
	}
	wantKV := strconv.Itoa(match.KeysVersion)
	if kv != wantKV {
		n, err := st.RekeyPackages(ctx, images.PackageKeys)
		if err != nil {
			return nil, fmt.Errorf("monitor: deriving the packages' keys again: %w", err)
		}
		if n > 0 {
			m.log.Info("packages' keys derived again; re-assessing everything", "packages", n, "from", kv, "to", wantKV)
			all = true
		}
	}
	cur, err := st.Meta(ctx, cursorKey)
	if err != nil {
		return nil, err
	}
	after, _ := strconv.ParseInt(cur, 10, 64)

	var pkgs []store.IndexedPackage
	last := after
	if all {
		pkgs, err = st.AllPackages(ctx)
		if err != nil {
			return nil, err
		}
		// Everything is re-evaluated: the change log up to now is done.
		for {
			cs, err := adv.Changes(ctx, last, 10000)
			if err != nil {
				return nil, fmt.Errorf("monitor: change log: %w", err)
			}
			if len(cs) == 0 {
				break
			}
			res.Changes += len(cs)
			last = cs[len(cs)-1].Seq
		}
	} else {
		keys := map[store.Key]bool{}
		for {
			cs, err := adv.Changes(ctx, last, 10000)
			if err != nil {
				return nil, fmt.Errorf("monitor: change log: %w", err)
			}
			if len(cs) == 0 {
				break
			}
			for _, c := range cs {
				for _, k := range c.Keys {
					keys[store.Key{Ecosystem: k.Ecosystem, Name: k.Package}] = true
				}
			}
			res.Changes += len(cs)
			last = cs[len(cs)-1].Seq
		}
		res.Keys = len(keys)
		if len(keys) > 0 {
			ks := make([]store.Key, 0, len(keys))
			for k := range keys {
				ks = append(ks, k)
			}
			pkgs, err = st.PackagesByKey(ctx, ks...)
			if err != nil {
				return nil, err
			}
		}
	}
	// Packages never evaluated belong to images not yet assessed: their
	// assessment evaluates them.
	evaluated := pkgs[:0]
	for _, p := range pkgs {
		if p.Evaluated > 0 {
			evaluated = append(evaluated, p)
		}
	}
	pkgs = evaluated
	res.Packages = len(pkgs)
	for startIdx := 0; startIdx < len(pkgs); startIdx += m.cfg.Chunk {
		chunk := pkgs[startIdx:min(startIdx+m.cfg.Chunk, len(pkgs))]
		fs, err := images.EvaluatePackages(ctx, adv, chunk)
		if err != nil {
			return nil, fmt.Errorf("monitor: %w", err)
		}
		evs, err := st.ApplyEvaluation(ctx, store.Evaluation{Version: ver, Findings: fs, Threshold: m.cfg.Threshold})
		if err != nil {
			return nil, err
		}
		res.Events = append(res.Events, evs...)
		if m.cfg.AfterChunk != nil {
			m.cfg.AfterChunk()
		}
		if err := lock.Held(ctx); err != nil {
			return nil, err
		}
	}
	if last != after || all {
		if err := st.MarkAssessed(ctx, ver); err != nil {
			return nil, err
		}
	}
	if last != after {
		if err := st.SetMeta(ctx, cursorKey, strconv.FormatInt(last, 10)); err != nil {
			return nil, err
		}
	}
	if kv != wantKV {
		if err := st.SetMeta(ctx, keysVersionKey, wantKV); err != nil {
			return nil, err
		}
	}
	res.Took = time.Since(start)
	m.log.Info("re-assessed", "dbVersion", ver, "changes", res.Changes, "keys", res.Keys, "packages", res.Packages,
		"events", len(res.Events), "took", res.Took.Round(time.Millisecond), "full", all)
	return res, nil
}
