package debian

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

func parseFile(t *testing.T, path string) (map[string]advisory.Advisory, []error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(t, data)
}

func parseBytes(t *testing.T, data []byte) (map[string]advisory.Advisory, []error) {
	t.Helper()
	u := New(feed.NewClient(feed.Config{}), "")
	b, err := u.Parse(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Full || b.Source != "debian" {
		t.Errorf("batch %+v", b)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	out := map[string]advisory.Advisory{}
	for _, a := range advs {
		if _, dup := out[a.ID]; dup {
			t.Errorf("%s yielded twice", a.ID)
		}
		out[a.ID] = a
	}
	return out, errs
}

func since0(fixed string) []advisory.Range {
	ev := []advisory.Event{{Introduced: "0"}}
	if fixed != "" {
		ev = append(ev, advisory.Event{Fixed: fixed})
	}
	return []advisory.Range{{Type: "ECOSYSTEM", Events: ev}}
}

func TestParseStatuses(t *testing.T) {
	got, errs := parseFile(t, "testdata/tracker-vuls.json")
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	purl := "pkg:deb/debian/389-ds-base?arch=source"
	want := map[string]advisory.Advisory{
		"CVE-2012-0833": {
			ID: "CVE-2012-0833", Source: "debian",
			Details:    "The acllas__handle_group_entry function in servers/plugins/acl/acllas.c in 389 Directory Server before 1.2.10 does not properly handled access control instructions (ACIs) that use certificate groups, which allows remote authenticated LDAP users with a certificate group to cause a denial of service (infinite loop and CPU consumption) by binding to the server.",
			References: []string{"https://security-tracker.debian.org/tracker/CVE-2012-0833"},
			Severity:   []advisory.Score{{Type: "distro", Vector: "unimportant", Source: "debian"}},
			Affected: []advisory.Affected{
				{Ecosystem: "Debian:11", Package: "389-ds-base", PURL: purl, Status: advisory.StatusNotAffected, Severity: "unimportant"},
				{Ecosystem: "Debian:sid", Package: "389-ds-base", PURL: purl, Status: advisory.StatusNotAffected, Severity: "unimportant"},
			},
		},
		"CVE-2016-5416": {
			ID: "CVE-2016-5416", Source: "debian",
			Details:    "389 Directory Server in Red Hat Enterprise Linux Desktop 6 through 7, Red Hat Enterprise Linux HPC Node 6 through 7, Red Hat Enterprise Linux Server 6 through 7, and Red Hat Enterprise Linux Workstation 6 through 7 allows remote attackers to read the default Access Control Instructions.",
			References: []string{"https://security-tracker.debian.org/tracker/CVE-2016-5416", "https://bugs.debian.org/834233"},
			Affected: []advisory.Affected{
				{Ecosystem: "Debian:11", Package: "389-ds-base", PURL: purl, Status: advisory.StatusWontFix, Ranges: since0(""), Note: "no-dsa (ignored): Minor issue"},
				{Ecosystem: "Debian:sid", Package: "389-ds-base", PURL: purl, Status: advisory.StatusNotFixed, Ranges: since0("")},
			},
		},
		"TEMP-0000000-0CA7E3": {
			ID: "TEMP-0000000-0CA7E3", Source: "debian",
			References: []string{"https://security-tracker.debian.org/tracker/TEMP-0000000-0CA7E3"},
			Severity:   []advisory.Score{{Type: "distro", Vector: "unimportant", Source: "debian"}},
			Affected: []advisory.Affected{
				{Ecosystem: "Debian:11", Package: "wordpress", PURL: "pkg:deb/debian/wordpress?arch=source", Status: advisory.StatusNotAffected, Severity: "unimportant"},
				{Ecosystem: "Debian:sid", Package: "wordpress", PURL: "pkg:deb/debian/wordpress?arch=source", Status: advisory.StatusNotAffected, Severity: "unimportant"},
			},
		},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, got[id]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
	fixed := got["CVE-2016-5405"].Affected[0]
	if fixed.Status != advisory.StatusFixed || cmp.Diff(since0("1.3.5.15-1"), fixed.Ranges) != "" || fixed.Severity != "" {
		t.Errorf("CVE-2016-5405 bullseye: %+v", fixed)
	}
	if len(got) != 4 {
		t.Errorf("%d advisories, want 4", len(got))
	}
}

func TestParseVunnelExcerpt(t *testing.T) {
	got, errs := parseFile(t, "testdata/tracker-vunnel.json")
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	// chromium: end-of-life releases will not be fixed; the rest resolved.
	want := []advisory.Affected{
		{Ecosystem: "Debian:9", Package: "chromium", PURL: "pkg:deb/debian/chromium?arch=source", Status: advisory.StatusWontFix, Ranges: since0(""), Note: "end-of-life"},
		{Ecosystem: "Debian:10", Package: "chromium", PURL: "pkg:deb/debian/chromium?arch=source", Status: advisory.StatusWontFix, Ranges: since0(""), Note: "end-of-life"},
		{Ecosystem: "Debian:11", Package: "chromium", PURL: "pkg:deb/debian/chromium?arch=source", Status: advisory.StatusFixed, Ranges: since0("98.0.4758.80-1~deb11u1")},
		{Ecosystem: "Debian:12", Package: "chromium", PURL: "pkg:deb/debian/chromium?arch=source", Status: advisory.StatusFixed, Ranges: since0("98.0.4758.80-1")},
		{Ecosystem: "Debian:sid", Package: "chromium", PURL: "pkg:deb/debian/chromium?arch=source", Status: advisory.StatusFixed, Ranges: since0("98.0.4758.80-1")},
	}
	if diff := cmp.Diff(want, got["CVE-2022-0456"].Affected); diff != "" {
		t.Errorf("CVE-2022-0456 (-want +got):\n%s", diff)
	}
	// "high**": the stars (urgency not yet confirmed) are dropped.
	if a := got["CVE-2008-7220"]; a.Affected[0].Severity != "high" || a.Severity[0].Vector != "high" || a.References[1] != "https://bugs.debian.org/555217" {
		t.Errorf("CVE-2008-7220: %+v", a)
	}
	if a := got["CVE-2025-53603"]; len(a.Affected) != 4 || a.Affected[3].Ecosystem != "Debian:sid" || a.Affected[2].Ecosystem != "Debian:13" {
		t.Errorf("CVE-2025-53603: %+v", a.Affected)
	}
	// "releases": [] — the tracker's empty array for no releases.
	if a, ok := got["CVE-2022-0358"]; !ok || len(a.Affected) != 0 {
		t.Errorf("CVE-2022-0358: %+v", a)
	}
	if len(got) != 7 {
		t.Errorf("%d advisories, want 7", len(got))
	}
}

func TestParseBadEntries(t *testing.T) {
	in := `{
	 "good": {"CVE-2024-1": {"releases": {"bookworm": {"status": "open", "urgency": "low"}}}},
	 "notobj": ["x", {"y": 1}],
	 "mixed": {
	   "CVE-2024-2": {"releases": {"bookworm": {"status": "maybe"}, "trixie": {"status": "resolved", "fixed_version": "2"}}},
	   "CVE-2024-3": "not an object",
	   "CVE-2024-4": {"releases": {"bookworm": {"status": 7}}},
	   "CVE-2024-5": {"releases": "nope"},
	   "CVE-2024-6": {"releases": {"bookworm": {"status": "open", "nodsa_reason": "postponed"}, "bullseye": {"status": "undetermined"}}}
	 }
	}`
	got, errs := parseBytes(t, []byte(in))
	wantErrs := []string{
		`debian: package "notobj": not an object`,
		`debian: package "mixed", CVE-2024-2: release bookworm: unknown status "maybe"`,
		`debian: package "mixed", CVE-2024-3: bad tracker entry`,
		`debian: package "mixed", CVE-2024-4: release bookworm: bad tracker entry`,
		`debian: package "mixed", CVE-2024-5: releases: bad tracker entry`,
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors %v", errs)
	}
	for i, err := range errs {
		if !strings.HasPrefix(err.Error(), wantErrs[i]) || !errors.Is(err, ErrEntry) {
			t.Errorf("error %q, want prefix %q", err, wantErrs[i])
		}
	}
	if a := got["CVE-2024-2"]; len(a.Affected) != 1 || a.Affected[0].Ecosystem != "Debian:13" {
		t.Errorf("the good release of CVE-2024-2 is kept: %+v", a)
	}
	a := got["CVE-2024-6"]
	if len(a.Affected) != 2 || a.Affected[0].Status != advisory.StatusAffected || a.Affected[0].Note != "undetermined" ||
		a.Affected[1].Status != advisory.StatusPostponed || a.Affected[1].Note != "no-dsa (postponed)" {
		t.Errorf("CVE-2024-6: %+v", a.Affected)
	}
	if got["CVE-2024-1"].Affected[0].Status != advisory.StatusNotFixed {
		t.Errorf("CVE-2024-1: %+v", got["CVE-2024-1"])
	}
}

func TestParseRejectsBrokenFiles(t *testing.T) {
	full, err := os.ReadFile("testdata/tracker-vunnel.json")
	if err != nil {
		t.Fatal(err)
	}
	u := New(feed.NewClient(feed.Config{}), "")
	for name, in := range map[string]string{
		"cut":        string(full[:len(full)/2]),
		"cut at end": strings.TrimRight(string(full), "}\n "),
		"empty":      "",
		"array":      "[]",
		"two":        `{} {}`,
		"garbage":    "<html>",
	} {
		if _, err := u.Parse(context.Background(), strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "debian: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// TestShared parses every tracker file of the shared data: the three
// fixtures and the Debian 12 reconstruction with its two snapshots.
func TestShared(t *testing.T) {
	dir := feedtest.SharedDir(t)
	for _, tt := range []struct {
		file             string
		advisories, errs int
	}{
		{"distro/debian-security-tracker/fixtures/vunnel-debian.json", 7, 0},
		{"distro/debian-security-tracker/fixtures/vuls-data-update-advisory.json", 4, 0},
		// clair's hand-annotated fixture has a resolved release without a
		// fixed version; "_comment" keys are ignored.
		{"distro/debian-security-tracker/fixtures/clair-fetcher_debian_test.json", 3, 0},
		{"debian-derived/tracker.json", 6121, 0},
		{"debian-derived/snapshot-early/tracker.json", 4733, 0},
		{"debian-derived/snapshot-late/tracker.json", 6121, 0},
	} {
		got, errs := parseFile(t, filepath.Join(dir, tt.file))
		if len(got) != tt.advisories || len(errs) != tt.errs {
			t.Errorf("%s: %d advisories, errors %v", tt.file, len(got), errs)
		}
	}
	// Grouped by CVE across packages.
	got, _ := parseFile(t, filepath.Join(dir, "distro/debian-security-tracker/fixtures/clair-fetcher_debian_test.json"))
	a := got["CVE-2003-0779"]
	if len(a.Affected) != 3 || a.Affected[0].Package != "aptdaemon" || a.Affected[2].Package != "asterisk" ||
		a.Affected[2].Ranges[0].Events[1].Fixed != "0.5.56" || a.Details != "But this one is very dangerous." {
		t.Errorf("CVE-2003-0779: %+v", a)
	}
	if w := got["CVE-2015-1323"].Affected; w[0].Ecosystem != "Debian:7" || w[0].Status != advisory.StatusFixed || w[0].Ranges != nil || w[0].Note != "resolved without a fixed version" {
		t.Errorf("CVE-2015-1323 wheezy: %+v", w[0])
	}
	// Six source packages share CVEs in the reconstruction: 6131 records,
	// 6121 CVEs.
	got, _ = parseFile(t, filepath.Join(dir, "debian-derived/tracker.json"))
	pairs := 0
	for _, a := range got {
		pairs += len(a.Affected)
		for _, af := range a.Affected {
			if af.Ecosystem != "Debian:12" || af.Status != advisory.StatusFixed || len(af.Ranges) != 1 {
				t.Fatalf("%s: %+v", a.ID, af)
			}
		}
	}
	if pairs != 6131 {
		t.Errorf("%d (package, CVE) pairs, want 6131", pairs)
	}
}

func TestFetch(t *testing.T) {
	srv := feedtest.NewServer(t)
	data, _ := os.ReadFile("testdata/tracker-vuls.json")
	srv.SetUpstream(t, feed.DefaultDebianTrackerURL, data)
	u := New(srv.Client(), "")
	var buf bytes.Buffer
	fp, err := u.Fetch(context.Background(), feed.Fingerprint{}, &buf)
	if err != nil || !bytes.Equal(buf.Bytes(), data) || fp.ETag == "" {
		t.Fatalf("fetch: %v, %+v", err, fp)
	}
	if _, err := u.Fetch(context.Background(), fp, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("second fetch: %v", err)
	}
	// Same bytes without validators: unchanged by digest.
	if _, err := u.Fetch(context.Background(), feed.Fingerprint{Digest: fp.Digest}, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("fetch by digest: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, fn := range []string{"testdata/tracker-vunnel.json", "testdata/tracker-vuls.json", "testdata/tracker-derived-gzip.json"} {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"p": {"CVE-1": {"releases": []}}, "q": [1, {"a": [2]}]}`))
	u := New(feed.NewClient(feed.Config{}), "")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		for a, err := range b.Advisories {
			if err == nil && (a.ID == "" || a.Source != "debian") {
				t.Fatalf("advisory %+v", a)
			}
			if err != nil && !errors.Is(err, ErrEntry) {
				t.Fatalf("error %v does not wrap ErrEntry", err)
			}
		}
	})
}
