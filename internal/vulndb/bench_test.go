package vulndb

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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
// included, as an update runs it.
func BenchmarkImport(b *testing.B) {
	bs := fullData(b)
	n := countRecords(bs)
	var size int64
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
		db.Close()
		b.StartTimer()
	}
	c.stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size), "db-bytes")
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

// BenchmarkAffecting looks up every (ecosystem, package) key of the full
// store in random order and reports the latency distribution.
func BenchmarkAffecting(b *testing.B) {
	fullData(b)
	ctx := context.Background()
	db, err := Open(ctx, fullDB(b), Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.ro.QueryContext(ctx, `SELECT DISTINCT ecosystem, package FROM affected WHERE ecosystem <> '' AND package <> ''`)
	if err != nil {
		b.Fatal(err)
	}
	var ks []Key
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.Ecosystem, &k.Package); err != nil {
			b.Fatal(err)
		}
		ks = append(ks, k)
	}
	rows.Close()
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
	// Warm the page cache and the prepared statement once.
	for _, k := range ks {
		db.Affecting(ctx, k.Ecosystem, k.Package)
	}
	type sample struct {
		d       time.Duration
		matches int
	}
	samples := make([]sample, 0, b.N)
	b.ResetTimer()
	c := startCPU(b)
	i := 0
	for b.Loop() {
		k := ks[i%len(ks)]
		i++
		start := time.Now()
		ms, err := db.Affecting(ctx, k.Ecosystem, k.Package)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, sample{d, len(ms)})
	}
	c.stop()
	// Latency grows with the matches returned, so besides the whole
	// distribution the p99 of lookups returning at most 10 matches (nine
	// keys in ten) is reported.
	quantile := func(ss []sample, p float64) float64 {
		if len(ss) == 0 {
			return 0
		}
		ds := make([]time.Duration, len(ss))
		for i, s := range ss {
			ds[i] = s.d
		}
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))].Nanoseconds())
	}
	var small []sample
	matches := 0
	for _, s := range samples {
		matches += s.matches
		if s.matches <= 10 {
			small = append(small, s)
		}
	}
	b.ReportMetric(quantile(samples, 0.50), "p50-ns")
	b.ReportMetric(quantile(samples, 0.99), "p99-ns")
	b.ReportMetric(quantile(samples, 1), "max-ns")
	b.ReportMetric(quantile(small, 0.99), "p99-le10-ns")
	b.ReportMetric(float64(matches)/float64(len(samples)), "matches/op")
	b.ReportMetric(float64(len(ks)), "keys")
}
