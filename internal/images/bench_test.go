package images_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// fleet generates a realistic population of images: a few base images in
// several releases each (most images share one), application packages
// drawn with a Zipf law from per-ecosystem pools (a few are everywhere,
// most are rare), ~400 packages an image. It is deterministic.
type fleet struct {
	bases [][]sbom.Package // base image releases
	pools map[sbom.Ecosystem][]string
	rng   *rand.Rand
	// advisories over the generated packages
	advs []advisory.Advisory
}

var appEcos = []sbom.Ecosystem{sbom.NPM, sbom.PyPI, sbom.Golang, sbom.Maven}

func newFleet() *fleet {
	f := &fleet{rng: rand.New(rand.NewPCG(1, 2)), pools: map[sbom.Ecosystem][]string{}}
	// 400 Debian source packages; three base families of 90, 160 and 250
	// binaries, each in 6 releases where about a tenth of the versions move.
	for _, size := range []int{90, 160, 250} {
		vers := make([]int, size)
		for rel := range 6 {
			var pkgs []sbom.Package
			for i := range size {
				if rel > 0 && f.rng.IntN(10) == 0 {
					vers[i]++
				}
				src := fmt.Sprintf("src%03d", i%400)
				v := fmt.Sprintf("1.%d-%d+deb12u%d", i%7, 1+i%3, vers[i])
				name := fmt.Sprintf("lib%s-%d", src, i/400)
				pkgs = append(pkgs, sbom.Package{
					Ecosystem: sbom.Deb, Name: name, Version: v, SourceName: src, SourceVersion: v, Arch: "amd64",
					PURL: fmt.Sprintf("pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12", name, v), FoundBy: "dpkg",
					Locations: []string{"/var/lib/dpkg/status"}, InBase: true,
				})
			}
			f.bases = append(f.bases, pkgs)
		}
	}
	for _, e := range appEcos {
		n := map[sbom.Ecosystem]int{sbom.NPM: 4000, sbom.PyPI: 1500, sbom.Golang: 1200, sbom.Maven: 1500}[e]
		for i := range n {
			f.pools[e] = append(f.pools[e], fmt.Sprintf("%s-pkg-%04d", e, i))
		}
	}
	// Advisories: a third of the Debian sources, fixed in the next
	// update of their version; and the popular application packages.
	for i := 0; i < 400; i += 3 {
		src := fmt.Sprintf("src%03d", i)
		f.advs = append(f.advs, advisory.Advisory{
			ID: fmt.Sprintf("CVE-2026-%05d", i), Source: "debian",
			Severity: []advisory.Score{{Type: "distro", Vector: []string{"low", "medium", "high"}[i%3], Source: "debian"}},
			Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: src, Status: advisory.StatusAffected,
				Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fmt.Sprintf("1.%d-%d+deb12u%d", i%7, 1+i%3, 2)}}}}}},
		})
	}
	osvEco := map[sbom.Ecosystem]string{sbom.NPM: "npm", sbom.PyPI: "PyPI", sbom.Golang: "Go", sbom.Maven: "Maven"}
	for _, e := range appEcos {
		for i := 0; i < 300; i += 2 {
			f.advs = append(f.advs, advisory.Advisory{
				ID: fmt.Sprintf("GHSA-%s-%04d", e, i), Source: "osv/" + osvEco[e],
				Severity: []advisory.Score{{Type: "CVSS_V3", Base: float64(4 + i%6), Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
				Affected: []advisory.Affected{{Ecosystem: osvEco[e], Package: appName(e, f.pools[e][i]),
					Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.5.0"}}}}}},
			})
		}
	}
	return f
}

func appName(e sbom.Ecosystem, n string) string {
	if e == sbom.Maven {
		return "org.example:" + n
	}
	return n
}

// zipf picks an index in [0, n) with probability falling as 1/(i+1).
func (f *fleet) zipf(n int) int {
	for {
		i := int(float64(n) * f.rng.Float64() * f.rng.Float64() * f.rng.Float64())
		if i < n {
			return i
		}
	}
}

// image returns the i-th image's inventory.
func (f *fleet) image(i int) *sbom.Inventory {
	base := f.bases[f.zipf(len(f.bases))]
	inv := &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Source:        sbom.Source{Kind: "registry", Reference: fmt.Sprintf("registry.example/team%d/svc%d:%d", i%50, i%700, i), ManifestDigest: sbom.Digest(fmt.Sprintf("sha256:%064x", i+1))},
		Distro:        &sbom.Distro{ID: "debian", VersionID: "12", Codename: "bookworm"},
		BaseImage:     sbom.BaseImage{Source: sbom.BaseFromAnnotation, Name: fmt.Sprintf("debian:12-variant%d", len(base)), Layers: 1},
		Layers:        []sbom.Layer{{Index: 0, DiffID: "sha256:base", Base: true}, {Index: 1, DiffID: sbom.Digest(fmt.Sprintf("sha256:app%d", i))}},
		Packages:      slices.Clone(base),
	}
	e := appEcos[f.zipf(len(appEcos))]
	pool := f.pools[e]
	want := 400 - len(base) + f.rng.IntN(60) - 30
	seen := map[int]bool{}
	for len(seen) < want {
		k := f.zipf(len(pool))
		if seen[k] {
			continue
		}
		seen[k] = true
		v := fmt.Sprintf("1.%d.%d", f.zipf(10), f.rng.IntN(3))
		name := appName(e, pool[k])
		inv.Packages = append(inv.Packages, sbom.Package{
			Ecosystem: e, Name: name, Version: v, PURL: fmt.Sprintf("pkg:%s/%s@%s", e, name, v),
			Locations: []string{"/app/lock"}, FoundBy: string(e), Layer: sbom.LayerRef{Index: 1, DiffID: inv.Layers[1].DiffID},
		})
	}
	return inv
}

// benchFleet is a store holding n generated images and the service over
// it, built once per backend and process.
type benchFleet struct {
	svc    *images.Service
	adv    *vulndb.DB
	st     *store.Store
	fleet  *fleet
	ingest time.Duration // wall time of ingesting all images
	// ingestCPU is this process's CPU time for it (PostgreSQL's own
	// is not included).
	ingestCPU time.Duration
	assess    time.Duration // wall time of assessing them all
	n         int
	bytes     int64 // database size after ingest (SQLite: file; PostgreSQL: relations)
}

var (
	fleetsMu sync.Mutex
	fleets   = map[string]*benchFleet{}
)

func fleetSize() int {
	if s := os.Getenv("VIGIL_BENCH_IMAGES"); s != "" {
		var n int
		fmt.Sscan(s, &n)
		return n
	}
	return 10_000
}

func advisoryDBOf(b *testing.B, f *fleet) *vulndb.DB {
	db, err := vulndb.Open(context.Background(), filepath.Join(b.TempDir(), "vuln.db"), vulndb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	bySource := map[string][]advisory.Advisory{}
	for _, a := range f.advs {
		bySource[a.Source] = append(bySource[a.Source], a)
	}
	for src, advs := range bySource {
		seq := func(yield func(advisory.Advisory, error) bool) {
			for _, a := range advs {
				if !yield(a, nil) {
					return
				}
			}
		}
		if _, err := db.Apply(context.Background(), feed.Batch{Source: src, Full: true, Advisories: seq}, feed.SourceState{Source: src}); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// setup ingests the fleet through AddSBOM (Vigil JSON documents, as an
// upload would bring them) with 16 concurrent uploaders, timing it.
func setup(b *testing.B, backend storetest.Backend) *benchFleet {
	fleetsMu.Lock()
	defer fleetsMu.Unlock()
	if bf := fleets[backend.Name]; bf != nil {
		return bf
	}
	n := fleetSize()
	f := newFleet()
	docs := make([][]byte, n)
	for i := range n {
		docs[i], _ = json.Marshal(f.image(i))
	}
	adv := advisoryDBOf(b, f)
	dsn := backend.DSN(b)
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return adv }})
	if err != nil {
		b.Fatal(err)
	}
	took, cpu := upload(b, svc, docs)
	bf := &benchFleet{svc: svc, adv: adv, st: st, fleet: f, ingest: took, ingestCPU: cpu, n: n}
	bf.bytes, _ = st.Size(context.Background())
	// Assess every image, as the workers would.
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := svc.Assess(context.Background(), sbom.Digest(fmt.Sprintf("sha256:%064x", i+1))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	bf.assess = time.Since(start)
	fleets[backend.Name] = bf
	return bf
}

// upload registers the documents as SBOM uploads, from 16 concurrent
// uploaders, and returns the wall and CPU time it took.
func upload(b *testing.B, svc *images.Service, docs [][]byte) (wall, cpu time.Duration) {
	start, cpu0 := time.Now(), cpuTime()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(docs) {
					return
				}
				if _, err := svc.AddSBOM(context.Background(), images.SBOMUpload{Body: bytes.NewReader(docs[i])}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), cpuTime() - cpu0
}

func percentiles(ds []time.Duration) (p50, p99, worst time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100], ds[len(ds)-1]
}

func backend(b *testing.B, name string) storetest.Backend {
	for _, be := range storetest.Backends() {
		if be.Name == name {
			return be
		}
	}
	b.Skipf("backend %s not configured (%s)", name, storetest.PostgresEnv)
	return storetest.Backend{}
}

// BenchmarkFleet reports, per backend, the ingest rate of the generated
// fleet, the storage per image, and the latency percentiles of impact
// queries and image-list pages over it.
//
//	go test ./internal/images -run '^$' -bench Fleet -benchtime 1x -timeout 30m
func BenchmarkFleet(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := backend(b, name)
			setup(b, be) // once, outliving the sub-benchmarks
			b.Run("Ingest", func(b *testing.B) {
				bf := setup(b, be)
				for range b.N {
				}
				b.ReportMetric(float64(bf.n)/bf.ingest.Seconds(), "images/s")
				b.ReportMetric(float64(bf.ingestCPU.Microseconds())/1000/float64(bf.n), "cpu-ms/image")
				b.ReportMetric(float64(bf.bytes)/float64(bf.n), "bytes/image")
				b.ReportMetric(float64(bf.n)/bf.assess.Seconds(), "assessed/s")
				b.ReportMetric(0, "ns/op")
			})
			b.Run("Impact", func(b *testing.B) {
				bf := setup(b, be)
				ids := make([]string, 0, len(bf.fleet.advs))
				for _, a := range bf.fleet.advs {
					ids = append(ids, a.ID)
				}
				ctx := context.Background()
				var lat []time.Duration
				var hits, maxHits int
				cpu0 := cpuTime()
				b.ResetTimer()
				for i := range b.N {
					for _, id := range ids {
						t0 := time.Now()
						imp, err := bf.svc.ImpactPage(ctx, id, images.ImpactOptions{Limit: 100})
						lat = append(lat, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						if i == 0 {
							hits += imp.Total
							maxHits = max(maxHits, imp.Total)
						}
					}
				}
				cpu := cpuTime() - cpu0
				p50, p99, worst := percentiles(lat)
				b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/query")
				b.ReportMetric(float64(hits)/float64(len(ids)), "images/query")
				b.ReportMetric(float64(maxHits), "max-images")
			})
			reassess50 := func(b *testing.B, popular bool) {
				bf := setup(b, be)
				ctx := context.Background()
				mon, err := monitor.New(monitor.Config{Store: bf.st, Advisories: func() monitor.Advisories { return bf.adv }})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := mon.Reassess(ctx); err != nil { // the cursor starts now
					b.Fatal(err)
				}
				var events, pkgs int
				var took, cpu time.Duration
				for i := range b.N {
					// 50 new advisories, on packages of every popularity.
					var advs []advisory.Advisory
					for k := range 50 {
						e := appEcos[k%len(appEcos)]
						// Popular: among the 400 most used names of the pool
						// (the worst case: thousands of images each).
						// Typical: any name of the pool, as most days' CVEs.
						n := (k*37 + i*11) % 400
						if !popular {
							n = (k*7919 + i*104729) % len(bf.fleet.pools[e])
						}
						osvEco := map[sbom.Ecosystem]string{sbom.NPM: "npm", sbom.PyPI: "PyPI", sbom.Golang: "Go", sbom.Maven: "Maven"}[e]
						advs = append(advs, advisory.Advisory{ID: fmt.Sprintf("GHSA-new-%v-%d-%d", popular, i, k), Source: "osv/new",
							Severity: []advisory.Score{{Type: "CVSS_V3", Base: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
							Affected: []advisory.Affected{{Ecosystem: osvEco, Package: appName(e, bf.fleet.pools[e][n]),
								Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.3.0"}}}}}}})
					}
					b.StopTimer()
					seq := func(yield func(advisory.Advisory, error) bool) {
						for _, a := range advs {
							if !yield(a, nil) {
								return
							}
						}
					}
					if _, err := bf.adv.Apply(ctx, feed.Batch{Source: "osv/new", Advisories: seq}, feed.SourceState{Source: "osv/new"}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					t0, c0 := time.Now(), cpuTime()
					res, err := mon.Reassess(ctx)
					if err != nil {
						b.Fatal(err)
					}
					took += time.Since(t0)
					cpu += cpuTime() - c0
					events += len(res.Events)
					pkgs += res.Packages
				}
				b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/update")
				b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/update")
				b.ReportMetric(float64(events)/float64(b.N), "events/update")
				b.ReportMetric(float64(pkgs)/float64(b.N), "packages/update")
				b.ReportMetric(0, "ns/op")
			}
			b.Run("Reassess50", func(b *testing.B) { reassess50(b, true) })
			b.Run("Reassess50Typical", func(b *testing.B) { reassess50(b, false) })
			b.Run("UpdateToWebhook", func(b *testing.B) {
				// The end of a feed update (50 new advisories applied) to
				// the arrival at a real receiver of the first webhook and
				// of the last, through the scheduler's path: re-assess,
				// record events and deliveries, wake the notifier.
				bf := setup(b, be)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				mon, err := monitor.New(monitor.Config{Store: bf.st, Advisories: func() monitor.Advisories { return bf.adv }})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := mon.Reassess(ctx); err != nil {
					b.Fatal(err)
				}
				var mu sync.Mutex
				var arrivals []time.Time
				recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					mu.Lock()
					arrivals = append(arrivals, time.Now())
					mu.Unlock()
				}))
				defer recv.Close()
				filter := store.Filter{EventTypes: []string{store.EventFindingNew, store.EventImageWentBad}, MinSeverity: advisory.SeverityCritical}
				sub, err := bf.st.CreateSubscription(ctx, store.NewSubscription{URL: recv.URL, Secret: "s3cret", Filter: filter})
				if err != nil {
					b.Fatal(err)
				}
				defer bf.st.DeleteSubscription(context.Background(), sub.ID)
				u, _ := url.Parse(recv.URL)
				w, err := notify.New(notify.Config{Store: bf.st, Guard: &netguard.Guard{Allow: []string{u.Host}}, Workers: 16})
				if err != nil {
					b.Fatal(err)
				}
				go w.Run(ctx)
				var first, last time.Duration
				var delivered int
				for i := range b.N {
					var advs []advisory.Advisory
					for k := range 50 {
						e := appEcos[k%len(appEcos)]
						n := (k*7919 + i*104729 + 17) % len(bf.fleet.pools[e])
						osvEco := map[sbom.Ecosystem]string{sbom.NPM: "npm", sbom.PyPI: "PyPI", sbom.Golang: "Go", sbom.Maven: "Maven"}[e]
						advs = append(advs, advisory.Advisory{ID: fmt.Sprintf("GHSA-hook-%d-%d", i, k), Source: "osv/hook",
							Severity: []advisory.Score{{Type: "CVSS_V3", Base: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
							Affected: []advisory.Affected{{Ecosystem: osvEco, Package: appName(e, bf.fleet.pools[e][n]),
								Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.3.0"}}}}}}})
					}
					seq := func(yield func(advisory.Advisory, error) bool) {
						for _, a := range advs {
							if !yield(a, nil) {
								return
							}
						}
					}
					mu.Lock()
					arrivals = arrivals[:0]
					mu.Unlock()
					if _, err := bf.adv.Apply(ctx, feed.Batch{Source: "osv/hook", Advisories: seq}, feed.SourceState{Source: "osv/hook"}); err != nil {
						b.Fatal(err)
					}
					t0 := time.Now() // the update has ended
					res, err := mon.Reassess(ctx)
					if err != nil {
						b.Fatal(err)
					}
					w.Wake()
					want := 0
					for _, e := range res.Events {
						if filter.Matches(&e) {
							want++
						}
					}
					deadline := time.Now().Add(5 * time.Minute)
					for {
						mu.Lock()
						n := len(arrivals)
						var f, l time.Time
						if n > 0 {
							f, l = arrivals[0], arrivals[n-1]
						}
						mu.Unlock()
						if n >= want {
							if n > 0 {
								first += f.Sub(t0)
								last += l.Sub(t0)
							}
							delivered += n
							break
						}
						if time.Now().After(deadline) {
							b.Fatalf("%d of %d webhooks arrived in 5 minutes", n, want)
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
				b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-ms")
				b.ReportMetric(float64(last.Milliseconds())/float64(b.N), "last-ms")
				b.ReportMetric(float64(delivered)/float64(b.N), "webhooks/update")
				b.ReportMetric(0, "ns/op")
			})
			b.Run("ReassessAll", func(b *testing.B) {
				bf := setup(b, be)
				ctx := context.Background()
				mon, err := monitor.New(monitor.Config{Store: bf.st, Advisories: func() monitor.Advisories { return bf.adv }})
				if err != nil {
					b.Fatal(err)
				}
				var pkgs int
				for range b.N {
					res, err := mon.ReassessAll(ctx)
					if err != nil {
						b.Fatal(err)
					}
					pkgs = res.Packages
				}
				b.ReportMetric(float64(pkgs), "packages")
			})
			b.Run("ListPage", func(b *testing.B) {
				bf := setup(b, be)
				ctx := context.Background()
				filters := []store.ImageFilter{
					{}, {Repository: "registry.example/team7/svc7"}, {Repository: "registry.example/team1*"},
					{MinSeverity: advisory.SeverityHigh}, {Fixable: true}, {Base: "debian:12-variant160"},
					{MinSeverity: advisory.SeverityCritical, Repository: "registry.example/team3*"},
				}
				var lat []time.Duration
				worst := make([]time.Duration, len(filters))
				b.ResetTimer()
				// 20 sweeps: a p99 needs more than the 35 pages of one.
				for range b.N * 20 {
					for i, f := range filters {
						f.Limit = 50
						for page := 0; page < 5; page++ {
							t0 := time.Now()
							p, err := bf.st.ListImages(ctx, f)
							d := time.Since(t0)
							lat = append(lat, d)
							worst[i] = max(worst[i], d)
							if err != nil {
								b.Fatal(err)
							}
							if p.Next == "" {
								break
							}
							f.After = p.Next
						}
					}
				}
				b.Logf("slowest page per filter: %v", worst)
				p50, p99, slowest := percentiles(lat)
				b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			})
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngest times only the ingest of the generated fleet (no
// assessment, no advisories), into a fresh store per backend: the quick
// loop for work on the ingest path. BenchmarkFleet/*/Ingest is the figure
// of record.
//
//	VIGIL_BENCH_IMAGES=3000 go test ./internal/images -run '^$' -bench Ingest -benchtime 1x
func BenchmarkIngest(b *testing.B) {
	n := fleetSize()
	f := newFleet()
	docs := make([][]byte, n)
	for i := range n {
		docs[i], _ = json.Marshal(f.image(i))
	}
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			for range b.N {
				st, err := store.Open(context.Background(), be.DSN(b), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				svc, err := images.New(images.Config{Store: st})
				if err != nil {
					b.Fatal(err)
				}
				took, cpu := upload(b, svc, docs)
				b.ReportMetric(float64(n)/took.Seconds(), "images/s")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/image")
				b.ReportMetric(0, "ns/op")
				st.Close()
			}
		})
	}
}
