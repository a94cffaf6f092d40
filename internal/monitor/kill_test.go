package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// TestKillMidReassessment kills (SIGKILL) a process in the middle of the
// re-assessment that follows the seed story's update, restarts it, and
// checks that the events in the store are exactly what the tracker and
// dpkg expect: nothing lost, nothing recorded twice.
func TestKillMidReassessment(t *testing.T) {
	if os.Getenv("VIGIL_MONITOR_CHILD") == "1" {
		runChild(t)
		return
	}
	shared := sharedtest.Dir(t, snapshots)
	feeds := filepath.Join(shared, "vulnfeeds/debian-derived")
	early, late := sharedtest.ReadTracker(t, filepath.Join(feeds, "snapshot-early/tracker.json")), sharedtest.ReadTracker(t, filepath.Join(feeds, "snapshot-late/tracker.json"))
	names := []string{"debian-minbase", "debian-app"}
	invs := map[string]*sbom.Inventory{}
	var want []string
	for _, name := range names {
		invs[name] = sharedtest.Inventory(t, filepath.Join(shared, "images", name))
		a, b := sharedtest.Affected(t, early, "bookworm", invs[name]), sharedtest.Affected(t, late, "bookworm", invs[name])
		for k := range b {
			if !a[k] {
				want = append(want, name+" "+k)
			}
		}
	}
	slices.Sort(want)

	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := be.DSN(t)
			vpath := filepath.Join(t.TempDir(), "vuln.db")
			db, err := vulndb.Open(ctx, vpath, vulndb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			importSnapshot(t, db, filepath.Join(feeds, "snapshot-early"))
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			svc, _ := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return db }})
			mon, _ := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }, Holder: "replica-1"})
			if _, err := mon.Reassess(ctx); err != nil {
				t.Fatal(err)
			}
			digests := map[sbom.Digest]string{}
			for _, name := range names {
				doc, _ := json.Marshal(invs[name])
				im, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(string(doc)), Wait: true})
				if err != nil {
					t.Fatal(err)
				}
				digests[im.Digest] = name
			}
			importSnapshot(t, db, filepath.Join(feeds, "snapshot-late"))
			db.Close()

			// The child re-assesses one package per transaction, slowly;
			// it is killed once some events are in.
			child := exec.Command(os.Args[0], "-test.run=^TestKillMidReassessment$")
			child.Env = append(os.Environ(), "VIGIL_MONITOR_CHILD=1", "VIGIL_CHILD_DSN="+dsn, "VIGIL_CHILD_VULNDB="+vpath)
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				evs, err := st.Events(ctx, 0, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) > 0 {
					break
				}
				if time.Now().After(deadline) {
					child.Process.Kill()
					t.Fatal("the child recorded no event in 2 minutes")
				}
				time.Sleep(20 * time.Millisecond)
			}
			child.Process.Kill()
			child.Wait()
			partial, _ := st.Events(ctx, 0, 100000)
			if len(partial) >= len(want) {
				t.Logf("the child had finished (%d events) before the kill; the restart is then a no-op", len(partial))
			}

			// The restarted replica finishes the job.
			db, err = vulndb.Open(ctx, vpath, vulndb.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			mon, _ = monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }, Holder: "replica-1"})
			// PostgreSQL frees the dead session's advisory lock once its
			// backend sees the connection gone: moments, not at once.
			for wait := time.Now().Add(30 * time.Second); ; {
				_, err := mon.Reassess(ctx)
				if err == nil {
					break
				}
				if !errors.Is(err, monitor.ErrBusy) || time.Now().After(wait) {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			all, err := st.Events(ctx, 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range all {
				if e.Type == store.EventFindingNew && e.Data.Package.Ecosystem == string(sbom.Deb) {
					got = append(got, digests[e.Digest]+" "+e.Data.Package.Name+" "+e.VulnID)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("finding.new after kill and restart (-tracker+dpkg +vigil):\n%s", diff)
			}
			t.Logf("killed after %d of %d events", len(partial), len(all))
			st.Close()
		})
	}
}

func runChild(t *testing.T) {
	ctx := context.Background()
	db, err := vulndb.Open(ctx, os.Getenv("VIGIL_CHILD_VULNDB"), vulndb.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, os.Getenv("VIGIL_CHILD_DSN"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mon, _ := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }, Holder: "replica-1",
		Chunk: 1, AfterChunk: func() { time.Sleep(300 * time.Millisecond) }})
	if _, err := mon.Reassess(ctx); err != nil {
		t.Fatal(err)
	}
}
