package monitor_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed/debian"
	"github.com/vigilproject/vigil/internal/feed/osv"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// importSnapshot applies a snapshot's tracker and OSV archive as full
// batches, as `vigil db update` would after the upstream files changed.
func importSnapshot(t testing.TB, db *vulndb.DB, dir string) {
	t.Helper()
	u, err := osv.New(nil, "Debian", osv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sharedtest.Import(t, db, debian.New(nil, ""), filepath.Join(dir, "tracker.json"))
	sharedtest.Import(t, db, u, filepath.Join(dir, "osv/Debian/all.zip"))
}

const snapshots = "vulnfeeds/debian-derived/snapshot-early/tracker.json"

// TestSeedStory is the story of the seed: images registered against an
// early snapshot of the Debian data go bad when the late snapshot brings
// new advisories. The monitor must record exactly one finding.new per
// (image, package, CVE) that the late snapshot affects and the early one
// did not, as the tracker and dpkg say, and the full re-assessment must
// agree with the delta.
func TestSeedStory(t *testing.T) {
	shared := sharedtest.Dir(t, snapshots)
	feeds := filepath.Join(shared, "vulnfeeds/debian-derived")
	early, late := sharedtest.ReadTracker(t, filepath.Join(feeds, "snapshot-early/tracker.json")), sharedtest.ReadTracker(t, filepath.Join(feeds, "snapshot-late/tracker.json"))
	invs := map[string]*sbom.Inventory{}
	for _, name := range []string{"debian-minbase", "debian-app"} {
		invs[name] = sharedtest.Inventory(t, filepath.Join(shared, "images", name))
	}
	// The oracle: per image, what late affects and early did not.
	want := map[string][]string{}
	for name, inv := range invs {
		a, b := sharedtest.Affected(t, early, "bookworm", inv), sharedtest.Affected(t, late, "bookworm", inv)
		for k := range b {
			if !a[k] {
				want[name] = append(want[name], k)
			}
		}
		slices.Sort(want[name])
		if len(want[name]) == 0 {
			t.Fatalf("%s: the snapshots differ in nothing for it: the test would prove nothing", name)
		}
	}

	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vuln.db"), vulndb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			importSnapshot(t, db, filepath.Join(feeds, "snapshot-early"))
			st := storetest.Open(t, be.DSN(t), store.Options{})
			svc, err := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return db }})
			if err != nil {
				t.Fatal(err)
			}
			mon, err := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }})
			if err != nil {
				t.Fatal(err)
			}
			// The monitor's cursor starts where the database is now.
			if _, err := mon.Reassess(ctx); err != nil {
				t.Fatal(err)
			}
			digests := map[sbom.Digest]string{}
			before := map[string]store.Image{}
			wasBad := map[string]bool{}
			for name, inv := range invs {
				doc, _ := json.Marshal(inv)
				im, err := svc.AddSBOM(ctx, images.SBOMUpload{Name: "registry.example/" + name + ":1", Body: strings.NewReader(string(doc)), Wait: true})
				if err != nil {
					t.Fatal(err)
				}
				digests[im.Digest] = name
				before[name] = im
				live, err := svc.Findings(ctx, im.Digest)
				if err != nil {
					t.Fatal(err)
				}
				wasBad[name] = bad(live.Findings)
			}

			importSnapshot(t, db, filepath.Join(feeds, "snapshot-late"))
			res, err := mon.Reassess(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			wentBad := map[string]int{}
			others := map[string]int{}
			for _, e := range res.Events {
				name := digests[e.Digest]
				switch e.Type {
				case store.EventFindingNew:
					if e.Data.Package.Ecosystem == string(sbom.Deb) {
						got[name] = append(got[name], e.Data.Package.Name+" "+e.VulnID)
					}
				case store.EventImageWentBad:
					wentBad[name]++
				default:
					others[e.Type]++
				}
			}
			for name := range invs {
				slices.Sort(got[name])
				if diff := cmp.Diff(want[name], got[name]); diff != "" {
					t.Errorf("%s: finding.new (-tracker+dpkg +vigil):\n%s", name, diff)
				}
			}
			t.Logf("delta: %d changes, %d keys, %d packages, %d events (%v other) in %v", res.Changes, res.Keys, res.Packages, len(res.Events), others, res.Took)

			// Stored counts agree with a scan of each image now, and the
			// threshold events with the counts before and after.
			for name := range invs {
				im, err := st.Image(ctx, before[name].Digest)
				if err != nil {
					t.Fatal(err)
				}
				live, err := svc.Findings(ctx, im.Digest)
				if err != nil {
					t.Fatal(err)
				}
				if ver, _ := db.Version(ctx); im.DBVersion != ver {
					t.Errorf("%s: assessed against database version %d, want the current %d", name, im.DBVersion, ver)
				}
				sum := store.Summarize(live.Findings)
				if diff := cmp.Diff(sum, im.Summary); diff != "" {
					t.Errorf("%s: stored counts differ from a scan now (-scan +stored):\n%s", name, diff)
				}
				wantBad := 0
				if !wasBad[name] && bad(live.Findings) {
					wantBad = 1
				}
				if wentBad[name] != wantBad {
					t.Errorf("%s: %d image.went_bad events, want %d (bad before: %v, after: %v)", name, wentBad[name], wantBad, wasBad[name], bad(live.Findings))
				}
			}

			// Nothing twice: the same run again finds nothing, and the full
			// re-assessment agrees with the delta.
			again, err := mon.Reassess(ctx)
			if err != nil || len(again.Events) != 0 {
				t.Errorf("second delta run: %d events, %v; want none", len(again.Events), err)
			}
			full, err := mon.ReassessAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Events) != 0 {
				t.Errorf("full re-assessment after the delta recorded %d events (first: %+v); want none", len(full.Events), full.Events[0])
			}
			t.Logf("full re-assessment: %d packages in %v", full.Packages, full.Took)
		})
	}
}

// bad is the default threshold, computed from a scan's findings.
func bad(fs []advisory.Finding) bool {
	for _, f := range fs {
		if f.Suppressed == nil && (f.KEV != nil || f.Fixable() && f.Severity == advisory.SeverityCritical) {
			return true
		}
	}
	return false
}
