package images_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

func tarLayer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func dpkgStanza(pkg, source, version string) string {
	return "Package: " + pkg + "\nStatus: install ok installed\nVersion: " + version + "\nArchitecture: amd64\nSource: " + source + "\n\n"
}

// layerRegistry serves, from 127.0.0.1, a two-layer Debian base image and
// an application image on top of it whose annotations name the base by a
// registry the service may not reach, so only what the replicas share can
// tell where the base ends. It returns the registry host and both
// references.
func layerRegistry(t *testing.T) (host, base, app string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	status := dpkgStanza("base-files", "base-files", "12.4+deb12u7") + dpkgStanza("libssl3", "openssl", "3.0.11-1~deb12u2")
	baseImg, err := mutate.AppendLayers(empty.Image,
		tarLayer(t, map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", "var/lib/dpkg/status": status}),
		tarLayer(t, map[string]string{"etc/ssl/openssl.cnf": "[openssl_init]\n"}))
	if err != nil {
		t.Fatal(err)
	}
	baseDigest, err := baseImg.Digest()
	if err != nil {
		t.Fatal(err)
	}
	appImg, err := mutate.AppendLayers(baseImg,
		tarLayer(t, map[string]string{"var/lib/dpkg/status": status + dpkgStanza("curl", "curl", "7.88.1-10+deb12u3")}))
	if err != nil {
		t.Fatal(err)
	}
	appImg = mutate.Annotations(appImg, map[string]string{
		image.AnnotationBaseName:   "registry.example/debian:12",
		image.AnnotationBaseDigest: baseDigest.String(),
	}).(v1.Image)
	base, app = host+"/debian:12", host+"/team/app:1"
	for ref, img := range map[string]v1.Image{base: baseImg, app: appImg} {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	return host, base, app
}

// putKeys is a cache store that notes the keys written through it.
type putKeys struct {
	catalog.CacheStore
	mu   sync.Mutex
	keys []string
}

func (p *putKeys) Put(ctx context.Context, key string, data []byte) error {
	p.mu.Lock()
	p.keys = append(p.keys, key)
	p.mu.Unlock()
	return p.CacheStore.Put(ctx, key, data)
}

// TestSharedLayerCache indexes a base image through one replica and an
// image built on it through another, each with its own store handle and
// cache on one database: the second walks only its own layer and learns
// the base image's layers from the first. A damaged entry is a miss, and
// is replaced.
func TestSharedLayerCache(t *testing.T) {
	host, baseRef, appRef := layerRegistry(t)
	adv := advisoryDB(t)
	imageOpts := image.Options{Insecure: true}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.DSN(t)
			// A replica: its own store handle, cache and service.
			replica := func(name string, st *store.Store, cs catalog.CacheStore) (*images.Service, *catalog.Cache) {
				cache := catalog.NewCache(cs)
				svc, err := images.New(images.Config{
					Store: st, Worker: name,
					Advisories: func() images.Advisories { return adv },
					Catalogers: all.Catalogers(), Cache: cache, Image: imageOpts,
					Registries: &images.Guard{Allow: []string{host}},
				})
				if err != nil {
					t.Fatal(err)
				}
				return svc, cache
			}

			stA := storetest.Open(t, dsn, store.Options{})
			keysA := &putKeys{CacheStore: images.NewLayerCache(stA, nil)}
			a, cacheA := replica("a", stA, keysA)
			if _, err := a.Index(ctx, baseRef); err != nil {
				t.Fatal(err)
			}
			if got, want := cacheA.Stats(), (catalog.CacheStats{Misses: 2}); got != want {
				t.Errorf("replica a: %+v, want %+v", got, want)
			}

			stB := storetest.Open(t, dsn, store.Options{})
			bSvc, cacheB := replica("b", stB, images.NewLayerCache(stB, nil))
			digest, err := bSvc.Index(ctx, appRef)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := cacheB.Stats(), (catalog.CacheStats{Hits: 2, Misses: 1}); got != want {
				t.Errorf("replica b: %+v, want %+v (the base layers walked again?)", got, want)
			}
			inv, err := stB.Inventory(ctx, digest)
			if err != nil {
				t.Fatal(err)
			}
			if inv.BaseImage.Source != sbom.BaseFromAnnotation || inv.BaseImage.Layers != 2 || len(inv.Warnings) != 0 {
				t.Errorf("base image %+v, warnings %q: want 2 layers, from the stack replica a stored", inv.BaseImage, inv.Warnings)
			}
			type row struct {
				Name   string
				Layer  int
				InBase bool
			}
			var rows []row
			for _, p := range inv.Packages {
				rows = append(rows, row{p.Name, p.Layer.Index, p.InBase})
			}
			if diff := cmp.Diff([]row{{"base-files", 0, true}, {"curl", 2, false}, {"libssl3", 0, true}}, rows); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}

			// The reference: the application image inventoried by a cache
			// in a fresh directory, which saw the base image first.
			inventory := func(cache *catalog.Cache) *sbom.Inventory {
				t.Helper()
				im, err := image.Open(ctx, image.KindRegistry+":"+appRef, imageOpts)
				if err != nil {
					t.Fatal(err)
				}
				defer im.Close()
				inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: all.Catalogers(), Cache: cache})
				if err != nil {
					t.Fatal(err)
				}
				return inv
			}
			local, err := catalog.OpenCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			im, err := image.Open(ctx, image.KindRegistry+":"+baseRef, imageOpts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: all.Catalogers(), Cache: local}); err != nil {
				t.Fatal(err)
			}
			im.Close()
			want := inventory(local)

			var layerKey string
			for _, k := range keysA.keys {
				if strings.HasPrefix(k, "layer/") {
					layerKey = k
				}
			}
			sound, ok, err := stA.GetBlob(ctx, layerKey)
			if err != nil || !ok {
				t.Fatalf("GetBlob(%q) = %v, %v", layerKey, ok, err)
			}
			for _, tc := range []struct {
				name string
				data []byte
			}{
				{"garbage", []byte("garbage")},
				{"truncated", sound[:len(sound)/2]},
				{"empty", []byte{}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if err := stA.DeleteBlob(ctx, layerKey); err != nil {
						t.Fatal(err)
					}
					if err := stA.PutBlob(ctx, layerKey, tc.data); err != nil {
						t.Fatal(err)
					}
					for _, want1 := range []catalog.CacheStats{{Hits: 2, Misses: 1}, {Hits: 3}} {
						cache := catalog.NewCache(images.NewLayerCache(stB, nil))
						got := inventory(cache)
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("inventory (-walked +through the shared cache):\n%s", diff)
						}
						if s := cache.Stats(); s != want1 {
							t.Errorf("Stats = %+v, want %+v", s, want1)
						}
					}
				})
			}
		})
	}
}

// BenchmarkLayerCacheGet reads a layer-sized entry (450 kB, the largest
// of debian-app's) from a cache directory and from the store's blobs.
// cpu-ns/op is this process's CPU time, not the database server's.
func BenchmarkLayerCacheGet(b *testing.B) {
	data := bytes.Repeat([]byte("vigil layer index "), 25_000)
	const key = "layer/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	ctx := context.Background()
	dir, err := catalog.OpenCacheDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	stores := []struct {
		name string
		cs   func(b *testing.B) catalog.CacheStore
	}{{"dir", func(*testing.B) catalog.CacheStore { return dir }}}
	for _, be := range storetest.Backends() {
		stores = append(stores, struct {
			name string
			cs   func(b *testing.B) catalog.CacheStore
		}{"store-" + be.Name, func(b *testing.B) catalog.CacheStore {
			return images.NewLayerCache(storetest.Open(b, be.DSN(b), store.Options{}), nil)
		}})
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			cs := s.cs(b)
			if err := cs.Put(ctx, key, data); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				if got, ok := cs.Get(ctx, key); !ok || len(got) != len(data) {
					b.Fatal("miss")
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
