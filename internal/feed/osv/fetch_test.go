package osv

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

const bucket = "/osv-vulnerabilities.storage.googleapis.com/Go/"

// fetchParse runs one update into memory and parses it.
func fetchParse(t *testing.T, u *Updater, prev feed.Fingerprint) (feed.Fingerprint, feed.Batch, error) {
	t.Helper()
	var buf bytes.Buffer
	fp, err := u.Fetch(context.Background(), prev, &buf)
	if err != nil {
		return fp, feed.Batch{}, err
	}
	b, err := u.Parse(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return fp, b, nil
}

func csv(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// TestIncremental: the first update fetches all.zip; after records are
// added, modified and withdrawn upstream, only those are fetched; with
// nothing new, the update is ErrUnchanged.
func TestIncremental(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(bucket+"all.zip", mustRead(t, "testdata/sample.zip"))
	for _, id := range sampleIDs {
		srv.Set(bucket+id+".json", mustRead(t, "testdata/records/"+id+".json"))
	}
	srv.Set(bucket+"modified_id.csv", csv(
		"2026-04-09T19:59:38Z,RUSTSEC-2026-0090",
		"2025-07-16T04:50:15Z,UBUNTU-CVE-2023-38545",
		"2024-08-21T16:25:56Z,GO-2022-0617",
		"2023-06-13T13:10:24Z,RUSTSEC-2021-0006",
		"2022-03-25T20:56:18Z,GHSA-jfh8-c2jp-5v3q",
		"2022-01-29T16:47:14.527876Z,PYSEC-2022-15",
		"2006-09-19T12:35:26Z,DEBIAN-CVE-2006-4334",
	))
	u, err := New(srv.Client(), "Go", Options{})
	if err != nil {
		t.Fatal(err)
	}

	fp1, b, err := fetchParse(t, u, feed.Fingerprint{})
	if err != nil {
		t.Fatal(err)
	}
	if fp1.Cursor != "2026-04-09T19:59:38Z" || fp1.ETag == "" || !strings.HasPrefix(fp1.Digest, "sha256:") {
		t.Errorf("first fingerprint %+v", fp1)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	if !b.Full || len(advs) != len(sampleIDs) || len(errs) > 0 {
		t.Errorf("first update: full %v, %d advisories, errors %v", b.Full, len(advs), errs)
	}
	if srv.Hits(bucket+"all.zip") != 1 || srv.TotalHits() != 2 {
		t.Errorf("first update made %d requests", srv.TotalHits())
	}

	// Upstream changes: a new record, a modified one, a withdrawn one.
	srv.ResetHits()
	srv.Set(bucket+"GO-2099-0001.json", []byte(`{"id":"GO-2099-0001","modified":"2026-05-01T00:00:00Z","summary":"new",
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}]}`))
	srv.Set(bucket+"GO-2022-0617.json", bytes.Replace(mustRead(t, "testdata/records/GO-2022-0617.json"),
		[]byte(`"modified": "0001-01-01T00:00:00Z"`), []byte(`"modified": "2026-05-02T00:00:00Z"`), 1))
	srv.Set(bucket+"RUSTSEC-2021-0006.json", bytes.Replace(mustRead(t, "testdata/records/RUSTSEC-2021-0006.json"),
		[]byte(`"modified": "2023-06-13T13:10:24Z",`), []byte(`"modified": "2026-05-03T00:00:00Z", "withdrawn": "2026-05-03T00:00:00Z",`), 1))
	srv.Set(bucket+"modified_id.csv", csv(
		"2026-05-03T00:00:00Z,RUSTSEC-2021-0006",
		"2026-05-02T00:00:00Z,GO-2022-0617",
		"2026-05-01T00:00:00Z,GO-2099-0001",
		"2026-04-09T19:59:38Z,RUSTSEC-2026-0090",
		"2025-07-16T04:50:15Z,UBUNTU-CVE-2023-38545",
	))
	fp2, b, err := fetchParse(t, u, fp1)
	if err != nil {
		t.Fatal(err)
	}
	if fp2.Cursor != "2026-05-03T00:00:00Z" {
		t.Errorf("second cursor %q", fp2.Cursor)
	}
	advs, errs = feedtest.Collect(b.Advisories)
	if b.Full || len(errs) > 0 || !slices.Equal(ids(advs), []string{"RUSTSEC-2021-0006", "GO-2022-0617", "GO-2099-0001"}) {
		t.Fatalf("second update: full %v, ids %v, errors %v", b.Full, ids(advs), errs)
	}
	if !advs[0].IsWithdrawn() || !advs[1].Modified.Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) || advs[2].Summary != "new" {
		t.Errorf("second update content: %+v", advs)
	}
	for _, p := range []string{"modified_id.csv", "RUSTSEC-2021-0006.json", "GO-2022-0617.json", "GO-2099-0001.json"} {
		if srv.Hits(bucket+p) != 1 {
			t.Errorf("%s fetched %d times", p, srv.Hits(bucket+p))
		}
	}
	if srv.TotalHits() != 4 {
		t.Errorf("second update made %d requests, want 4 (index + 3 records)", srv.TotalHits())
	}

	// Nothing new: the index answers 304.
	srv.ResetHits()
	if _, _, err := fetchParse(t, u, fp2); !errors.Is(err, feed.ErrUnchanged) || srv.TotalHits() != 1 {
		t.Errorf("third update: %v after %d requests, want ErrUnchanged after 1", err, srv.TotalHits())
	}
	// A server without validators: the index is read, nothing is newer.
	if _, _, err := fetchParse(t, u, feed.Fingerprint{Cursor: fp2.Cursor}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("unconditional third update: %v, want ErrUnchanged", err)
	}
}

func TestDeltaThresholdAndMissing(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(bucket+"all.zip", mustRead(t, "testdata/sample.zip"))
	srv.Set(bucket+"GO-2022-0617.json", mustRead(t, "testdata/records/GO-2022-0617.json"))
	srv.Set(bucket+"PYSEC-2022-15.json", []byte("{not json"))
	srv.Set(bucket+"modified_id.csv", csv(
		"2026-05-03T00:00:00Z,GO-2022-0617",
		"2026-05-02T00:00:00Z,GO-GONE",
		"2026-05-01T00:00:00Z,PYSEC-2022-15",
		"2026-01-01T00:00:00Z,GO-OLD",
	))
	prev := feed.Fingerprint{Cursor: "2026-02-01T00:00:00Z"}

	// Three changes against a threshold of two: the whole archive.
	u, _ := New(srv.Client(), "Go", Options{DeltaThreshold: 2})
	fp, b, err := fetchParse(t, u, prev)
	if err != nil || !b.Full || fp.Cursor != "2026-05-03T00:00:00Z" || srv.Hits(bucket+"all.zip") != 1 {
		t.Errorf("over the threshold: %v, full %v, %+v", err, b.Full, fp)
	}

	// Within it: a record that is gone and one that is not JSON are
	// reported by Parse, the good one imported.
	u, _ = New(srv.Client(), "Go", Options{DeltaThreshold: 3})
	_, b, err = fetchParse(t, u, prev)
	if err != nil {
		t.Fatal(err)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	if b.Full || !slices.Equal(ids(advs), []string{"GO-2022-0617"}) || len(errs) != 2 ||
		!strings.Contains(errs[0].Error(), "GO-GONE: listed in modified_id.csv but not found (404)") ||
		!strings.Contains(errs[1].Error(), "PYSEC-2022-15: invalid JSON") {
		t.Errorf("ids %v, errors %v", ids(advs), errs)
	}
}

func TestFetchErrors(t *testing.T) {
	srv := feedtest.NewServer(t)
	u, _ := New(srv.Client(), "Go", Options{})
	prev := feed.Fingerprint{Cursor: "2026-02-01T00:00:00Z"}

	// No index and no archive.
	if _, err := u.Fetch(context.Background(), feed.Fingerprint{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), srv.URL+bucket+"all.zip: 404") {
		t.Errorf("missing archive: %v", err)
	}
	// A garbled index names itself and the line; ids are checked before use
	// in a URL.
	srv.Set(bucket+"modified_id.csv", []byte("2026-05-03T00:00:00Z,GO-1\nyesterday,GO-2\n"))
	if _, err := u.Fetch(context.Background(), prev, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "modified_id.csv line 2") {
		t.Errorf("garbled index: %v", err)
	}
	srv.Set(bucket+"modified_id.csv", []byte("2026-05-03T00:00:00Z,GO-1?x=&y\n"))
	if _, err := u.Fetch(context.Background(), prev, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "bad id") {
		t.Errorf("path in index: %v", err)
	}
	// A record that keeps failing fails the update, naming its URL.
	srv.Set(bucket+"modified_id.csv", csv("2026-05-03T00:00:00Z,GO-1"))
	srv.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "GO-1.json") {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	if _, err := u.Fetch(context.Background(), prev, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), bucket+"GO-1.json: 503") {
		t.Errorf("failing record: %v", err)
	}
}

func TestNewRejectsUnknownEcosystem(t *testing.T) {
	for _, eco := range []string{"Debain", "", "Go/../x"} {
		if _, err := New(feed.NewClient(feed.Config{}), eco, Options{}); err == nil {
			t.Errorf("New(%q) accepted", eco)
		}
	}
	u, err := New(feed.NewClient(feed.Config{}), "Red Hat", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name() != "osv/Red Hat" || u.URLs()[0] != "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip" {
		t.Errorf("%s %v", u.Name(), u.URLs())
	}
}

// The runner writes into a file and parses that file; check the zip path
// reads straight from it.
func TestFetchIntoFile(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(bucket+"all.zip", mustRead(t, "testdata/sample.zip"))
	u, _ := New(srv.Client(), "Go", Options{})
	f, err := os.CreateTemp(t.TempDir(), "fetch")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fp, err := u.Fetch(context.Background(), feed.Fingerprint{}, f)
	if err != nil {
		t.Fatal(err)
	}
	if fp.Cursor != "" || fp.ETag == "" {
		t.Errorf("without an index the archive's validators are kept: %+v", fp)
	}
	f.Seek(0, 0)
	b, err := u.Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if advs, errs := feedtest.Collect(b.Advisories); len(advs) != len(sampleIDs) || errs != nil {
		t.Errorf("%d advisories, errors %v", len(advs), errs)
	}
	// The same archive again: 304 on the archive itself.
	if _, err := u.Fetch(context.Background(), fp, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("refetch: %v", err)
	}
}
