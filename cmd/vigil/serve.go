package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/config"
	dockertypes "github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/server"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// serveOptions are vigil serve's flags.
type serveOptions struct {
	listen          string
	store           storeFlags
	vulnDB          string
	dev             bool
	allow           []string
	insecure        bool
	workers         int
	tagInterval     time.Duration
	maxSBOMSize     int64
	maxPackages     int
	registryConfig  string
	shutdownTimeout time.Duration
	cacheUnusedFor  time.Duration
	updateInterval  time.Duration
	feeds           feed.Config
	webhookHosts    []string
}

func newServeCmd(g *globals) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the inventory server: stored images, impact queries, an HTTP API",
		Long: `Run the inventory server: an HTTP JSON API (described at /openapi.json) in front of
a store of images, their inventories and findings. Images are registered by
reference (pulled and catalogued by background workers, their tags followed) or by
uploading an SBOM; the vulnerability database of 'vigil db' assesses them.

The store (--db) is an SQLite file for one server, or PostgreSQL for any number of
replicas sharing the work. Every request needs an API token ('vigil token create'),
except with --dev, which lets requests from loopback in without one and requires a
loopback --listen address.

The workers update the vulnerability database from its feeds every
--update-interval (one replica at a time; --mirror or $VIGIL_FEEDS_MIRROR), and
re-assess the stored images its changes concern, recording what changed as events
(GET /v1/events). An update can also be asked for (POST /v1/db/update, or 'vigil db
update' on the server's host, which the server follows within seconds).
'vigil db import' must not run while the server has the database open: stop the
server, import, start it. (A database file replaced by other means is reopened
within seconds.) Until a database exists, images are stored but not assessed.

The workers also deliver the events to webhook subscriptions ('vigil subscriptions
add'), signed CloudEvents or Slack messages, at least once, with retries; only to
public hosts, or to those of --allow-webhook-hosts (loopback and private addresses
only when listed there without a wildcard). Delivered deliveries are kept 7 days.

Registry credentials come from --registry-config or the Docker config; they are
never logged nor returned. The layer cache is kept in --cache-dir, shared with
'vigil sbom' and 'vigil scan', and in the store, shared by the replicas; entries
unused for --cache-unused-for (default 30 days) are pruned every hour. SIGINT or SIGTERM stop the server gracefully: no new
requests, requests in flight finished (up to --shutdown-timeout), workers stopped.`,
		Example: `  vigil token create --name admin --scope admin
  vigil serve --listen 0.0.0.0:8080 --allow-registries 'registry.example.com,*.ecr.example'
  vigil serve --db postgres://vigil@db.internal/vigil --workers 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.registryConfig == "" {
				o.registryConfig = os.Getenv("VIGIL_REGISTRY_CONFIG")
			}
			if len(o.allow) == 0 && os.Getenv("VIGIL_ALLOW_REGISTRIES") != "" {
				o.allow = strings.Split(os.Getenv("VIGIL_ALLOW_REGISTRIES"), ",")
			}
			if len(o.webhookHosts) == 0 && os.Getenv("VIGIL_ALLOW_WEBHOOK_HOSTS") != "" {
				o.webhookHosts = strings.Split(os.Getenv("VIGIL_ALLOW_WEBHOOK_HOSTS"), ",")
			}
			return runServe(cmd.Context(), g, o)
		},
	}
	o.store.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve the API on")
	fl.StringVar(&o.vulnDB, "vuln-db", "", "vulnerability database file (default <cache-dir>/db/vigil.db, env VIGIL_DB_PATH)")
	fl.BoolVar(&o.dev, "dev", false, "development: requests from loopback need no token (refused unless --listen is a loopback address)")
	fl.StringSliceVar(&o.allow, "allow-registries", nil, "registries images may be pulled from: host[:port] or *.domain, comma-separated (env VIGIL_ALLOW_REGISTRIES; default any public registry)")
	fl.BoolVar(&o.insecure, "insecure-registries", false, "allow plain HTTP and unverified TLS for the registries pulled from")
	fl.IntVar(&o.workers, "workers", 2, "background workers pulling, cataloguing and assessing images (0: serve the API only)")
	fl.DurationVar(&o.tagInterval, "tag-interval", 15*time.Minute, "how often followed tags are checked for a new digest (negative: never)")
	fl.Int64Var(&o.maxSBOMSize, "max-sbom-size", server.DefaultMaxBody, "largest SBOM upload accepted, in bytes")
	fl.IntVar(&o.maxPackages, "max-sbom-packages", server.DefaultMaxPackages, "most components an uploaded SBOM may list")
	fl.StringVar(&o.registryConfig, "registry-config", "", "Docker config.json with registry credentials (env VIGIL_REGISTRY_CONFIG; default ~/.docker/config.json, $DOCKER_CONFIG)")
	fl.DurationVar(&o.updateInterval, "update-interval", time.Hour, "how often the workers update the vulnerability database from its feeds, one replica at a time (0: never; updates made by 'vigil db update' are still followed)")
	fl.StringSliceVar(&o.webhookHosts, "allow-webhook-hosts", nil, "hosts webhook subscriptions may deliver to: host[:port] or *.domain, comma-separated (env VIGIL_ALLOW_WEBHOOK_HOSTS; default any public host; loopback and private addresses only when listed without a wildcard)")
	fl.StringVar(&o.feeds.Mirror, "mirror", "", "read every feed from this mirror: http(s)://… or file:///dir (env VIGIL_FEEDS_MIRROR)")
	fl.StringSliceVar(&o.feeds.OSVEcosystems, "osv-ecosystems", nil, "OSV ecosystems the updates import (default: every ecosystem Vigil catalogs)")
	fl.StringSliceVar(&o.feeds.AlpineBranches, "alpine-branches", nil, "Alpine secdb branches the updates import (default: the supported ones and edge)")
	fl.DurationVar(&o.cacheUnusedFor, "cache-unused-for", defaultCacheUnusedFor, "prune layer cache entries (in --cache-dir and in the store) unused for this long, every hour (0: never)")
	fl.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a stop waits for requests in flight")
	return cmd
}

func (o *serveOptions) validate() error {
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port: %w", o.listen, err)
	}
	if o.dev && !loopbackHost(host) {
		return fmt.Errorf("--dev lets requests in without a token: --listen must be a loopback address, not %q", o.listen)
	}
	if o.workers < 0 {
		return fmt.Errorf("--workers %d: want 0 or more", o.workers)
	}
	if o.maxSBOMSize <= 0 || o.maxPackages <= 0 {
		return errors.New("--max-sbom-size and --max-sbom-packages must be positive")
	}
	if o.updateInterval < 0 {
		return fmt.Errorf("--update-interval %s: want 0 (never) or a positive duration", o.updateInterval)
	}
	if o.shutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %s: want a positive duration", o.shutdownTimeout)
	}
	for i, a := range o.allow {
		o.allow[i] = strings.TrimSpace(a)
		if o.allow[i] == "" {
			return errors.New("--allow-registries: empty entry")
		}
	}
	for i, a := range o.webhookHosts {
		o.webhookHosts[i] = strings.TrimSpace(a)
		if o.webhookHosts[i] == "" {
			return errors.New("--allow-webhook-hosts: empty entry")
		}
	}
	return nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverLogger logs at Info (Warn with --quiet, Debug with --debug) to
// stderr: a server's log is its only voice.
func serverLogger(g *globals) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case g.debug:
		level = slog.LevelDebug
	case g.quiet:
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, g *globals, o *serveOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	log := serverLogger(g)
	st, err := openStore(ctx, g, &o.store)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.dev {
		log.Warn("development mode: requests from loopback need no token")
	} else if err := tokenHint(ctx, g, st, &o.store); err != nil {
		return err
	}

	vpath := (&dbFlags{path: o.vulnDB}).resolve(g)
	adv := newAdvisorySource(vpath, log)
	defer adv.close()
	if adv.get() == nil {
		log.Warn("no vulnerability database yet: images are stored but not assessed until one appears", "path", vpath, "create", "vigil db update")
	}

	iopt := image.Options{Insecure: o.insecure}
	if o.registryConfig != "" {
		kc, err := newFileKeychain(o.registryConfig)
		if err != nil {
			return err
		}
		iopt.Keychain = kc
	}
	// Layer walks are kept in --cache-dir, the nearer, and in the store,
	// which every replica shares.
	var cache *catalog.Cache
	if !g.noCache {
		shared := images.NewLayerCache(st, log)
		if local, err := catalog.OpenCacheDir(g.cacheDir); err != nil {
			log.Warn("local layer cache unavailable", "dir", g.cacheDir, "err", err)
			cache = catalog.NewCache(shared)
		} else {
			cache = catalog.NewCache(local, shared)
		}
	}
	host, _ := os.Hostname()
	worker := fmt.Sprintf("%s:%d", host, os.Getpid())
	svc, err := images.New(images.Config{
		Worker:      worker,
		Store:       st,
		Advisories:  adv.get,
		Catalogers:  all.Catalogers(),
		Cache:       cache,
		Image:       iopt,
		Registries:  &images.Guard{Allow: o.allow},
		MaxPackages: o.maxPackages,
		TagInterval: o.tagInterval,
		Logger:      log,
	})
	if err != nil {
		return err
	}
	mon, err := monitor.New(monitor.Config{Store: st, Advisories: adv.monitor, Holder: worker, Logger: log})
	if err != nil {
		return err
	}
	hooks := &netguard.Guard{Allow: o.webhookHosts}
	notifier, err := notify.New(notify.Config{Store: st, Guard: hooks, ServerName: host, Name: worker, Logger: log})
	if err != nil {
		return err
	}
	// Replicas on PostgreSQL share the vulnerability database through the
	// store; one SQLite server has nobody to share with.
	var exch *dbExchange
	if st.Dialect() == "postgres" {
		exch = &dbExchange{st: st, adv: adv, log: log}
	}
	interval := o.updateInterval
	if interval == 0 {
		interval = -1 // the scheduler's never
	}
	sched := &monitor.Scheduler{
		Store:   st,
		Monitor: mon,
		Update: func(ctx context.Context) error {
			if exch != nil {
				// Update the newest database the replicas share, not an
				// older copy of this replica's.
				if err := exch.follow(ctx); err != nil {
					return err
				}
			}
			rep, err := updateVulnDB(ctx, adv.filePath(), o.feeds, log, feed.RunOptions{})
			for _, s := range rep.Failed() {
				log.Warn("feed source failed", "source", s.Source, "err", s.Err)
			}
			if exch != nil {
				if perr := exch.publish(ctx); perr != nil {
					log.Warn("publishing the vulnerability database failed", "err", perr)
				}
			}
			return err
		},
		Interval: interval,
		Holder:   worker,
		OnEvents: func(evs []store.Event) {
			log.Info("events recorded", "count", len(evs))
			notifier.Wake()
		},
		Logger: log,
	}
	var update func(context.Context) error
	var reassess server.ReassessFunc
	if o.workers > 0 {
		// Only a replica running the scheduler can serve a request for an
		// update.
		update = sched.Trigger
		reassess = func(ctx context.Context, all bool) (*monitor.Result, error) {
			run := mon.Reassess
			if all {
				run = mon.ReassessAll
			}
			res, err := run(ctx)
			if err == nil && len(res.Events) > 0 {
				sched.OnEvents(res.Events)
			}
			return res, err
		}
	}
	api, err := server.New(server.Config{
		Update:       update,
		Reassess:     reassess,
		WebhookGuard: hooks,
		Wake:         notifier.Wake,
		Service:      svc,
		Store:        st,
		Logger:       log,
		Dev:          o.dev,
		MaxBody:      o.maxSBOMSize,
		MaxPackages:  o.maxPackages,
		Advisories:   adv.get,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		// Large SBOM uploads on slow links need time; a request whose
		// body takes longer to arrive is dropped.
		ReadTimeout: 10 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(api.StopStreams)
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	if o.workers > 0 {
		wg.Go(func() { svc.Run(workCtx, o.workers, time.Second) })
		wg.Go(func() { sched.Run(workCtx) })
		wg.Go(func() { notifier.Run(workCtx) })
		wg.Go(func() { prune(workCtx, st, cache, o.cacheUnusedFor, log) })
	}
	if exch != nil {
		// Every replica, workers or not, answers from the shared database.
		wg.Go(func() { exch.run(workCtx) })
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "store", st.Dialect(), "workers", o.workers)
	if !g.quiet {
		fmt.Fprintf(g.stderr, "vigil serve: listening on http://%s\n", ln.Addr())
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	log.Info("stopping")
	stopWork()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight were cut", "err", err)
	}
	wg.Wait()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", serveErr)
	}
	return nil
}

// Delivered deliveries are kept deliveryRetention for GET /v1/deliveries,
// then pruned every pruneEvery; pending and dead ones are kept until
// delivered, redriven or their subscription deleted.
const (
	deliveryRetention = 7 * 24 * time.Hour
	pruneEvery        = time.Hour
)

// prune deletes, every pruneEvery until ctx is done, old delivered
// deliveries and the layer cache's entries unused for cacheUnusedFor (in
// --cache-dir and in the store; cache nil or cacheUnusedFor 0: none).
// Replicas may prune at once: the deletes are idempotent.
func prune(ctx context.Context, st *store.Store, cache *catalog.Cache, cacheUnusedFor time.Duration, log *slog.Logger) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		n, err := st.PruneDeliveries(ctx, time.Now().Add(-deliveryRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("pruning delivered webhook deliveries failed", "err", err)
		case n > 0:
			log.Info("pruned delivered webhook deliveries", "count", n)
		}
		if cache != nil && cacheUnusedFor > 0 {
			n, err := cache.Prune(ctx, time.Now().Add(-cacheUnusedFor))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("pruning the layer cache failed", "err", err)
			case n > 0:
				log.Info("pruned unused layer cache entries", "count", n, "unused_for", cacheUnusedFor)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tokenHint says how to make the first token when none can be used.
func tokenHint(ctx context.Context, g *globals, st *store.Store, f *storeFlags) error {
	ts, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, t := range ts {
		if !t.Revoked && (t.Expires.IsZero() || now.Before(t.Expires)) {
			return nil
		}
	}
	db := ""
	if f.dsn != "" {
		db = " --db '" + strings.ReplaceAll(redactDSN(f.dsn), "'", `'\''`) + "'"
	}
	fmt.Fprintf(g.stderr, "vigil serve: no valid API token exists, so every request will be refused until one does:\n"+
		"  vigil token create%s --name admin --scope admin\n"+
		"(or use --dev on a loopback address for development)\n", db)
	return nil
}

// redactDSN hides a password in a PostgreSQL URL.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			userinfo := rest[:at]
			if u, _, ok := strings.Cut(userinfo, ":"); ok {
				return dsn[:i+3] + u + ":xxxxx" + rest[at:]
			}
		}
	}
	return dsn
}

// advisoryCheckEvery is how often the vulnerability database file is
// checked for replacement.
const advisoryCheckEvery = 5 * time.Second

// advisorySource hands the images service the vulnerability database,
// opening it once it exists and reopening it when its file is replaced
// (renamed over: the open handle would go on reading the old one).
// Updates in place ('vigil db update') need nothing: SQLite readers see
// each committed update, and vulndb's lookup cache follows them.
type advisorySource struct {
	path  string
	base  string // the configured path, once path moved to an installed copy
	log   *slog.Logger
	every time.Duration // how often the file is checked

	mu      sync.Mutex
	db      *vulndb.DB
	fi      os.FileInfo
	checked time.Time
	retired []*vulndb.DB
}

func newAdvisorySource(path string, log *slog.Logger) *advisorySource {
	return &advisorySource{path: path, log: log, every: advisoryCheckEvery}
}

// get returns the current database, nil when there is none.
func (a *advisorySource) get() images.Advisories {
	if db := a.current(); db != nil {
		return db
	}
	return nil // an untyped nil: the service tests for it
}

// monitor is get for the monitor.
func (a *advisorySource) monitor() monitor.Advisories {
	if db := a.current(); db != nil {
		return db
	}
	return nil // an untyped nil: the monitor tests for it
}

func (a *advisorySource) current() *vulndb.DB {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.checked.IsZero() || time.Since(a.checked) >= a.every {
		a.checked = time.Now()
		a.refresh()
	}
	return a.db
}

func (a *advisorySource) refresh() {
	fi, err := os.Stat(a.path)
	if err != nil {
		// Missing for now (mid-replacement, or never created): keep what
		// is open.
		return
	}
	if a.db != nil && os.SameFile(fi, a.fi) {
		return
	}
	db, err := vulndb.Open(context.Background(), a.path, vulndb.Options{ReadOnly: true})
	if err != nil {
		a.log.Warn("vulnerability database unusable", "path", a.path, "err", err)
		return
	}
	if a.db != nil {
		a.log.Info("vulnerability database replaced: reopened", "path", a.path)
		// Assessments may still be reading the old one; it is closed
		// with the server.
		a.retired = append(a.retired, a.db)
	}
	a.db, a.fi = db, fi
}

func (a *advisorySource) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, db := range append(a.retired, a.db) {
		if db != nil {
			db.Close()
		}
	}
	a.db, a.retired = nil, nil
}

// fileKeychain reads registry credentials from one Docker config file,
// again at each lookup so rotated credentials are picked up.
type fileKeychain struct{ path string }

func newFileKeychain(path string) (*fileKeychain, error) {
	k := &fileKeychain{path: path}
	if _, err := k.load(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *fileKeychain) load() (interface {
	GetAuthConfig(string) (dockertypes.AuthConfig, error)
}, error) {
	f, err := os.Open(k.path)
	if err != nil {
		return nil, fmt.Errorf("--registry-config: %w", err)
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("--registry-config %s: %w", k.path, err)
	}
	return cf, nil
}

// Resolve implements authn.Keychain as go-containerregistry's default
// keychain does, on this file: the repository's entry, else the
// registry's, else anonymous.
func (k *fileKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	cf, err := k.load()
	if err != nil {
		return nil, err
	}
	var empty dockertypes.AuthConfig
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		cfg, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, err
		}
		cfg.ServerAddress = ""
		if cfg != empty {
			return authn.FromConfig(authn.AuthConfig{Username: cfg.Username, Password: cfg.Password, Auth: cfg.Auth,
				IdentityToken: cfg.IdentityToken, RegistryToken: cfg.RegistryToken}), nil
		}
	}
	return authn.Anonymous, nil
}
