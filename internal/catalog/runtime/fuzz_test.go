package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"

	"github.com/vigilproject/vigil/internal/catalog"
)

// fuzzPaths names one file of each kind the cataloger reads.
var fuzzPaths = []string{
	"usr/local/bin/node",
	"usr/local/lib/libpython3.11.so.1.0",
	"usr/bin/python2.7",
	"usr/local/bin/php",
	"usr/local/lib/libruby.so.3.2",
	"usr/sbin/nginx",
	"usr/local/apache2/bin/httpd",
	"usr/local/bin/redis-server",
	"usr/local/bin/postgres",
	"bin/busybox",
	"usr/lib/libcrypto.so.3",
	"opt/java/openjdk/release",
	"usr/local/go/VERSION",
}

func fuzzSeeds(f *testing.F) {
	seeds := [][]byte{
		binary("node.js/v20.11.1", "https://nodejs.org/download/release/v18.19.0/node-v18.19.0.tar.gz", "node v0.10.48"),
		binary("3.11.7", "/root/.pyenv/versions/3.11.7", "2.7.18", "3.11.0rc1"),
		binary("X-Powered-By: PHP/8.1.2-1ubuntu2.14", "X-Powered-By: PHP/8.4.0-dev"),
		binary("ruby 1.9.3p551 (2014-11-13 revision 48407) [x86_64-linux]", "ruby 3.4.0preview1 (2024-05-16 master"),
		binary("nginx version: nginx/1.25.3\n", "Server: nginx/1.25.3\r\n"),
		binary("Apache/2.4.58", "Apache/2.4"),
		binary("7.0.14", "7.0.14buildkitsandbox-1702957741000000000", "Server started, Redis version 2.8.23"),
		binary("PostgreSQL 15.1 (Debian 15.1-1.pgdg110+1) on x86_64", "PostgreSQL 9.5alpha1 on x"),
		binary("BusyBox v1.36.1 (2023-06-02 00:42:02 UTC)"),
		binary("OpenSSL 1.0.2k-fips  26 Jan 2017", "OpenSSL 3.0.0-alpha17 20 May 2021"),
		[]byte("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"21.0.2\"\n"),
		[]byte("go1.22.5\ntime 2024-06-27T20:11:12Z\n"),
	}
	for i, s := range seeds {
		f.Add(uint8(i), uint16(0), s)
	}
	f.Add(uint8(1), uint16(300), binary("3.11.7"))
	f.Add(uint8(7), uint16(1000), binary("7.2.4", "7.2.4buildkitsandbox-1702957741000000000"))
}

// FuzzExtract feeds arbitrary bytes to Extract and Catalog as each kind of
// file. Nothing may panic, what is kept must be a sound summary, and the
// result must not depend on how the stream is cut: the data is read whole,
// in pieces, and placed across the end of the first read.
func FuzzExtract(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, which uint8, shift uint16, data []byte) {
		p := fuzzPaths[int(which)%len(fuzzPaths)]
		ctx := context.Background()
		c := New()
		out, err := c.Extract(ctx, p, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		halves, err := c.Extract(ctx, p, iotest.HalfReader(bytes.NewReader(data)), int64(len(data)))
		if err != nil || !bytes.Equal(out, halves) {
			t.Fatalf("read in pieces: %s, %v; whole: %s", halves, err, out)
		}
		if prod, kind := classify(p[strings.LastIndexByte(p, '/')+1:]); kind != versionFile && out != nil {
			var s summary
			if err := json.Unmarshal(out, &s); err != nil {
				t.Fatal(err)
			}
			switch {
			case s.Name != prod.String():
				t.Fatalf("summary names %q", s.Name)
			case s.Version == "" && len(s.Conflict) < 2:
				t.Fatalf("summary without a version: %s", out)
			case s.Version != "" && (len(s.Version) > 32 || !isDigit(s.Version[0]) || printable([]byte(s.Version)) != s.Version):
				t.Fatalf("version %q", s.Version)
			}
			// The same bytes, preceded by zeros, wherever the reads cut them.
			near := append(make([]byte, 1024), data...)
			far := append(make([]byte, lookBehind+chunkSize-int(shift)%1100), data...)
			a, err1 := c.Extract(ctx, p, bytes.NewReader(near), int64(len(near)))
			b, err2 := c.Extract(ctx, p, bytes.NewReader(far), int64(len(far)))
			if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
				t.Fatalf("found %s at the start, %s across a read's end (%v, %v)", a, b, err1, err2)
			}
		}
		in := catalog.Input{
			FS:        fstest.MapFS{p: &fstest.MapFile{Mode: 0o755}},
			Paths:     []string{p},
			Warn:      func(string) {},
			Extracted: func(string) ([]byte, bool) { return out, out != nil },
		}
		if _, err := c.Catalog(ctx, in); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzVersionFiles checks the version file parsers on arbitrary text: no
// panic, and only release versions accepted.
func FuzzVersionFiles(f *testing.F) {
	f.Add([]byte("IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.15\"\n"))
	f.Add([]byte("JAVA_VERSION=\"1.8.0_402\"\n"))
	f.Add([]byte("JAVA_VERSION=22-ea\n"))
	f.Add([]byte("go1.21rc2\ntime 2023-06-21T18:00:00Z\n"))
	f.Add([]byte("go1.19.8"))
	f.Add([]byte("devel go1.23-abc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, ev, err := parseJavaRelease(data); err == nil {
			if !isJavaVersion(v) || !strings.Contains(ev, v) {
				t.Fatalf("java %q, %q", v, ev)
			}
		}
		if v, ev, err := parseGoVersion(data); err == nil {
			if v == "" || !isDigit(v[0]) || ev != "go"+v {
				t.Fatalf("go %q, %q", v, ev)
			}
		}
	})
}
