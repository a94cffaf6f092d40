package vulndb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// killHelperEnv switches the test binary into the child role of
// TestKillMidUpdate.
const killHelperEnv = "VULNDB_KILL_HELPER_DB"

const (
	killOld = 2000 // advisories before the update
	killNew = 5000 // advisories the killed update writes
)

// TestKillMidUpdate kills (SIGKILL) a process in the middle of an update's
// transaction, after it has written part of the batch to the database's
// log, then checks that the database opens with the previous data whole and
// that the next update completes.
func TestKillMidUpdate(t *testing.T) {
	if path := os.Getenv(killHelperEnv); path != "" {
		killHelper(t, path)
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	ctx := context.Background()
	db, _ := openTest(t, Options{})
	apply(t, db, "syn", true, synthetic(1, killOld))
	before, err := db.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidUpdate$", "-test.v")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "vulndb-helper: mid-update" {
				ready <- nil
				// Keep draining so the child never blocks on a full pipe.
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("helper exited before the update started: %v", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("helper did not reach the middle of the update")
	}
	if st, err := os.Stat(path + "-wal"); err == nil {
		t.Logf("write-ahead log holds %d bytes at the kill", st.Size())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open after the kill: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.ro.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if v, err := db.Version(ctx); err != nil || v != before {
		t.Errorf("Version after the kill = %d, %v; want %d", v, err, before)
	}
	ms, err := db.Affecting(ctx, "npm", "left-pad")
	if err != nil {
		t.Fatal(err)
	}
	if gen, err := generation(ms); err != nil || gen != "1.0.1" || len(ms) != killOld {
		t.Errorf("after the kill: %d matches of generation %q (%v); want %d of 1.0.1", len(ms), gen, err, killOld)
	}

	st := apply(t, db, "syn", true, synthetic(2, killNew))
	if st.Added != killNew-killOld || st.Modified != killOld {
		t.Errorf("update after the kill: %+v", st)
	}
	ms, _ = db.Affecting(ctx, "npm", "left-pad")
	if gen, err := generation(ms); err != nil || gen != "1.0.2" || len(ms) != killNew {
		t.Errorf("after the second update: %d matches of generation %q (%v)", len(ms), gen, err)
	}
	checkGroups(t, db)
}

// killHelper is the child: it starts an update, and once a good part of the
// batch is written (with a small page cache, so pages spill into the log
// before the commit) it says so and waits to be killed.
func killHelper(t *testing.T, path string) {
	ctx := context.Background()
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The write pool has one connection, so this sticks to it.
	if _, err := db.rw.ExecContext(ctx, "PRAGMA cache_size = 64"); err != nil {
		t.Fatal(err)
	}
	recs := synthetic(2, killNew)
	seq := func(yield func(advisory.Advisory, error) bool) {
		for i, r := range recs {
			if i == killNew*4/5 {
				fmt.Println("vulndb-helper: mid-update")
				os.Stdout.Sync()
				time.Sleep(time.Hour)
			}
			if !yield(r.adv, nil) {
				return
			}
		}
	}
	db.Apply(ctx, feed.Batch{Source: "syn", Full: true, Advisories: seq}, feed.SourceState{})
	t.Fatal("the update was not killed")
}
