package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

func apply(t testing.TB, db *vulndb.DB, advs ...advisory.Advisory) error {
	seq := func(yield func(advisory.Advisory, error) bool) {
		for _, a := range advs {
			if !yield(a, nil) {
				return
			}
		}
	}
	_, err := db.Apply(context.Background(), feed.Batch{Source: "debian", Full: true, Advisories: seq}, feed.SourceState{Source: "debian"})
	return err
}

func debianAdv(id, pkg, fixed, urgency string) advisory.Advisory {
	return advisory.Advisory{ID: id, Source: "debian",
		Severity: []advisory.Score{{Type: "distro", Vector: urgency, Source: "debian"}},
		Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: pkg, Status: advisory.StatusAffected,
			Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fixed}}}}}}}
}

// TestScheduler runs an update through the scheduler: its re-assessment's
// events reach OnEvents, and a second replica cannot update meanwhile.
func TestScheduler(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vuln.db"), vulndb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := apply(t, db, debianAdv("CVE-2026-0001", "zlib", "1:1.2.13.dfsg-2", "low")); err != nil {
				t.Fatal(err)
			}
			st := storetest.Open(t, be.DSN(t), store.Options{})
			svc, _ := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return db }})
			for i := range 3 {
				inv := storetest.Inventory(1, [3]string{"libssl3", "openssl", "3.0.11-1~deb12u2"}, [3]string{"zlib1g", "zlib", "1:1.2.13.dfsg-1"})
				inv.Source.ManifestDigest = sbom.Digest(fmt.Sprintf("sha256:%064x", i+1))
				doc, _ := json.Marshal(inv)
				if _, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(string(doc)), Wait: true}); err != nil {
					t.Fatal(err)
				}
			}
			mon, _ := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }})
			var mu sync.Mutex
			var got []store.Event
			release := make(chan struct{})
			started := make(chan struct{})
			sch := &monitor.Scheduler{Store: st, Monitor: mon, Interval: -1, Poll: time.Hour, Holder: "a",
				Update: func(ctx context.Context) error {
					close(started)
					<-release
					return apply(t, db, debianAdv("CVE-2026-0001", "zlib", "1:1.2.13.dfsg-2", "low"),
						debianAdv("CVE-2026-0002", "openssl", "3.0.14-1~deb12u1", "high"))
				},
				OnEvents: func(es []store.Event) { mu.Lock(); got = append(got, es...); mu.Unlock() },
			}
			go sch.Run(ctx)
			done := make(chan error, 1)
			go func() { done <- sch.Trigger(ctx) }()
			<-started
			other := &monitor.Scheduler{Store: st, Monitor: mon, Holder: "b", Update: func(context.Context) error { return nil }}
			if err := other.UpdateNow(ctx); !errors.Is(err, monitor.ErrUpdateRunning) {
				t.Errorf("second replica's update = %v, want ErrUpdateRunning", err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			news := 0
			for _, e := range got {
				if e.Type == store.EventFindingNew {
					news++
					if e.VulnID != "CVE-2026-0002" || e.Data.Package.Name != "libssl3" || e.Data.DBVersion == 0 {
						t.Errorf("unexpected event %+v", e)
					}
				}
			}
			if news != 3 {
				t.Errorf("%d finding.new events, want one per image (3): %+v", news, got)
			}
			if last, _ := st.Meta(ctx, "feeds.last_update"); last == "" {
				t.Error("last update time not recorded")
			}
		})
	}
}

// TestSchedulerDeadHolder: the feeds lock of a replica killed mid-update
// (on SQLite, a lease row nobody renews) holds the next update up for a
// minute, not longer.
func TestSchedulerDeadHolder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := storetest.Open(t, filepath.Join(t.TempDir(), "store.db"), store.Options{Now: clock})
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vuln.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mon, _ := monitor.New(monitor.Config{Store: st, Advisories: func() monitor.Advisories { return db }})
	updates := 0
	sch := &monitor.Scheduler{Store: st, Monitor: mon, Interval: -1, Poll: time.Hour, Holder: "new",
		Update: func(context.Context) error { updates++; return nil }}
	// The dead replica took the lock as the scheduler does, then died.
	dead := &monitor.Scheduler{Store: st, Monitor: mon, Interval: -1, Poll: time.Hour, Holder: "dead",
		Update: func(context.Context) error { runtime.Goexit(); return nil }}
	died := make(chan struct{})
	dctx, kill := context.WithCancel(ctx)
	go func() { defer close(died); dead.UpdateNow(dctx) }()
	<-died
	kill() // and its lease renewal with it
	if err := sch.UpdateNow(ctx); !errors.Is(err, monitor.ErrUpdateRunning) {
		t.Fatalf("UpdateNow while the dead holder's lease runs = %v, want ErrUpdateRunning", err)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if err := sch.UpdateNow(ctx); err != nil || updates != 1 {
		t.Fatalf("UpdateNow a minute later = %v (%d updates), want the update to run", err, updates)
	}
}
