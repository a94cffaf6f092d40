package all

import (
	"archive/tar"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/layerfs"
)

var benchImageDir = flag.String("bench-image-dir", "", "where the benchmark image is kept (default: a directory in os.TempDir)")

// Benchmark image: the real debian-app layers when ../shared is there (a
// real dpkg database), topped with generated layers of text-like files, so
// that the whole is over 500 MB uncompressed and 20,000 files.
const (
	benchLayers       = 4
	benchFilesPerLyr  = 5000
	benchMeanFileSize = 26 << 10
)

var words = strings.Fields(`the of and to in is that for it as with was on be by this are or at from
an which but not have has had were their one all would there been if more when will about can other
into some could them than then its only new used these may two first any like such time also make
config value return error string int func package import type struct var const nil true false`)

// genLayer writes a gzip layer of text-like files, deterministic per seed.
func genLayer(w io.Writer, seed uint64, files int) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	var buf []byte
	for i := 0; i < files; i++ {
		dir := fmt.Sprintf("srv/gen%d/d%03d", seed, i/50)
		if i%50 == 0 {
			if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				return err
			}
		}
		size := int(r.ExpFloat64() * benchMeanFileSize)
		buf = buf[:0]
		for len(buf) < size {
			buf = append(buf, words[r.IntN(len(words))]...)
			if r.IntN(12) == 0 {
				buf = append(buf, '\n')
			} else {
				buf = append(buf, ' ')
			}
		}
		hdr := &tar.Header{Name: fmt.Sprintf("%s/f%05d.txt", dir, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(buf))}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(buf); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func genV1Layer(b testing.TB, dir string, seed uint64) v1.Layer {
	p := filepath.Join(dir, fmt.Sprintf("gen-%d.tar.gz", seed))
	if _, err := os.Stat(p); err != nil {
		tmp := p + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		if err := genLayer(f, seed, benchFilesPerLyr); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if err := os.Rename(tmp, p); err != nil {
			b.Fatal(err)
		}
	}
	l, err := tarball.LayerFromFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

var benchOnce sync.Once
var benchPath string

// benchImage returns an OCI layout holding the benchmark image, made once
// and kept for later runs.
func benchImage(b testing.TB) string {
	benchOnce.Do(func() {
		dir := *benchImageDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "vigil-bench-v1")
		}
		out := filepath.Join(dir, "layout")
		if _, err := os.Stat(filepath.Join(out, "index.json")); err == nil {
			benchPath = out
			return
		}
		os.MkdirAll(dir, 0o755)
		img := empty.Image
		if shared := sharedDir(); shared != "" {
			lp, err := layout.FromPath(filepath.Join(shared, "images", "debian-app"))
			if err == nil {
				idx, _ := lp.ImageIndex()
				m, _ := idx.IndexManifest()
				img, err = idx.Image(m.Manifests[0].Digest)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		var adds []mutate.Addendum
		for i := 0; i < benchLayers; i++ {
			adds = append(adds, mutate.Addendum{Layer: genV1Layer(b, dir, uint64(i+1)), History: v1.History{CreatedBy: fmt.Sprintf("generated layer %d", i+1)}})
		}
		img, err := mutate.Append(img, adds...)
		if err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(out)
		lp, err := layout.Write(out, empty.Index)
		if err != nil {
			b.Fatal(err)
		}
		if err := lp.AppendImage(img); err != nil {
			b.Fatal(err)
		}
		benchPath = out
	})
	if benchPath == "" {
		b.Fatal("benchmark image could not be made")
	}
	return benchPath
}

func sharedDir() string {
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	if _, err := os.Stat(filepath.Join(dir, "images", "debian-app", "index.json")); err != nil {
		return ""
	}
	return dir
}

// peakHeap samples the live heap while f runs.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}

// BenchmarkImage compares a full inventory with its floor, decompressing
// every layer and reading every tar header, on the same image in one run.
func BenchmarkImage(b *testing.B) {
	dir := benchImage(b)
	im, err := image.Open(context.Background(), "oci-dir:"+dir, image.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	var files int
	b.Run("floor", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			total, files = floor(b, im)
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		b.SetBytes(total)
		b.ReportMetric(float64(files), "entries")
	})
	b.Run("vigil-sbom", func(b *testing.B) {
		var peak uint64
		cpu0 := cpuTime()
		for b.Loop() {
			runtime.GC()
			p := peakHeap(func() {
				inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: Catalogers()})
				if err != nil {
					b.Fatal(err)
				}
				if len(inv.Packages) == 0 && sharedDir() != "" {
					b.Fatal("no packages")
				}
			})
			peak = max(peak, p)
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		b.SetBytes(total)
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
}

// cpuTime is the process's user and system CPU time in nanoseconds: on a
// busy machine it measures the work done, where wall time measures the
// neighbours too.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// floor decompresses every layer and reads every tar header, with the
// same parallelism as an inventory.
func floor(b *testing.B, im *image.Image) (int64, int) {
	var total atomic.Int64
	var entries atomic.Int64
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, l := range im.Layers {
		g.Go(func() error {
			rc, err := l.Open(context.Background())
			if err != nil {
				return err
			}
			r, err := layerfs.Decompress(rc)
			if err != nil {
				return err
			}
			defer r.Close()
			cr := &countReader{r: r}
			tr := tar.NewReader(cr)
			for {
				_, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				entries.Add(1)
			}
			io.Copy(io.Discard, cr)
			total.Add(cr.n)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return total.Load(), int(entries.Load())
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkSecondScan inventories an image that shares all but its top
// layer with an image already in the cache, against the same image cold.
func BenchmarkSecondScan(b *testing.B) {
	dir := benchImage(b)
	lp, err := layout.FromPath(dir)
	if err != nil {
		b.Fatal(err)
	}
	idx, _ := lp.ImageIndex()
	m, _ := idx.IndexManifest()
	base, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		b.Fatal(err)
	}
	cache, err := catalog.OpenCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	opts := func(c *catalog.Cache) catalog.Options {
		return catalog.Options{Catalogers: Catalogers(), Cache: c}
	}
	first, err := image.Open(context.Background(), "oci-dir:"+dir, image.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := catalog.Inventory(context.Background(), first, opts(cache)); err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	seed := uint64(1000)
	// newTop writes the first image plus one small new layer as a
	// docker-archive; a new seed each time gives a new diffID.
	newTop := func() string {
		seed++
		p := filepath.Join(tmp, fmt.Sprintf("top-%d.tar.gz", seed))
		f, _ := os.Create(p)
		genLayerSmall(b, f, seed)
		f.Close()
		l, err := tarball.LayerFromFile(p)
		if err != nil {
			b.Fatal(err)
		}
		img, err := mutate.AppendLayers(base, l)
		if err != nil {
			b.Fatal(err)
		}
		out := filepath.Join(tmp, fmt.Sprintf("img-%d.tar", seed))
		tag, _ := name.NewTag("bench/second:1")
		if err := tarball.WriteToFile(out, tag, img); err != nil {
			b.Fatal(err)
		}
		return out
	}
	run := func(b *testing.B, c func() *catalog.Cache) {
		for b.Loop() {
			b.StopTimer()
			target := newTop()
			cc := c()
			b.StartTimer()
			im, err := image.Open(context.Background(), "docker-archive:"+target, image.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := catalog.Inventory(context.Background(), im, opts(cc)); err != nil {
				b.Fatal(err)
			}
			im.Close()
			b.StopTimer()
			os.Remove(target)
			b.StartTimer()
		}
	}
	b.Run("cold", func(b *testing.B) { run(b, func() *catalog.Cache { return nil }) })
	b.Run("shared-layers-cached", func(b *testing.B) { run(b, func() *catalog.Cache { return cache }) })
}

func genLayerSmall(b testing.TB, w io.Writer, seed uint64) {
	if err := genLayer(w, seed, 100); err != nil {
		b.Fatal(err)
	}
}

// appLayer is a layer of application packages: a node_modules tree of
// 1,200 packages (package.json files shaped like real ones, with some
// padding files beside them) and the Go binaries of the gobinary tests,
// copied to several places.
func appLayer(b testing.TB, dir string) v1.Layer {
	p := filepath.Join(dir, "app-layer.tar.gz")
	if _, err := os.Stat(p); err != nil {
		f, err := os.Create(p + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(f, gzip.DefaultCompression)
		tw := tar.NewWriter(zw)
		add := func(name string, mode int64, data []byte) {
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(data))}); err != nil {
				b.Fatal(err)
			}
			tw.Write(data)
		}
		r := rand.New(rand.NewPCG(7, 7))
		for i := 0; i < 1200; i++ {
			name := fmt.Sprintf("pkg-%04d", i)
			if i%5 == 0 {
				name = fmt.Sprintf("@scope%d/pkg-%04d", i%17, i)
			}
			base := "app/node_modules/" + name
			if i%9 == 0 {
				base = fmt.Sprintf("app/node_modules/pkg-%04d/node_modules/%s", i-1, name)
			}
			pj := fmt.Sprintf(`{"name":%q,"version":"%d.%d.%d","description":"benchmark package","license":"MIT","main":"index.js","dependencies":{"dep-a":"^1.0.0"},"repository":{"type":"git","url":"https://example.com/%s.git"}}`, name, r.IntN(9), r.IntN(30), r.IntN(50), name)
			add(base+"/package.json", 0o644, []byte(pj))
			add(base+"/index.js", 0o644, []byte(strings.Repeat("module.exports = function () { return 42 }\n", 1+r.IntN(200))))
			add(base+"/README.md", 0o644, []byte(strings.Repeat("# readme\n", 1+r.IntN(100))))
		}
		for _, bin := range []string{"deps", "replace", "cgo"} {
			data, err := os.ReadFile(filepath.Join("..", "gobinary", "testdata", "bin", bin))
			if err != nil {
				b.Skipf("Go binary fixtures: %v", err)
			}
			for _, at := range []string{"usr/local/bin/", "app/bin/", "opt/tools/"} {
				add(at+bin, 0o755, data)
			}
		}
		tw.Close()
		zw.Close()
		f.Close()
		if err := os.Rename(p+".tmp", p); err != nil {
			b.Fatal(err)
		}
	}
	l, err := tarball.LayerFromFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkLanguageCatalogers measures what the application catalogers
// add to the whole-image walk: the benchmark image plus an application
// layer, inventoried with the OS catalogers only and with all of them.
func BenchmarkLanguageCatalogers(b *testing.B) {
	dir := benchImage(b)
	lp, err := layout.FromPath(dir)
	if err != nil {
		b.Fatal(err)
	}
	idx, _ := lp.ImageIndex()
	m, _ := idx.IndexManifest()
	base, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		b.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, appLayer(b, filepath.Dir(dir)))
	if err != nil {
		b.Fatal(err)
	}
	target := filepath.Join(b.TempDir(), "app.tar")
	tag, _ := name.NewTag("bench/app:1")
	if err := tarball.WriteToFile(target, tag, img); err != nil {
		b.Fatal(err)
	}
	osOnly := func() []catalog.Cataloger {
		var out []catalog.Cataloger
		for _, c := range Catalogers() {
			switch c.Name() {
			case "dpkg", "apk", "rpm":
				out = append(out, c)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cs   func() []catalog.Cataloger
	}{{"os-only", osOnly}, {"all", Catalogers}} {
		b.Run(tc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			var n int
			for b.Loop() {
				im, err := image.Open(context.Background(), "docker-archive:"+target, image.Options{})
				if err != nil {
					b.Fatal(err)
				}
				inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: tc.cs()})
				if err != nil {
					b.Fatal(err)
				}
				im.Close()
				n = len(inv.Packages)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(n), "packages")
		})
	}
}

// TestWriteBenchImage writes the benchmark image as an OCI layout for
// whole-process comparisons with other tools (see docs/performance.md);
// it runs only when -bench-image-dir is given.
func TestWriteBenchImage(t *testing.T) {
	if *benchImageDir == "" {
		t.Skip("give -bench-image-dir to write the benchmark image")
	}
	t.Log(benchImage(t))
}
