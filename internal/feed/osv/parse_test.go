package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

func testUpdater(t *testing.T, opts Options) *Updater {
	t.Helper()
	u, err := New(feed.NewClient(feed.Config{}), "Go", opts)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func ids(advs []advisory.Advisory) []string {
	var out []string
	for _, a := range advs {
		out = append(out, a.ID)
	}
	return out
}

var sampleIDs = []string{"DEBIAN-CVE-2006-4334", "GHSA-jfh8-c2jp-5v3q", "GO-2022-0617", "PYSEC-2022-15", "RUSTSEC-2021-0006", "RUSTSEC-2026-0090", "UBUNTU-CVE-2023-38545"}

func TestParseSampleZip(t *testing.T) {
	u := testUpdater(t, Options{})
	f, err := os.Open("testdata/sample.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, _ := os.ReadFile("testdata/sample.zip")
	// A file, an in-memory reader and a plain stream must read alike.
	for name, src := range map[string]func() any{
		"file":   func() any { f.Seek(0, 0); return f },
		"bytes":  func() any { return bytes.NewReader(data) },
		"stream": func() any { return strings.NewReader(string(data)) },
	} {
		b, err := u.Parse(context.Background(), src().(interface{ Read([]byte) (int, error) }))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !b.Full || b.Source != "osv/Go" || b.KEV != nil || b.EPSS != nil {
			t.Errorf("%s: batch %+v", name, b)
		}
		advs, errs := feedtest.Collect(b.Advisories)
		if len(errs) > 0 || !slices.Equal(ids(advs), sampleIDs) {
			t.Errorf("%s: ids %v, errors %v", name, ids(advs), errs)
		}
	}
}

// zipOf builds an archive of name → content entries.
func zipOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseZipBadRecords(t *testing.T) {
	u := testUpdater(t, Options{MaxRecordBytes: 1 << 20})
	bomb := strings.Repeat("\x00", 2<<20) // 2 MiB of zeros deflate to a few KiB
	data := zipOf(t,
		[2]string{"GO-1.json", `{"id": "GO-1", "modified": "2024-01-01T00:00:00Z"}`},
		[2]string{"GO-2.json", `{"id": "GO-2", "modified": `},
		[2]string{"GO-3.json", bomb},
		[2]string{"dir/", ""},
		[2]string{"GO-4.json", `{"modified": "2024-01-01T00:00:00Z"}`},
		[2]string{"GO-5.json", `{"id": "GO-5"}`},
	)
	b, err := u.Parse(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	if !slices.Equal(ids(advs), []string{"GO-1", "GO-5"}) {
		t.Errorf("ids %v", ids(advs))
	}
	want := []string{"osv/Go: GO-2.json: bad OSV record", "osv/Go: GO-3.json: 2097152 bytes, over the 1048576-byte record limit", "osv/Go: GO-4.json: bad OSV record: no id"}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, err := range errs {
		if !strings.HasPrefix(err.Error(), want[i]) || !errors.Is(err, ErrRecord) || errors.Is(err, feed.ErrBroken) {
			t.Errorf("error %d = %v, want prefix %q", i, err, want[i])
		}
	}
}

func TestParseCorruptZip(t *testing.T) {
	u := testUpdater(t, Options{})
	good, err := os.ReadFile("testdata/sample.zip")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"truncated":      good[:len(good)/2],
		"garbage":        []byte("PK\x03\x04 this is not a zip at all"),
		"only the magic": []byte("PK"),
	} {
		_, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err == nil || !strings.Contains(err.Error(), "osv/Go: all.zip is corrupt") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	for name, data := range map[string][]byte{
		"empty":    nil,
		"text":     []byte("hello"),
		"other js": []byte(`{"format": "something-else"}` + "\n"),
	} {
		if _, err := u.Parse(context.Background(), bytes.NewReader(data)); err == nil || !strings.HasPrefix(err.Error(), "osv/Go: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// A damaged entry (its deflate stream overwritten) keeps the central
// directory readable, so the damage shows while iterating: the batch is
// broken, not one bad record.
func TestParseDamagedEntry(t *testing.T) {
	u := testUpdater(t, Options{})
	data, _ := os.ReadFile("testdata/sample.zip")
	data = slices.Clone(data)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := zr.File[2]
	off, err := f.DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	for i := off + 10; i < off+int64(f.CompressedSize64)-10; i++ {
		data[i] ^= 0x5a
	}
	b, err := u.Parse(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	if len(advs) != 2 || len(errs) != 1 || !errors.Is(errs[0], feed.ErrBroken) || !strings.Contains(errs[0].Error(), "GO-2022-0617.json") {
		t.Errorf("ids %v, errors %v", ids(advs), errs)
	}
}

func TestParseArchiveLimit(t *testing.T) {
	u := testUpdater(t, Options{MaxArchiveBytes: 20000})
	f, _ := os.Open("testdata/sample.zip")
	defer f.Close()
	b, err := u.Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := feedtest.Collect(b.Advisories)
	if len(errs) != 1 || !errors.Is(errs[0], feed.ErrBroken) || !strings.Contains(errs[0].Error(), "expands to more than 20000 bytes") {
		t.Errorf("errors %v", errs)
	}
}

func TestParseCancelled(t *testing.T) {
	u := testUpdater(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := u.Parse(ctx, strings.NewReader(string(mustRead(t, "testdata/sample.zip"))))
	if err != nil {
		t.Fatal(err)
	}
	_, errs := feedtest.Collect(b.Advisories)
	if len(errs) != 1 || !errors.Is(errs[0], feed.ErrBroken) || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("errors %v", errs)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseDelta(t *testing.T) {
	u := testUpdater(t, Options{MaxRecordBytes: 4096})
	rec := func(id string) string { return `{"id":"` + id + `","modified":"2024-01-01T00:00:00Z"}` }
	tests := []struct {
		name    string
		in      string
		ids     []string
		errs    []string
		broken  bool
		parseOK bool
	}{
		{
			name: "complete", parseOK: true,
			in:  `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":2}` + "\n" + rec("GO-1") + "\n" + rec("GO-2") + "\n",
			ids: []string{"GO-1", "GO-2"},
		},
		{
			name: "CRLF", parseOK: true,
			in:  `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":2}` + "\r\n" + rec("GO-1") + "\r\n" + rec("GO-2") + "\r\n",
			ids: []string{"GO-1", "GO-2"},
		},
		{
			name: "skipped records and a bad one", parseOK: true,
			in: `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":3,"skipped":[{"id":"GO-9","reason":"gone (404)"}]}` + "\n" +
				rec("GO-1") + "\n" + `{"id": "GO-2", "modified": 5}` + "\n" + `{"id":"GO-3","details":"` + strings.Repeat("x", 5000) + `"}` + "\n",
			ids:  []string{"GO-1"},
			errs: []string{"osv/Go: GO-9: gone (404)", "osv/Go: delta record 2: bad OSV record", "osv/Go: delta record 3: over the 4096-byte record limit"},
		},
		{
			name: "cut short", parseOK: true,
			in:     `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":3}` + "\n" + rec("GO-1") + "\n",
			ids:    []string{"GO-1"},
			errs:   []string{"osv/Go: delta ends after 1 of 3 records"},
			broken: true,
		},
		{
			name: "cut inside a record", parseOK: true,
			in:     `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":2}` + "\n" + rec("GO-1") + "\n" + `{"id":"GO-2","mod`,
			ids:    []string{"GO-1"},
			errs:   []string{"osv/Go: delta record 2: last line cut short"},
			broken: true,
		},
		{
			name: "last record complete but unterminated", parseOK: true,
			in:     `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":1}` + "\n" + rec("GO-1"),
			errs:   []string{"osv/Go: delta record 1: last line cut short"},
			broken: true,
		},
		{name: "bad header", in: `{"format":"vigil-osv-delta/1","records":-1}` + "\n"},
		{name: "header unterminated", in: `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":0}`},
		{name: "empty delta", in: `{"format":"vigil-osv-delta/1","ecosystem":"Go","records":0}` + "\n", parseOK: true},
	}
	for _, tt := range tests {
		b, err := u.Parse(context.Background(), strings.NewReader(tt.in))
		if (err == nil) != tt.parseOK {
			t.Errorf("%s: Parse error %v", tt.name, err)
			continue
		}
		if err != nil {
			continue
		}
		if b.Full {
			t.Errorf("%s: a delta must not be Full", tt.name)
		}
		advs, errs := feedtest.Collect(b.Advisories)
		if !slices.Equal(ids(advs), tt.ids) {
			t.Errorf("%s: ids %v, want %v", tt.name, ids(advs), tt.ids)
		}
		if len(errs) != len(tt.errs) {
			t.Errorf("%s: errors %v, want %v", tt.name, errs, tt.errs)
			continue
		}
		for i, err := range errs {
			if !strings.HasPrefix(err.Error(), tt.errs[i]) {
				t.Errorf("%s: error %q, want prefix %q", tt.name, err, tt.errs[i])
			}
		}
		if tt.broken != (len(errs) > 0 && errors.Is(errs[len(errs)-1], feed.ErrBroken)) {
			t.Errorf("%s: broken = %v, errors %v", tt.name, !tt.broken, errs)
		}
	}
}
