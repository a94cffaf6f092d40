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

// TestKillMidReassessment kills (SIGKILL) a process during the
// re-assessment that follows the seed story's update, restarts it, and
// checks that the events in the store are exactly what the tracker and
// dpkg expect: nothing lost, nothing recorded twice. It kills at two
// points: in the middle (one package per transaction, once some events
// are in), and after the last transaction committed but before the
// monitor saved its cursor in the change log (one transaction for all),
// where the restart evaluates every change again and must record nothing.
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
		for _, mode := range []string{"mid", "after-commit"} {
			t.Run(be.Name+"/"+mode, func(t *testing.T) {
				killReassessment(t, be, mode, feeds, names, invs, want)
			})
		}
	}
}

func killReassessment(t *testing.T, be storetest.Backend, mode, feeds string, names []string, invs map[string]*sbom.Inventory, want []string) {
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

	// "mid": the child re-assesses one package per transaction,
	// slowly, and is killed once some events are in.
	// "after-commit": it re-assesses everything in one
	// transaction, then says so in a file and waits to be killed
	// before it can save its cursor.
	marker := filepath.Join(t.TempDir(), "committed")
	child := exec.Command(os.Args[0], "-test.run=^TestKillMidReassessment$")
	child.Env = append(os.Environ(), "VIGIL_MONITOR_CHILD=1", "VIGIL_CHILD_DSN="+dsn, "VIGIL_CHILD_VULNDB="+vpath,
		"VIGIL_CHILD_MODE="+mode, "VIGIL_CHILD_MARKER="+marker)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var ready bool
		if mode == "mid" {
			evs, err := st.Events(ctx, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			ready = len(evs) > 0
		} else {
			_, err := os.Stat(marker)
			ready = err == nil
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("%s: the child did not get there in 2 minutes", mode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()
	partial, _ := st.Events(ctx, 0, 100000)
	if mode == "mid" && len(partial) >= len(want) {
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
	var res *monitor.Result
	for wait := time.Now().Add(30 * time.Second); ; {
		res, err = mon.Reassess(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, monitor.ErrBusy) || time.Now().After(wait) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if mode == "after-commit" {
		// Every change is evaluated again, and nothing recorded.
		if res.Changes == 0 || len(res.Events) != 0 {
			t.Errorf("restart after the commit: %d changes, %d events; want the changes again and no event", res.Changes, len(res.Events))
		}
		// The restart saved the cursor: a third run has nothing to do.
		again, err := mon.Reassess(ctx)
		if err != nil || again.Changes != 0 || len(again.Events) != 0 {
			t.Errorf("run after the restart: %+v, %v; want no change", again, err)
		}
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
	cfg := monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }, Holder: "replica-1",
		Chunk: 1, AfterChunk: func() { time.Sleep(300 * time.Millisecond) }}
	if os.Getenv("VIGIL_CHILD_MODE") == "after-commit" {
		cfg.Chunk = 1 << 30
		cfg.AfterChunk = func() {
			if err := os.WriteFile(os.Getenv("VIGIL_CHILD_MARKER"), nil, 0o644); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Hour)
		}
	}
	mon, _ := monitor.New(cfg)
	if _, err := mon.Reassess(ctx); err != nil {
		t.Fatal(err)
	}
}
