package osv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/feed"
)

func FuzzParseRecord(f *testing.F) {
	files, _ := filepath.Glob("testdata/records/*.json")
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"X","affected":[{"ecosystem_specific":{"urgency":"low"},"database_specific":{"informational":"x"}}],"database_specific":{"severity":"HIGH"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseRecord(data)
		if err != nil {
			if !errors.Is(err, ErrRecord) {
				t.Fatalf("error %v does not wrap ErrRecord", err)
			}
			return
		}
		if a.ID == "" || a.Source != "osv" {
			t.Fatalf("accepted a record without id: %+v", a)
		}
		for _, s := range a.Severity {
			if s.Base < 0 || s.Base > 10 {
				t.Fatalf("score %v", s)
			}
		}
	})
}

// FuzzParse feeds Parse arbitrary archives and deltas: it must return or
// yield errors, never panic or hang.
func FuzzParse(f *testing.F) {
	zipData, err := os.ReadFile("testdata/sample.zip")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(zipData)
	f.Add([]byte(`{"format":"vigil-osv-delta/1","ecosystem":"Go","records":2,"skipped":[{"id":"A","reason":"r"}]}` + "\n" +
		`{"id":"GO-1","modified":"2024-01-01T00:00:00Z"}` + "\n" + `{"id":"GO-2"}` + "\n"))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	opts := Options{MaxRecordBytes: 1 << 20, MaxArchiveBytes: 8 << 20}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parse(context.Background(), "osv/Fuzz", bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		n := 0
		for a, err := range b.Advisories {
			if err == nil && a.ID == "" {
				t.Fatal("advisory without id")
			}
			if err != nil && !errors.Is(err, ErrRecord) && !errors.Is(err, feed.ErrBroken) {
				t.Fatalf("error %v is neither a bad record nor a broken input", err)
			}
			if n++; n > 100000 {
				t.Fatal("too many records")
			}
		}
	})
}
