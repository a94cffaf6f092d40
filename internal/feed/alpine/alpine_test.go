package alpine

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

func parse(t *testing.T, branch string, docs ...[]byte) (map[string]advisory.Advisory, []error) {
	t.Helper()
	u := New(feed.NewClient(feed.Config{}), "", branch)
	b, err := u.Parse(context.Background(), bytes.NewReader(bytes.Join(docs, []byte("\n"))))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Full || b.Source != "alpine/"+branch {
		t.Errorf("batch %+v", b)
	}
	advs, errs := feedtest.Collect(b.Advisories)
	out := map[string]advisory.Advisory{}
	for _, a := range advs {
		out[a.ID] = a
	}
	return out, errs
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fixedIn(eco, pkg, v string) advisory.Affected {
	return advisory.Affected{Ecosystem: eco, Package: pkg, PURL: "pkg:apk/alpine/" + pkg + "?arch=source", Status: advisory.StatusFixed,
		Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: v}}}}}
}

func TestParseEdge(t *testing.T) {
	got, errs := parse(t, "edge", read(t, "testdata/edge-main.json"), read(t, "testdata/edge-community.json"))
	if len(errs) != 0 || len(got) != 11 {
		t.Errorf("%d advisories, errors %v", len(got), errs)
	}
	want := advisory.Advisory{
		ID: "CVE-2022-35014", Source: "alpine",
		References: []string{"https://security.alpinelinux.org/vuln/CVE-2022-35014"},
		Affected:   []advisory.Affected{fixedIn("Alpine:edge", "advancecomp", "2.4-r0")},
	}
	if diff := cmp.Diff(want, got["CVE-2022-35014"]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]advisory.Affected{fixedIn("Alpine:edge", "aom", "3.1.1-r0")}, got["CVE-2021-30473"].Affected); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseV311Main(t *testing.T) {
	got, errs := parse(t, "v3.11", read(t, "testdata/v3.11-main.json"))
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	pairs := 0
	for _, a := range got {
		pairs += len(a.Affected)
	}
	// Counted independently (a Python reading of the same rules).
	if len(got) != 1123 || pairs != 1179 {
		t.Errorf("%d advisories, %d affected packages; want 1123, 1179", len(got), pairs)
	}
	if diff := cmp.Diff([]advisory.Affected{fixedIn("Alpine:v3.11", "ansible", "2.9.3-r0")}, got["CVE-2019-14904"].Affected); diff != "" {
		t.Errorf("CVE-2019-14904 (-want +got):\n%s", diff)
	}
	// Another database's id on the same line is an alias; a remark in
	// parentheses a note.
	if a := got["CVE-2017-12122"]; !cmp.Equal(a.Aliases, []string{"TALOS-2017-0488"}) || a.Affected[0].Package != "sdl2_image" {
		t.Errorf("CVE-2017-12122: %+v", a)
	}
	if a := got["CVE-2017-16808"]; a.Affected[0].Package != "tcpdump" || a.Affected[0].Note != "AoE" {
		t.Errorf("CVE-2017-16808: %+v", a)
	}
}

