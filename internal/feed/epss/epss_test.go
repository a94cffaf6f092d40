package epss

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

func parse(t *testing.T, data []byte) ([]advisory.EPSS, []error) {
	t.Helper()
	b, err := New(feed.NewClient(feed.Config{}), "").Parse(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Full || b.Source != "epss" || b.EPSS == nil || b.Advisories != nil || b.KEV != nil {
		t.Errorf("batch %+v", b)
	}
	return feedtest.Collect(b.EPSS)
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

var scoreDay = time.Date(2026, 9, 29, 0, 0, 0, 0, time.UTC)

func TestParseSample(t *testing.T) {
	plain, err := os.ReadFile("testdata/epss-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The excerpt's real last line, cut in the middle of the score.
	cut := append(plain[:len(plain):len(plain)], "CVE-1999-0550,0.01"...)
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz(t, plain), "cut": cut, "cut gzip": gz(t, cut)} {
		got, errs := parse(t, data)
		if len(got) != 10 {
			t.Errorf("%s: %d entries", name, len(got))
			continue
		}
		want := advisory.EPSS{CVE: "CVE-1999-0001", Score: 0.03351, Percentile: 0.88255, Date: scoreDay}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		wantErrs := 0
		if strings.HasPrefix(name, "cut") {
			wantErrs = 1
		}
		if len(errs) != wantErrs {
			t.Errorf("%s: errors %v", name, errs)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrLine) || errors.Is(err, feed.ErrBroken) || !strings.HasPrefix(err.Error(), "epss: line 13: ") {
				t.Errorf("%s: error %v", name, err)
			}
		}
	}
}

func TestParseLine(t *testing.T) {
	for _, bad := range []string{"CVE-1999-0550,0.01", "CVE-1,0.1,0.2", "cve-2024-1234,0.1,0.2", "CVE-2024-1234,x,0.2",
		"CVE-2024-1234,0.1,1.5", "CVE-2024-1234,-0.1,0.2", "CVE-2024-1234,NaN,0.2", "CVE-2024-1234,0.1,0.2,0.3", ""} {
		if _, err := ParseLine(bad); !errors.Is(err, ErrLine) {
			t.Errorf("%q: error %v", bad, err)
		}
	}
	e, err := ParseLine("CVE-2024-12345,0.00043,0.09123")
	if err != nil || e.CVE != "CVE-2024-12345" || e.Score != 0.00043 || e.Percentile != 0.09123 {
		t.Errorf("%+v, %v", e, err)
	}
}

func TestParseHeaders(t *testing.T) {
	// An older file without the comment: no date, same records.
	got, errs := parse(t, []byte("cve,epss,percentile\r\nCVE-2021-1234,0.5,0.9\r\n"))
	if len(got) != 1 || len(errs) != 0 || !got[0].Date.IsZero() || got[0].Score != 0.5 {
		t.Errorf("%+v %v", got, errs)
	}
	u := New(feed.NewClient(feed.Config{}), "")
	for name, in := range map[string][]byte{
		"empty":          nil,
		"comment only":   []byte("#model_version:v1,score_date:2026-01-01T00:00:00Z\n"),
		"wrong columns":  []byte("cve,score\nCVE-2021-1,0.5\n"),
		"html":           []byte("<html><body>Not found</body></html>"),
		"gzip, cut head": gz(t, []byte("#model_version"))[:12],
	} {
		if _, err := u.Parse(context.Background(), bytes.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "epss: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// A gzip stream cut in the middle is a broken batch, not a short one.
func TestBrokenGzip(t *testing.T) {
	plain, _ := os.ReadFile("testdata/epss-sample.csv")
	data := gz(t, bytes.Repeat(plain, 200))
	got, errs := parse(t, data[:len(data)/2])
	if len(errs) == 0 || !errors.Is(errs[len(errs)-1], feed.ErrBroken) {
		t.Errorf("%d entries, errors %v", len(got), errs)
	}
}

// TestShared imports the shared excerpt (534 records and a cut last line)
// through a mirror, gzipped as upstream serves it.
func TestShared(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(feedtest.SharedDir(t), "enrichment", "epss", "epss_scores-current.EXCERPT-first16000chars.csv"))
	if err != nil {
		t.Fatal(err)
	}
	srv := feedtest.NewServer(t)
	srv.SetUpstream(t, feed.DefaultEPSSURL, gz(t, data))
	u := New(srv.Client(), "")
	var buf bytes.Buffer
	if _, err := u.Fetch(context.Background(), feed.Fingerprint{}, &buf); err != nil {
		t.Fatal(err)
	}
	got, errs := parse(t, buf.Bytes())
	if len(got) != 534 || len(errs) != 1 || got[533].CVE != "CVE-1999-0549" || !got[533].Date.Equal(scoreDay) {
		t.Errorf("%d entries, last %+v, errors %v", len(got), got[len(got)-1], errs)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Score > got[i-1].Score && got[i].Percentile < got[i-1].Percentile {
			t.Errorf("%s: higher score, lower percentile than %s", got[i].CVE, got[i-1].CVE)
		}
	}
}

func FuzzParse(f *testing.F) {
	plain, err := os.ReadFile("testdata/epss-sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("cve,epss,percentile\nCVE-2024-1,1e-3,1\n"))
	u := New(feed.NewClient(feed.Config{}), "")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		for e, err := range b.EPSS {
			if err == nil && (!strings.HasPrefix(e.CVE, "CVE-") || e.Score < 0 || e.Score > 1 || e.Percentile < 0 || e.Percentile > 1) {
				t.Fatalf("entry %+v", e)
			}
			if err != nil && !errors.Is(err, ErrLine) && !errors.Is(err, feed.ErrBroken) {
				t.Fatalf("error %v", err)
			}
		}
	})
}
