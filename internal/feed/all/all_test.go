package all

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

func TestDefault(t *testing.T) {
	ups, err := Default(feed.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range ups {
		names = append(names, u.Name())
		if len(u.URLs()) == 0 || !strings.HasPrefix(u.URLs()[0], "https://") {
			t.Errorf("%s: URLs %v", u.Name(), u.URLs())
		}
	}
	if len(ups) != 22+1+7+2 || names[0] != "osv/Debian" || names[21] != "osv/Bitnami" || names[22] != "debian" || names[23] != "alpine/v3.17" ||
		names[30] != "kev" || names[31] != "epss" {
		t.Errorf("updaters %v", names)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("duplicate names: %v", names)
	}

	ups, err = Default(feed.Config{OSVEcosystems: []string{"Go"}, AlpineBranches: []string{}, DebianTrackerURL: feed.Disabled, KEVURL: feed.Disabled, EPSSURL: "file:///srv/epss.csv.gz"})
	if err != nil || len(ups) != 2 || ups[1].URLs()[0] != "file:///srv/epss.csv.gz" {
		t.Errorf("trimmed list: %v %v", err, ups)
	}
	if _, err := Default(feed.Config{OSVEcosystems: []string{"Debain"}}); err == nil || !strings.Contains(err.Error(), `"Debain"`) {
		t.Errorf("unknown ecosystem: %v", err)
	}
}

// TestUpdateAll runs every kind of source end to end through a mirror
// with the packages' own sample data: the first run imports everything,
// the second finds nothing new.
func TestUpdateAll(t *testing.T) {
	srv := feedtest.NewServer(t)
	read := func(p string) []byte {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	srv.Set("/osv-vulnerabilities.storage.googleapis.com/Go/all.zip", read("../osv/testdata/sample.zip"))
	srv.Set("/osv-vulnerabilities.storage.googleapis.com/Go/modified_id.csv", []byte("2026-04-09T19:59:38Z,RUSTSEC-2026-0090\n"))
	srv.Set("/security-tracker.debian.org/tracker/data/json", read("../debian/testdata/tracker-vuls.json"))
	srv.Set("/secdb.alpinelinux.org/edge/main.json", read("../alpine/testdata/edge-main.json"))
	srv.Set("/secdb.alpinelinux.org/edge/community.json", read("../alpine/testdata/edge-community.json"))
	srv.Set("/www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", read("../kev/testdata/kev-sample.json"))
	srv.Set("/epss.empiricalsecurity.com/epss_scores-current.csv.gz", read("../epss/testdata/epss-sample.csv"))

	cfg := srv.Config()
	cfg.OSVEcosystems = []string{"Go"}
	cfg.AlpineBranches = []string{"edge"}
	ups, err := Default(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := feedtest.NewSink()
	rep, err := feed.Run(context.Background(), sink, ups, feed.RunOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatalf("%v\n%+v", err, rep)
	}
	for _, s := range rep.Sources {
		if s.Outcome != feed.OutcomeUpdated || s.Stats.Skipped != 0 {
			t.Errorf("%s: %+v", s.Source, s)
		}
	}
	counts := map[string]int{
		"osv/Go": len(sink.Advisories("osv/Go")), "debian": len(sink.Advisories("debian")),
		"alpine/edge": len(sink.Advisories("alpine/edge")), "kev": len(sink.KEV("kev")), "epss": len(sink.EPSS("epss")),
	}
	want := map[string]int{"osv/Go": 7, "debian": 4, "alpine/edge": 11, "kev": 5, "epss": 10}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d records, want %d", k, counts[k], v)
		}
	}

	srv.ResetHits()
	rep, err = feed.Run(context.Background(), sink, ups, feed.RunOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sources {
		if s.Outcome != feed.OutcomeUnchanged {
			t.Errorf("second run: %s %s", s.Source, s.Outcome)
		}
	}
	if srv.Hits("/osv-vulnerabilities.storage.googleapis.com/Go/all.zip") != 0 {
		t.Error("second run downloaded all.zip again")
	}
}