func TestNotAffected(t *testing.T) {
	doc := `{"distroversion": "v3.20", "reponame": "main", "packages": [
	  {"pkg": {"name": "db", "secfixes": {"0": ["CVE-2016-0682"]}}},
	  {"pkg": {"name": "curl", "secfixes": {"0": ["CVE-2016-1"], "8.0-r0": ["CVE-2016-1"], "7.9-r0": ["CVE-2016-1 (incomplete)"], "8.0.1-r0": ["CVE-2016-1"]}}},
	  {"pkg": {"name": "php7", "secfixes": {"7.4.0-r0": ""}}},
	  {"pkg": {"name": "none"}}
	]}`
	got, errs := parse(t, "v3.20", []byte(doc))
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	want := map[string]advisory.Advisory{
		"CVE-2016-0682": {ID: "CVE-2016-0682", Source: "alpine", References: []string{"https://security.alpinelinux.org/vuln/CVE-2016-0682"},
			Affected: []advisory.Affected{{Ecosystem: "Alpine:v3.20", Package: "db", PURL: "pkg:apk/alpine/db?arch=source", Status: advisory.StatusNotAffected}}},
		// Listed under several versions: the latest fix counts.
		"CVE-2016-1": {ID: "CVE-2016-1", Source: "alpine", References: []string{"https://security.alpinelinux.org/vuln/CVE-2016-1"},
			Affected: []advisory.Affected{func() advisory.Affected {
				a := fixedIn("Alpine:v3.20", "curl", "8.0.1-r0")
				a.Note = "incomplete"
				return a
			}()}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseItem(t *testing.T) {
	tests := []struct {
		in      string
		ids     []string
		aliases []string
		note    string
	}{
		{"CVE-2019-14904", []string{"CVE-2019-14904"}, nil, ""},
		{"CVE-2017-8903 XSA-213", []string{"CVE-2017-8903"}, []string{"XSA-213"}, ""},
		{"CVE-2018-3620   XSA-273", []string{"CVE-2018-3620"}, []string{"XSA-273"}, ""},
		{"CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI", []string{"CVE-2017-5753", "CVE-2017-5715", "CVE-2017-5754"}, []string{"XSA-254"}, ""},
		{"CVE-2018-14462 (ICMP)", []string{"CVE-2018-14462"}, nil, "ICMP"},
		{"CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)", []string{"CVE-2018-10103"}, nil, "SMB - partially fixed, but SMB printing disabled"},
		{"CVE 2018-16859", []string{"CVE-2018-16859"}, nil, ""},
		{"CVE_2019-2426", []string{"CVE-2019-2426"}, nil, ""},
		{"CVE-2017-8073.patch", []string{"CVE-2017-8073"}, nil, ""},
		{"CVE-2017-17434-1", []string{"CVE-2017-17434"}, nil, ""},
		{"CVE-????-?????  XSA-284", []string{"XSA-284"}, nil, ""},
		{"XSA-207", []string{"XSA-207"}, nil, ""},
		{"wnpa-sec-2017-18", []string{"wnpa-sec-2017-18"}, nil, ""},
		{"CVE-2017-12122 TALOS-2017-0488", []string{"CVE-2017-12122"}, []string{"TALOS-2017-0488"}, ""},
	}
	for _, tt := range tests {
		e, err := parseItem(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !cmp.Equal(e.ids, tt.ids) || !cmp.Equal(e.aliases, tt.aliases, cmp.Comparer(func(a, b []string) bool {
			return len(a) == len(b) && (len(a) == 0 || cmp.Equal([]string(a), []string(b)))
		})) || e.note != tt.note {
			t.Errorf("%q: ids %q aliases %q note %q", tt.in, e.ids, e.aliases, e.note)
		}
	}
	for _, bad := range []string{"", "XPTI", "fixed", "CVE-????-?????", "(only a note)"} {
		if _, err := parseItem(bad); err == nil || !errors.Is(err, ErrEntry) {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	doc := `{"distroversion": "v3.20", "reponame": "main", "packages": [
	  {"pkg": {"name": "", "secfixes": {"1-r0": ["CVE-2020-1"]}}},
	  {"pkg": {"name": "a", "secfixes": ["CVE-2020-2"]}},
	  {"pkg": {"name": "b", "secfixes": {"1-r0": "CVE-2020-3", "2-r0": [7, "CVE-2020-4", "nonsense"], " ": ["CVE-2020-5"]}}},
	  "not a package"
	]}`
	got, errs := parse(t, "v3.20", []byte(doc))
	want := []string{
		"alpine/v3.20: v3.20/main package 1: no name",
		"alpine/v3.20: v3.20/main a: secfixes: bad secdb entry",
		`alpine/v3.20: v3.20/main b: secfixes " ": empty version`,
		"alpine/v3.20: v3.20/main b: secfixes 1-r0: bad secdb entry",
		"alpine/v3.20: v3.20/main b: secfixes 2-r0: item 7 is not a string",
		`alpine/v3.20: v3.20/main b: secfixes 2-r0: no vulnerability id in "nonsense"`,
		"alpine/v3.20: v3.20/main package 4: bad secdb entry",
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, err := range errs {
		if !strings.HasPrefix(err.Error(), want[i]) || !errors.Is(err, ErrEntry) {
			t.Errorf("error %q, want prefix %q", err, want[i])
		}
	}
	if len(got) != 1 || got["CVE-2020-4"].ID == "" {
		t.Errorf("advisories %v", got)
	}
	u := New(feed.NewClient(feed.Config{}), "", "v3.20")
	for name, in := range map[string]string{"cut": doc[:len(doc)/2], "empty": "", "not json": "<html>", "second cut": doc + "\n{\"distroversion\":"} {
		if _, err := u.Parse(context.Background(), strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "alpine/v3.20: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestFetch(t *testing.T) {
	srv := feedtest.NewServer(t)
	main, community := read(t, "testdata/edge-main.json"), read(t, "testdata/edge-community.json")
	srv.Set("/secdb.alpinelinux.org/edge/main.json", main)
	srv.Set("/secdb.alpinelinux.org/edge/community.json", community)
	u := New(srv.Client(), "", "edge")
	if diff := cmp.Diff([]string{"https://secdb.alpinelinux.org/edge/main.json", "https://secdb.alpinelinux.org/edge/community.json"}, u.URLs()); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	fp, err := u.Fetch(context.Background(), feed.Fingerprint{}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := u.Parse(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if advs, errs := feedtest.Collect(b.Advisories); len(advs) != 11 || errs != nil {
		t.Errorf("%d advisories, errors %v", len(advs), errs)
	}
	if _, err := u.Fetch(context.Background(), fp, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("unchanged content: %v", err)
	}
	srv.Delete("/secdb.alpinelinux.org/edge/community.json")
	if _, err := u.Fetch(context.Background(), fp, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "/secdb.alpinelinux.org/edge/community.json: 404") {
		t.Errorf("missing file: %v", err)
	}
}

// TestShared parses every secdb file of the shared data, branch by branch,
// against counts made independently.
func TestShared(t *testing.T) {
	dir := filepath.Join(feedtest.SharedDir(t), "distro", "alpine-secdb")
	for _, tt := range []struct {
		dir               string
		advisories, pairs int
	}{
		{"fixtures-current-json/edge", 11, 11},
		{"fixtures-current-json/v3.16", 3, 3},
		{"fixtures-current-json/v3.2", 1, 1},
		{"v3.10", 1735, 1870},
		{"v3.11", 1916, 2065},
		{"v3.3", 458, 461},
		{"v3.4", 680, 683},
		{"v3.5", 880, 924},
		{"v3.6", 1050, 1105},
		{"v3.7", 1406, 1474},
		{"v3.8", 1507, 1605},
		{"v3.9", 1582, 1694},
	} {
		files, _ := filepath.Glob(filepath.Join(dir, tt.dir, "*.json"))
		var docs [][]byte
		for _, f := range files {
			docs = append(docs, read(t, f))
		}
		got, errs := parse(t, filepath.Base(tt.dir), docs...)
		pairs := 0
		for _, a := range got {
			pairs += len(a.Affected)
		}
		if len(got) != tt.advisories || pairs != tt.pairs || len(errs) != 0 {
			t.Errorf("%s: %d advisories, %d pairs, errors %v; want %d, %d", tt.dir, len(got), pairs, errs, tt.advisories, tt.pairs)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, fn := range []string{"testdata/edge-main.json", "testdata/edge-community.json"} {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"distroversion":"v3.20","packages":[{"pkg":{"name":"x","secfixes":{"0":["CVE-1 XSA-2 (n)"],"1-r0":"","2-r0":[1]}}}]}`))
	u := New(feed.NewClient(feed.Config{}), "", "v3.20")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := u.Parse(context.Background(), bytes.NewReader(data))
		if err != nil {
			return
		}
		for a, err := range b.Advisories {
			if err == nil && (a.ID == "" || len(a.Affected) == 0) {
				t.Fatalf("advisory %+v", a)
			}
			if err != nil && !errors.Is(err, ErrEntry) {
				t.Fatalf("error %v does not wrap ErrEntry", err)
			}
		}
	})
}

func FuzzParseItem(f *testing.F) {
	for _, s := range []string{"CVE-2017-5753 CVE-2017-5715 XSA-254 XPTI", "CVE 2018-16859", "CVE-????-?????  XSA-284", "CVE-2018-14462 (ICMP)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseItem(s)
		if err != nil {
			return
		}
		if len(e.ids) == 0 {
			t.Fatal("no id")
		}
		for _, id := range e.ids {
			if id == "" || strings.ContainsAny(id, " \t\n()?") {
				t.Fatalf("id %q", id)
			}
		}
	})
}
