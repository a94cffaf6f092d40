package runtime

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path"
	"testing"
)

// benchStream is 100 MiB of a real binary's bytes (BusyBox, repeated),
// holding none of the version strings sought for the products measured.
func benchStream(b *testing.B) []byte {
	r, _ := openFixture(b, "testdata/bin/busybox.gz")
	one, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Repeat(one, (100<<20)/len(one)+1)[:100<<20]
}

// BenchmarkExtract measures a search that finds nothing and so reads the
// whole stream, for each kind of finder: anchored (Node.js), the Python
// minor-version anchor, and Redis's dotted-token scan.
func BenchmarkExtract(b *testing.B) {
	data := benchStream(b)
	for _, p := range []string{"usr/local/bin/node", "usr/local/bin/python3.11", "usr/local/bin/redis-server", "usr/lib/libcrypto.so.3"} {
		b.Run(path.Base(p), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				out, err := New().Extract(context.Background(), p, bytes.NewReader(data), int64(len(data)))
				if err != nil || out != nil {
					b.Fatalf("%s, %v", out, err)
				}
			}
		})
	}
}

// BenchmarkGunzip is the yardstick: decompressing the same bytes, which
// the walk of a layer does anyway, should cost far more than searching
// them.
func BenchmarkGunzip(b *testing.B) {
	raw, err := os.ReadFile("testdata/bin/busybox.gz")
	if err != nil {
		b.Fatal(err)
	}
	r, _ := openFixture(b, "testdata/bin/busybox.gz")
	n, _ := io.Copy(io.Discard, r)
	b.SetBytes(n)
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
}
