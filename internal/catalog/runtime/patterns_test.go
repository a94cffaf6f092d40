package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// extractBytes runs Extract over data as the file at path and decodes the
// summary; the zero summary means nothing was kept.
func extractBytes(t testing.TB, path string, data []byte) summary {
	t.Helper()
	return extractBytesFrom(t, path, bytes.NewReader(data), int64(len(data)))
}

func extractBytesFrom(t testing.TB, path string, r io.Reader, size int64) summary {
	t.Helper()
	out, err := New().Extract(context.Background(), path, r, size)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var s summary
	if out != nil {
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return s
}

// binary wraps strings as a binary's read-only data holds them: NUL
// terminated, between other bytes.
func binary(strs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("\x7fELF\x02\x01\x01\x00")
	b.Write(make([]byte, 100))
	for _, s := range strs {
		b.WriteString(s)
		b.WriteByte(0)
	}
	b.Write(make([]byte, 100))
	return b.Bytes()
}

// TestPatterns checks each product's version strings, in the forms their
// builds write them (see the comments in patterns.go), and near misses
// that must give nothing.
func TestPatterns(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		data       []byte
		want       summary
	}{
		{"node", "usr/local/bin/node", binary("/json", "node.js/v20.11.1", "(delegate_) != nullptr"),
			summary{Name: "node", Version: "20.11.1", Evidence: "node.js/v20.11.1"}},
		{"node release url", "usr/local/bin/node", binary("https://nodejs.org/download/release/v18.19.0/node-v18.19.0.tar.gz"),
			summary{Name: "node", Version: "18.19.0", Evidence: "/download/release/v18.19.0/node-v18.19.0.tar.gz"}},
		{"node 0.10", "usr/local/bin/node", binary("status == 0", "node v0.10.48", "FATAL ERROR: %s %s"),
			summary{Name: "node", Version: "0.10.48", Evidence: "node v0.10.48"}},
		{"node nightly", "usr/local/bin/node", binary("node.js/v22.0.0-nightly2024010112ab"), summary{}},
		{"node two parts", "usr/local/bin/node", binary("node.js/v20.11"), summary{}},
		{"node urls disagree", "usr/local/bin/node", binary("https://nodejs.org/download/release/v18.19.0/node-v18.19.1.tar.gz"), summary{}},

		{"openssl 3", "usr/lib/libcrypto.so.3", binary("N/A", "OpenSSL 3.0.13 30 Jan 2024"),
			summary{Name: "openssl", Version: "3.0.13", Evidence: "OpenSSL 3.0.13 30 Jan 2024"}},
		{"openssl 1.1.1", "usr/bin/openssl", binary("OpenSSL 1.1.1w  11 Sep 2023", "%s (Library: %s)"),
			summary{Name: "openssl", Version: "1.1.1w", Evidence: "OpenSSL 1.1.1w  11 Sep 2023"}},
		{"openssl fips", "usr/lib64/libssl.so.10", binary("TLSv1 part of OpenSSL 1.0.2k-fips  26 Jan 2017"),
			summary{Name: "openssl", Version: "1.0.2k", Evidence: "OpenSSL 1.0.2k-fips  26 Jan 2017"}},
		{"openssl alpha", "usr/bin/openssl", binary("OpenSSL 3.0.0-alpha17 20 May 2021"),
			summary{Name: "openssl", Version: "3.0.0-alpha17", Evidence: "OpenSSL 3.0.0-alpha17 20 May 2021"}},
		{"openssl dev", "usr/bin/openssl", binary("OpenSSL 3.2.0-dev  xx XXX xxxx"), summary{}},
		{"boringssl", "usr/lib/libcrypto.so", binary("OpenSSL 1.1.1 (compatible; BoringSSL)"), summary{}},
		{"aws-lc", "usr/lib/libcrypto.so", binary("OpenSSL 1.1.1 (compatible; AWS-LC 1.69.0)"), summary{}},
		{"libressl", "usr/lib/libcrypto.so.52", binary("LibreSSL 3.8.2"), summary{}},
		{"openssl no date", "usr/bin/openssl", binary("OpenSSL 3.0.13"), summary{}},

		{"nginx", "usr/sbin/nginx", binary("nginx version: nginx/1.25.3\n", "Server: nginx/1.25.3\r\n"),
			summary{Name: "nginx", Version: "1.25.3", Evidence: "nginx version: nginx/1.25.3"}},
		{"nginx server header", "usr/sbin/nginx", binary("Server: nginx/1.25.3\r\n"),
			summary{Name: "nginx", Version: "1.25.3", Evidence: "Server: nginx/1.25.3"}},
		{"openresty", "usr/local/openresty/nginx/sbin/nginx", binary("nginx version: openresty/1.21.4.3\n"), summary{}},

		{"httpd", "usr/local/apache2/bin/httpd", binary("mailto:", "Apache/2.4.58", " Server at "),
			summary{Name: "httpd", Version: "2.4.58", Evidence: "Apache/2.4.58"}},
		{"httpd minor only", "usr/local/apache2/bin/httpd", binary("Apache/2.4", "Apache/2"), summary{}},

		{"busybox", "bin/busybox", binary("BusyBox v1.36.1 (2023-06-02 00:42:02 UTC)"),
			summary{Name: "busybox", Version: "1.36.1", Evidence: "BusyBox v1.36.1"}},
		{"busybox snapshot", "bin/busybox", binary("BusyBox v1.37.0.git (2024-01-01 00:00:00 UTC)"), summary{}},

		{"php", "usr/local/bin/php", binary("%s,%s", "X-Powered-By: PHP/8.2.7"),
			summary{Name: "php", Version: "8.2.7", Evidence: "X-Powered-By: PHP/8.2.7"}},
		{"php rc", "usr/local/bin/php", binary("X-Powered-By: PHP/8.3.0RC1"),
			summary{Name: "php", Version: "8.3.0RC1", Evidence: "X-Powered-By: PHP/8.3.0RC1"}},
		{"php ubuntu", "usr/bin/php8.1", binary("X-Powered-By: PHP/8.1.2-1ubuntu2.14"),
			summary{Name: "php", Version: "8.1.2", Evidence: "X-Powered-By: PHP/8.1.2-1ubuntu2.14"}},
		{"php dev", "usr/local/bin/php", binary("X-Powered-By: PHP/8.4.0-dev"), summary{}},

		{"postgres", "usr/local/bin/postgres", binary("PostgreSQL 16.1 on x86_64-pc-linux-musl, compiled by gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014, 64-bit"),
			summary{Name: "postgresql", Version: "16.1", Evidence: "PostgreSQL 16.1"}},
		{"postgres packaged", "usr/lib/postgresql/15/bin/postgres", binary("PostgreSQL 15.1 (Debian 15.1-1.pgdg110+1) on x86_64-pc-linux-gnu"),
			summary{Name: "postgresql", Version: "15.1", Evidence: "PostgreSQL 15.1 (Debian 15.1-1.pgdg110+1)"}},
		{"postgres beta", "usr/lib/postgresql/15/bin/postgres", binary("PostgreSQL 15beta4 (Debian 15~beta4-1.pgdg110+1)"),
			summary{Name: "postgresql", Version: "15beta4", Evidence: "PostgreSQL 15beta4 (Debian 15~beta4-1.pgdg110+1)"}},
		{"postgres 9.6", "usr/lib/postgresql/9.6/bin/postgres", binary("PostgreSQL 9.6.24 on x86_64-pc-linux-gnu (Debian 9.6.24-1.pgdg90+1)"),
			summary{Name: "postgresql", Version: "9.6.24", Evidence: "PostgreSQL 9.6.24"}},
		{"postgres message", "usr/local/bin/postgres", binary("dump it before upgrading to PostgreSQL 9.1."), summary{}},
		{"postgres devel", "usr/local/bin/postgres", binary("PostgreSQL 17devel on x86_64-pc-linux-gnu"), summary{}},

		{"ruby", "usr/local/lib/libruby.so.3.2.2", binary("ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x86_64-linux]"),
			summary{Name: "ruby", Version: "3.2.2", Evidence: "ruby 3.2.2 (2023-03-30 revision e51014f9c0)"}},
		{"ruby patch level", "usr/local/bin/ruby", binary("ruby 2.7.8p225 (2023-03-30 revision 1f4d455848) [x86_64-linux]"),
			summary{Name: "ruby", Version: "2.7.8", Evidence: "ruby 2.7.8p225 (2023-03-30 revision 1f4d455848)"}},
		{"ruby 1.9", "usr/local/bin/ruby", binary("ruby 1.9.3p551 (2014-11-13 revision 48407) [x86_64-linux]"),
			summary{Name: "ruby", Version: "1.9.3-p551", Evidence: "ruby 1.9.3p551 (2014-11-13 revision 48407)"}},
		{"ruby preview", "usr/local/bin/ruby", binary("ruby 3.4.0preview1 (2024-05-16 master 9d69619623) [x86_64-linux]"),
			summary{Name: "ruby", Version: "3.4.0preview1", Evidence: "ruby 3.4.0preview1 (2024-05-16 master 9d69619623)"}},
		{"ruby dev", "usr/local/bin/ruby", binary("ruby 3.4.0dev (2024-09-15T01:06:11Z master 532af89e3b) [x86_64-linux]"), summary{}},
		{"ruby message", "usr/local/lib/libruby.so.3.2", binary("extension library for ruby 1.8)"), summary{}},

		{"python", "usr/local/bin/python3.11", binary("pymalloc_debug", "3.11.7", "strict"),
			summary{Name: "python", Version: "3.11.7", Evidence: "3.11.7"}},
		{"python rc", "usr/local/lib/libpython3.13.so.1.0", binary("3.13.0rc1", "%.80s (%.80s) %.80s"),
			summary{Name: "python", Version: "3.13.0rc1", Evidence: "3.13.0rc1"}},
		{"python merged into prefix", "root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", binary("WITH_NEXT_FRAMEWORK", "/root/.pyenv/versions/3.11.7", "EXEC_PREFIX"),
			summary{Name: "python", Version: "3.11.7", Evidence: "/root/.pyenv/versions/3.11.7"}},
		{"python own string wins", "usr/local/bin/python3.11", binary("/opt/python/3.11.2", "3.11.7"),
			summary{Name: "python", Version: "3.11.7", Evidence: "3.11.7"}},
		{"python two versions", "usr/local/bin/python3.11", binary("3.11.7", "3.11.0"),
			summary{Name: "python", Conflict: []string{"3.11.0", "3.11.7"}}},
		{"python other minor", "usr/local/bin/python3.11", binary("3.12.1"), summary{}},
		{"python inside a string", "usr/local/bin/python3.11", binary("Python-3.11.7", "x3.11.7"), summary{}},

		{"redis", "usr/local/bin/redis-server", binary("7.0.1", "err", "7.0.14", "c11-builtin", "00000000", "%llx", "7.0.14buildkitsandbox-1702957741000000000", "networking.c"),
			summary{Name: "redis", Version: "7.0.14", Evidence: "7.0.14buildkitsandbox-1702957741000000000"}},
		{"redis host in hex", "usr/local/bin/redis-server", binary("4.0.11", "4.0.11841ce7054bd9-1542359302000000000"),
			summary{Name: "redis", Version: "4.0.11", Evidence: "4.0.11841ce7054bd9-1542359302000000000"}},
		{"redis debian", "usr/bin/redis-server", binary("7.0.15", "A7.0.151790282056000000000"),
			summary{Name: "redis", Version: "7.0.15", Evidence: "7.0.151790282056000000000"}},
		{"redis build id alone", "usr/local/bin/redis-server", binary("7.0.14buildkitsandbox-1702957741000000000"), summary{}},
		{"redis version alone", "usr/local/bin/redis-server", binary("7.0.14"), summary{}},
		{"redis 2", "usr/local/bin/redis-server", binary("Server started, Redis version 2.8.23"),
			summary{Name: "redis", Version: "2.8.23", Evidence: "Redis version 2.8.23"}},
		{"valkey", "usr/local/bin/redis-server", binary("valkey_version:%s", "8.0.1", "8.0.1buildkitsandbox-1702957741000000000"), summary{}},

		{"empty", "usr/local/bin/node", nil, summary{}},
		{"not wanted", "usr/local/bin/deno", binary("node.js/v20.11.1"), summary{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, extractBytes(t, tc.path, tc.data)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestChunkBoundaries moves version strings across the places where one
// read of the stream ends and the next begins: the string must be found
// wherever it falls, and read in pieces of any size.
func TestChunkBoundaries(t *testing.T) {
	samples := []struct {
		path    string
		strs    []string
		version string
	}{
		{"usr/local/bin/node", []string{"node.js/v20.11.1"}, "20.11.1"},
		{"usr/local/lib/libcrypto.so.3", []string{"OpenSSL 3.0.13 30 Jan 2024"}, "3.0.13"},
		{"usr/local/lib/libpython3.11.so.1.0", []string{"3.11.7"}, "3.11.7"},
		{"usr/local/lib/libpython3.11.so.1.0", []string{"/usr/local/python/3.11.7"}, "3.11.7"},
		{"usr/local/bin/redis-server", []string{"7.2.4", "7.2.4buildkitsandbox-1702957741000000000"}, "7.2.4"},
	}
	boundary := lookBehind + chunkSize // where the first read's matches end
	// Around the end of the first read's matches, and where its look-ahead
	// ends; the second read's end, more briefly.
	var offsets []int
	for d := -40; d <= 40; d++ {
		offsets = append(offsets, boundary+d, boundary-lookAhead+d)
		if d > -8 && d < 8 {
			offsets = append(offsets, boundary+chunkSize+d)
		}
	}
	for _, s := range samples {
		str := binary(s.strs...)[108:] // from the first string's start
		str = str[:len(str)-100]
		for _, off := range offsets {
			// The string starts at off, preceded by a NUL as in a binary.
			data := make([]byte, off+len(str)+300)
			copy(data[off:], str)
			got := extractBytes(t, s.path, data)
			if got.Version != s.version {
				t.Fatalf("%s with its string at %d: got %+v, want %s", s.path, off, got, s.version)
			}
		}
		data := make([]byte, 3*chunkSize)
		copy(data[boundary-7:], str)
		for name, rd := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
		} {
			if got := extractBytesFrom(t, s.path, rd, int64(len(data))); got.Version != s.version {
				t.Errorf("%s read %s: %+v", s.path, name, got)
			}
		}
	}
}

// TestScanBounds checks that reading stops: at the first match for the
// anchored products, and at maxScan for a file that goes on.
func TestScanBounds(t *testing.T) {
	data := binary("nginx version: nginx/1.25.3\n")
	r := &countingReader{r: io.MultiReader(bytes.NewReader(data), zeros{})}
	s := extractBytesFrom(t, "usr/sbin/nginx", r, 1<<40)
	if s.Version != "1.25.3" {
		t.Errorf("got %+v", s)
	}
	if r.n > int64(lookBehind+chunkSize+lookAhead) {
		t.Errorf("read %d bytes after the match", r.n)
	}
	r = &countingReader{r: zeros{}}
	extractBytesFrom(t, "usr/sbin/nginx", r, 1<<40)
	if r.n != maxScan {
		t.Errorf("read %d bytes of an endless file, want %d", r.n, maxScan)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// zeros is an endless file.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
