package vulndb

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/feed"
)

// The benchmarks run on the shared data set (PERFORMANCE.md has commands
// and figures). The machine they ran on was shared, so besides wall time
// they report the process's CPU time (cpu-ns/op), which other load does not
// inflate.

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimer reports CPU time per operation as a custom metric.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuTimer { return cpuTimer{b: b, start: cpuTime()} }

func (c cpuTimer) stop() {
	c.b.ReportMetric(float64(cpuTime()-c.start)/float64(c.b.N), "cpu-ns/op")
}

// BenchmarkDecode is the baseline: JSON-decoding every record into
// advisory.Advisory, nothing stored.
func BenchmarkDecode(b *testing.B) {
	bs := fullData(b)
	n := countRecords(bs)
	b.ResetTimer()
	c := startCPU(b)
	for b.Loop() {
		for _, s := range bs {
			for _, r := range decodeAll(s.recs) {
				if r.err != nil {
					b.Fatal(r.err)
				}
			}
		}
	}
	c.stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodeGeneric decodes every record's whole JSON document into
// Go values (json.Unmarshal into any), the cost of reading everything a
// full OSV parser would look at.
func BenchmarkDecodeGeneric(b *testing.B) {
	bs := fullData(b)
	n := countRecords(bs)
	b.ResetTimer()
	c := startCPU(b)
	for b.Loop() {
		for _, s := range bs {
			for _, r := range s.recs {
				var v any
				if err := json.Unmarshal(r.raw, &v); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	c.stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkImport is a full first import into an empty store, decoding
// included, as an update runs it. Closing the store (which checkpoints the
// write-ahead log into the database file and syncs it) is left out of the
// time and reported apart as close-ns/op.
func BenchmarkImport(b *testing.B) {
	bs := fullData(b)
	n := countRecords(bs)
	var size int64
	var closing time.Duration
	b.ResetTimer()
	c := startCPU(b)
	for b.Loop() {
		b.StopTimer()
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "v.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		importAll(b, db, bs)
		b.StopTimer()
		size, _ = db.Size(context.Background())
		start := time.Now()
		db.Close()
		closing += time.Since(start)
		b.StartTimer()
	}
	c.stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size), "db-bytes")
	b.ReportMetric(float64(closing.Nanoseconds())/float64(b.N), "close-ns/op")
}

// BenchmarkImportDecoded isolates the store: records are decoded before the
// timer starts.
func BenchmarkImportDecoded(b *testing.B) {
	bs := fullData(b)
	n := countRecords(bs)
	decoded := make([]sourceBatch, len(bs))
	for i, s := range bs {
		decoded[i] = sourceBatch{source: s.source, recs: decodeAll(s.recs)}
	}
	b.ResetTimer()
	c := startCPU(b)
	for b.Loop() {
		b.StopTimer()
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "v.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		importAll(b, db, decoded)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	c.stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

var (
	fullDBOnce sync.Once
	fullDBPath string
	fullDBDir  string
)

// fullDB builds the store of the whole data set once per test binary and
// returns a copy's path.
func fullDB(b *testing.B) string {
	bs := fullData(b)
	fullDBOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vulndb-bench-")
		if err != nil {
			b.Fatal(err)
		}
		fullDBDir = dir
		fullDBPath = filepath.Join(dir, "full.db")
		db, err := Open(context.Background(), fullDBPath, Options{})
		if err != nil {
			b.Fatal(err)
		}
		importAll(b, db, bs)
		db.Close()
	})
	if fullDBPath == "" {
		b.Fatal("full database not built")
	}
	data, err := os.ReadFile(fullDBPath)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "full.db")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fullDBDir != "" {
		os.RemoveAll(fullDBDir)
	}
	os.Exit(code)
}

// BenchmarkUpdate50 applies a delta of 50 changed PyPI advisories to the
// full store, end to end (transaction, hashes, writes, regrouping, change
// log, commit).
func BenchmarkUpdate50(b *testing.B) {
	bs := fullData(b)
	db, err := Open(context.Background(), fullDB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	c := startCPU(b)
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		delta := modified50(b, bs, round)
		b.StartTimer()
		st, err := db.Apply(context.Background(), feed.Batch{Source: "osv-PyPI", Advisories: seqOf(delta)}, feed.SourceState{})
		if err != nil || st.Modified != 50 {
			b.Fatalf("%+v, %v", st, err)
		}
	}
	c.stop()
}

// BenchmarkAffecting measures lookups on the full store, each call timed:
//
//   - image: the keys a scan of the shared debian-app image asks (its
//     Debian source packages under "Debian:12", its Go modules and the
//     standard library, its npm packages; see inventoryKeys), shuffled anew
//     for every round;
//   - inventory: the same plus the five keys with the most matches;
//   - all: every (ecosystem, package) key of the store, shuffled;
//   - heaviest: the key with the most matches (Debian:12 linux) alone;
//   - image+enrichment: the image's keys on the store with the whole KEV
//     catalogue and an EPSS score for every CVE, as a store kept up to date
//     has (the other sets run on the advisories alone, as the earlier
//     figures did).
//
// Each runs cold (no lookup cache: what one `vigil scan` process pays, as
// it asks each key once) and warm (the cache filled by a first round: what
// a long-running process that scans again pays until the next update);
// both after an untimed first round that warms SQLite's page cache, as the
// benchmark of schema 1 did.
func BenchmarkAffecting(b *testing.B) {
	fullData(b)
	ctx := context.Background()
	path := fullDB(b)
	all, heavy := storeKeys(b, path)
	image := inventoryKeys(b)
	inventory := append(slices.Clone(image), heavy[:5]...)
	b.Logf("heaviest keys: %v", heavy[:5])
	// withKEV holds the real KEV catalogue of the shared feeds (the
	// shared EPSS file is a 16 kB excerpt, of CVEs from before any key's);
	// enriched holds it and an EPSS score for every CVE, as a store kept
	// up to date with the whole EPSS file does.
	withKEV, enriched := fullDB(b), fullDB(b)
	for _, p := range []string{withKEV, enriched} {
		w, err := Open(ctx, p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		applyKEVCatalogue(b, w)
		if p == enriched {
			applyEPSSForAll(b, w)
		}
		w.Close()
	}
	for _, set := range []struct {
		name, path string
		keys       []Key
	}{{"image", path, image}, {"inventory", path, inventory}, {"all", path, all}, {"heaviest", path, heavy[:1]}, {"image+kev", withKEV, image}, {"image+enrichment", enriched, image}} {
		for _, mode := range []struct {
			name  string
			cache int
		}{{"cold", -1}, {"warm", 0}} {
			b.Run(set.name+"/"+mode.name, func(b *testing.B) {
				db, err := Open(ctx, set.path, Options{ReadOnly: true, LookupCache: mode.cache})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				benchLookups(b, db, set.keys)
			})
		}
	}
}

// storeKeys returns every key of the store, and the keys by descending
// number of live matches.
func storeKeys(b *testing.B, path string) (all, heavy []Key) {
	ctx := context.Background()
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.ro.QueryContext(ctx, `SELECT ecosystem, package, data FROM matches
		WHERE ecosystem <> '' AND package <> '' ORDER BY ecosystem, package`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	type counted struct {
		k Key
		n int
	}
	var cs []counted
	for rows.Next() {
		var c counted
		var data []byte
		if err := rows.Scan(&c.k.Ecosystem, &c.k.Package, &data); err != nil {
			b.Fatal(err)
		}
		entries, err := splitEntries(data)
		if err != nil {
			b.Fatal(err)
		}
		c.n = len(entries)
		all = append(all, c.k)
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(x, y counted) int { return y.n - x.n })
	for _, c := range cs {
		heavy = append(heavy, c.k)
	}
	return all, heavy
}

// inventoryKeys returns the keys the matcher asks for the shared
// debian-app image, from the image's ground truth: the source packages of
// its dpkg packages, and the Go modules (not the main module, built from
// its directory) and npm packages found in it. Its Python packages belong
// to dpkg packages and are not asked by default.
func inventoryKeys(b *testing.B) []Key {
	dir := sharedDir(b, filepath.Join("images", "truth"))
	var keys []Key
	read := func(name string, fn func(f []string)) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			fn(strings.Split(strings.TrimRight(line, "\n"), "\t"))
		}
	}
	read("debian-app.dpkg.tsv", func(f []string) {
		if len(f) >= 3 {
			keys = append(keys, Key{"Debian:12", f[2]})
		}
	})
	read("debian-app.lang.tsv", func(f []string) {
		switch {
		case len(f) < 3 || f[2] == "(devel)":
		case f[0] == "golang":
			keys = append(keys, Key{"Go", f[1]})
		case f[0] == "npm":
			keys = append(keys, Key{"npm", f[1]})
		}
	})
	slices.SortFunc(keys, compareKeys)
	return slices.Compact(keys)
}

// benchLookups looks up keys round after round, each round in a new
// random order, and reports the latency distribution of single calls: wall
// time, and the CPU time of the calling thread (the goroutine is locked to
// it), which time spent waiting for a CPU taken by other processes does not
// inflate. A first, untimed round warms SQLite's page cache and the
// prepared statements (and fills the lookup cache when there is one), so
// that cold means "not decoded before", not "read from disk".
func benchLookups(b *testing.B, db *DB, keys []Key) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	order := slices.Clone(keys)
	for _, k := range keys {
		if _, err := db.Affecting(ctx, k.Ecosystem, k.Package); err != nil {
			b.Fatal(err)
		}
	}
	type sample struct {
		d, cpu  time.Duration
		matches int
	}
	samples := make([]sample, 0, b.N)
	b.ResetTimer()
	c := startCPU(b)
	i := 0
	for b.Loop() {
		if i%len(order) == 0 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		k := order[i%len(order)]
		i++
		cpu := threadCPU()
		start := time.Now()
		ms, err := db.Affecting(ctx, k.Ecosystem, k.Package)
		d := time.Since(start)
		cpu = threadCPU() - cpu
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, sample{d, cpu, len(ms)})
	}
	c.stop()
	ds := make([]time.Duration, len(samples))
	cpus := make([]time.Duration, len(samples))
	matches := 0
	for i, s := range samples {
		ds[i], cpus[i] = s.d, s.cpu
		matches += s.matches
	}
	slices.Sort(ds)
	slices.Sort(cpus)
	q := func(ds []time.Duration, p float64) float64 {
		return float64(ds[int(p*float64(len(ds)-1))].Nanoseconds())
	}
	b.ReportMetric(q(ds, 0.50), "p50-ns")
	b.ReportMetric(q(ds, 0.99), "p99-ns")
	b.ReportMetric(q(ds, 1), "max-ns")
	b.ReportMetric(q(cpus, 0.50), "cpu-p50-ns")
	b.ReportMetric(q(cpus, 0.99), "cpu-p99-ns")
	b.ReportMetric(float64(matches)/float64(len(samples)), "matches/op")
	b.ReportMetric(float64(len(keys)), "keys")
}
