package kev

import (
	"bytes"
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

func parse(t *testing.T, data []byte) ([]advisory.KEV, []error) {
	t.Helper()
	b, err := New(feed.NewClient(feed.Config{}), "").Parse(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Full || b.Source != "kev" || b.KEV == nil || b.Advisories != nil || b.EPSS != nil {
		t.Errorf("batch %+v", b)
	}
	return feedtest.Collect(b.KEV)
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func TestParseSample(t *testing.T) {
	data, err := os.ReadFile("testdata/kev-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	got, errs := parse(t, data)
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	want := []advisory.KEV{
		{CVE: "CVE-2025-48384", DateAdded: day("2025-08-25"), DueDate: day("2025-09-15"), Vendor: "Git", Product: "Git",
			RequiredAction: "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable."},
		{CVE: "CVE-2023-4911", DateAdded: day("2023-11-21"), DueDate: day("2023-12-12"), Vendor: "GNU", Product: "GNU C Library",
			RequiredAction: "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable."},
		{CVE: "CVE-2014-6271", DateAdded: day("2022-01-28"), DueDate: day("2022-07-28"), Vendor: "GNU", Product: "Bourne-Again Shell (Bash)",
			RequiredAction: "Apply updates per vendor instructions."},
	}
	if diff := cmp.Diff(want, got[:3]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if l := got[3]; l.CVE != "CVE-2021-44228" || !l.Ransomware || l.Vendor != "Apache" || l.Product != "Log4j2" {
		t.Errorf("log4j: %+v", l)
	}
}

func TestBadEntries(t *testing.T) {
	in := `{"catalogVersion": "x", "vulnerabilities": [
	  {"cveID": "CVE-2024-1", "dateAdded": "2024-01-02", "knownRansomwareCampaignUse": "Known"},
	  {"cveID": "", "dateAdded": "2024-01-02"},
	  {"cveID": "CVE-2024-2", "dateAdded": "02/01/2024"},
	  {"cveID": "CVE-2024-3", "dateAdded": "2024-01-02", "dueDate": "soon"},
	  {"cveID": "CVE-2024-1", "dateAdded": "2024-01-03"},
	  {"cveID": 5},
	  "nope"
	]}`
	got, errs := parse(t, []byte(in))
	if len(got) != 1 || got[0].CVE != "CVE-2024-1" || !got[0].Ransomware || !got[0].DueDate.IsZero() {
		t.Errorf("entries %+v", got)
	}
	want := []string{"kev: entry 2: cveID", "kev: entry 3: CVE-2024-2: dateAdded", "kev: entry 4: CVE-2024-3: dueDate", "kev: entry 5: CVE-2024-1 listed twice", "kev: entry 6: bad KEV entry", "kev: entry 7: bad KEV entry"}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, err := range errs {
		if !strings.HasPrefix(err.Error(), want[i]) || !errors.Is(err, ErrEntry) {
			t.Errorf("error %q, want prefix %q", err, want[i])
		}
	}
	u := New(feed.NewClient(feed.Config{}), "")
	data, _ := os.ReadFile("testdata/kev-sample.json")
	for name, in := range map[string]string{"cut": string(data[:len(data)-20]), "empty": "", "no list": `{"title": "x"}`, "html": "<html>"} {
		if _, err := u.Parse(context.Background(), strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "kev: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// TestShared imports the whole catalogue through a mirror.
func TestShared(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(feedtest.SharedDir(t), "enrichment", "kev", "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := feedtest.NewServer(t)
	srv.SetUpstream(t, feed.DefaultKEVURL, data)
	u := New(srv.Client(), "")
	var buf bytes.Buffer
	fp, err := u.Fetch(context.Background(), feed.Fingerprint{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, errs := parse(t, buf.Bytes())
	ransomware := 0
	first, last := got[0].DateAdded, got[0].DateAdded
	for _, k := range got {
		if k.Ransomware {
			ransomware++
		}
		if k.DateAdded.Before(first) {
			first = k.DateAdded
		}
		if k.DateAdded.After(last) {
			last = k.DateAdded
		}
	}
	// The data set's README: 1,404 entries, 293 with known ransomware use,
	// added 2021-11-03 … 2025-08-25.
	if len(got) != 1404 || len(errs) != 0 || ransomware != 293 || !first.Equal(day("2021-11-03")) || !last.Equal(day("2025-08-25")) {
		t.Errorf("%d entries (%d ransomware, %v…%v), errors %v", len(got), ransomware, first, last, errs)
	}
	if _, err := u.Fetch(context.Background(), fp, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("refetch: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/kev-sample.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"CVE-1","dateAdded":"2024-01-01","dueDate":""},{}]}`))
	u := New(feed.NewClient(feed.Config{}), "")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		for k, err := range b.KEV {
			if err == nil && (!strings.HasPrefix(k.CVE, "CVE-") || k.DateAdded.IsZero()) {
				t.Fatalf("entry %+v", k)
			}
			if err != nil && !errors.Is(err, ErrEntry) {
				t.Fatalf("error %v does not wrap ErrEntry", err)
			}
		}
	})
}
