package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/sharedtest"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// The fault tests run `vigil serve` as child processes — this test binary
// re-executed into the CLI's run — so that a server can die as a real one
// does: SIGKILL, no deferred function, no answer recorded. They follow the
// seed story of TestSeedStoryOverHTTP (the early Debian snapshot, then the
// late one) and judge the webhook receiver by the same oracle, computed
// from the tracker and dpkg.

// serveChildEnv, set in a child's environment, holds its serve arguments
// as JSON.
const serveChildEnv = "VIGIL_FAULTS_SERVE_ARGS"

// asServeChild runs `vigil serve` until SIGTERM when this test binary was
// started by startServeProcess, and reports whether it was.
func asServeChild(t *testing.T) bool {
	raw := os.Getenv(serveChildEnv)
	if raw == "" {
		return false
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatalf("%s: %v", serveChildEnv, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code := run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), nil, os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("vigil serve exited with %d", code)
	}
	return true
}

// serveProcess is a `vigil serve` child process.
type serveProcess struct {
	cmd  *exec.Cmd
	url  string
	log  *lockedBuffer
	done chan struct{} // closed once the process has exited
	err  error         // how it exited, once done is closed
}

// startServeProcess starts `vigil serve` with args in a child process and
// waits until it listens. The process is killed when the test ends.
func startServeProcess(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	root, _, _ := strings.Cut(t.Name(), "/")
	p := &serveProcess{log: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "-test.run=^"+root+"$")
	p.cmd.Env = append(os.Environ(), serveChildEnv+"="+string(raw))
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	deadline := time.After(30 * time.Second)
	for {
		if _, after, ok := strings.Cut(p.log.String(), "listening on "); ok {
			p.url, _, _ = strings.Cut(after, "\n")
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("vigil serve exited (%v) before listening:\n%s", p.err, p.log)
		case <-deadline:
			p.kill()
			t.Fatalf("vigil serve did not listen within 30 s:\n%s", p.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// kill SIGKILLs the process and waits until it is gone.
func (p *serveProcess) kill() {
	p.cmd.Process.Kill() // fails only when it has exited already
	<-p.done
}

// stop stops the process as an operator does (SIGTERM) and returns how it
// exited.
func (p *serveProcess) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(45 * time.Second):
		p.kill()
		return errors.New("still running 45 s after SIGTERM")
	}
}

// seedStory is the seed story's data: what the oracle expects and the
// files the servers are given.
type seedStory struct {
	// want is "image package CVE" for every finding.new the late snapshot
	// brings, as the tracker and dpkg --compare-versions say.
	want []string
	// docs holds each image's inventory as a JSON SBOM file.
	docs map[string]string
	// mirror serves the late snapshot; earlyDB was updated from the early
	// one.
	mirror    string
	feedFlags []string
	earlyDB   string
}

// oracleCache keeps the expectation and the inventories between the tests
// of one run: the oracle runs dpkg thousands of times.
var oracleCache struct {
	sync.Mutex
	want []string
	docs map[string][]byte
}

// seedOracle returns what the oracle expects of the seed story, and the
// images' inventories as JSON.
func seedOracle(t *testing.T, shared string, names []string) ([]string, map[string][]byte) {
	t.Helper()
	oracleCache.Lock()
	defer oracleCache.Unlock()
	if oracleCache.want != nil {
		return oracleCache.want, oracleCache.docs
	}
	snap := filepath.Join(shared, "vulnfeeds/debian-derived")
	early, late := trackerChanges(sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-early/tracker.json")),
		sharedtest.ReadTracker(t, filepath.Join(snap, "snapshot-late/tracker.json")), "bookworm")
	var want []string
	docs := map[string][]byte{}
	for _, name := range names {
		inv := sharedtest.Inventory(t, filepath.Join(shared, "images", name))
		a, b := sharedtest.Affected(t, early, "bookworm", inv), sharedtest.Affected(t, late, "bookworm", inv)
		for k := range b {
			if !a[k] {
				want = append(want, name+" "+k)
			}
		}
		raw, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = raw
	}
	slices.Sort(want)
	oracleCache.want, oracleCache.docs = want, docs
	return want, docs
}

// trackerChanges keeps of two tracker dumps the entries (source package,
// CVE) whose state in release the later one changed or added. The oracle
// decides each entry on its own, so an entry both dumps state alike
// affects a package in both or in neither and can bring no new finding:
// the new findings of the trimmed dumps are those of the whole ones, for
// a fraction of the dpkg comparisons.
func trackerChanges(early, late sharedtest.Tracker, release string) (sharedtest.Tracker, sharedtest.Tracker) {
	e, l := sharedtest.Tracker{}, sharedtest.Tracker{}
	for src, cves := range late {
		keepE, keepL := maps.Clone(early[src]), maps.Clone(cves)
		for cve, entry := range cves {
			before, ok := early[src][cve]
			r0, ok0 := before.Releases[release]
			r1, ok1 := entry.Releases[release]
			if ok && ok0 == ok1 && r0 == r1 {
				delete(keepL, cve)
			}
		}
		for cve := range keepE {
			if _, ok := keepL[cve]; !ok {
				delete(keepE, cve)
			}
		}
		if len(keepL) > 0 {
			e[src], l[src] = keepE, keepL
		}
	}
	return e, l
}

// newSeedStory computes the oracle, writes the SBOMs, lays out the mirror
// and makes the early vulnerability database; it skips the test without
// the shared data.
func newSeedStory(t *testing.T) *seedStory {
	t.Helper()
	shared := sharedtest.Dir(t, "vulnfeeds/debian-derived/snapshot-early/tracker.json", "vulnfeeds/osv/Go/all.zip")
	snap := filepath.Join(shared, "vulnfeeds/debian-derived")
	names := []string{"debian-minbase", "debian-app"}
	want, docs := seedOracle(t, shared, names)
	s := &seedStory{want: want, docs: map[string]string{}}
	if len(s.want) == 0 {
		t.Fatal("the late snapshot brings no finding: the test would prove nothing")
	}

	dir := t.TempDir()
	for _, name := range names {
		s.docs[name] = filepath.Join(dir, name+".json")
		if err := os.WriteFile(s.docs[name], docs[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.mirror = mirror(t, filepath.Join(shared, "vulnfeeds"))
	s.feedFlags = []string{"--mirror", s.mirror, "--osv-ecosystems", "Go,Debian", "--alpine-branches", "v3.11"}
	snapshot := func(which string) { switchSnapshot(t, s.mirror, snap, which) }
	snapshot("snapshot-early")
	s.earlyDB = filepath.Join(dir, "early.db")
	if code, _, errOut := runCLI(t, append([]string{"db", "update", "--db-path", s.earlyDB, "--no-cache"}, s.feedFlags...)...); code != 0 {
		t.Fatalf("db update from the early snapshot: exit %d\n%s", code, errOut)
	}
	snapshot("snapshot-late")
	return s
}

// vulnDB returns a fresh copy of the early vulnerability database.
func (s *seedStory) vulnDB(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(s.earlyDB)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// register subscribes hookURL to every event and uploads the two images.
func (s *seedStory) register(t *testing.T, server, hookURL string) {
	t.Helper()
	srv := []string{"--server", server}
	if code, out, errOut := runCLI(t, append([]string{"subscriptions", "add", "--url", hookURL + "/hook", "--secret-env", "HOOK_SECRET"}, srv...)...); code != 0 {
		t.Fatalf("subscriptions add: exit %d: %s %s", code, out, errOut)
	}
	for _, name := range []string{"debian-minbase", "debian-app"} {
		if code, out, errOut := runCLI(t, append([]string{"images", "add", "--sbom", s.docs[name], "--name", "registry.example/" + name + ":1", "--wait"}, srv...)...); code != 0 {
			t.Fatalf("images add %s: exit %d: %s %s", name, code, out, errOut)
		}
	}
}

// flakyReceiver is a webhook receiver that is slow, and answers 500 to the
// first attempt of about one event in three (by a hash of its key). It
// verifies each request's signature and keeps, per idempotency key, how
// often it accepted it and what.
type flakyReceiver struct {
	delay time.Duration

	mu       sync.Mutex
	seen     map[string]int    // requests per key
	accepted map[string]int    // accepted requests per key
	bodies   map[string][]byte // the first accepted body per key
	events   map[string]notify.CloudEvent
	refused  int // 500 answers
	starts   int // requests chosen for acceptance so far
	bad      []string
	// killAt, when above 0, makes the killAt-th request chosen for
	// acceptance call kill before it is answered: its sender dies with the
	// request accepted but not yet answered.
	killAt int
	kill   func()
	killed chan struct{}
}

func newFlakyReceiver(delay time.Duration) *flakyReceiver {
	return &flakyReceiver{delay: delay, seen: map[string]int{}, accepted: map[string]int{}, bodies: map[string][]byte{},
		events: map[string]notify.CloudEvent{}}
}

// killOn arms the receiver: kill is called while the n-th request it
// accepts from now on is in flight. The channel is closed once it was.
func (rc *flakyReceiver) killOn(n int, kill func()) <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.killAt, rc.kill, rc.killed = rc.starts+n, kill, make(chan struct{})
	return rc.killed
}

func (rc *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := notify.Verify(hookSecret, r.Header.Get(notify.SignatureHeader), body, 5*time.Minute, time.Now()); err != nil {
		rc.fail("signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ce notify.CloudEvent
	if err := json.Unmarshal(body, &ce); err != nil {
		rc.fail("body: %v: %s", err, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := r.Header.Get(notify.IdempotencyKeyHeader)
	if key != ce.ID {
		rc.fail("Idempotency-Key %q, CloudEvent id %q", key, ce.ID)
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	rc.mu.Lock()
	rc.seen[key]++
	if rc.seen[key] == 1 && h.Sum32()%3 == 0 {
		rc.refused++
		rc.mu.Unlock()
		time.Sleep(rc.delay)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.starts++
	var kill func()
	var killed chan struct{}
	if rc.killAt > 0 && rc.starts == rc.killAt {
		kill, killed, rc.killAt = rc.kill, rc.killed, 0
	}
	rc.mu.Unlock()
	if kill != nil {
		kill()
		close(killed)
	}
	time.Sleep(rc.delay)
	rc.mu.Lock()
	rc.accepted[key]++
	if first, ok := rc.bodies[key]; !ok {
		rc.bodies[key], rc.events[key] = body, ce
	} else if !bytes.Equal(first, body) {
		rc.bad = append(rc.bad, fmt.Sprintf("key %s delivered with two bodies:\n%s\n%s", key, first, body))
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *flakyReceiver) fail(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.bad = append(rc.bad, fmt.Sprintf(format, args...))
}

func (rc *flakyReceiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.accepted)
}

// check compares what the receiver accepted with the events in the store
// and with the oracle: every event received, none unknown, each change
// under one key only, the seed story's finding.new exactly. It returns how
// many requests were accepted beyond the first of their key; with once
// set, any is an error.
func (rc *flakyReceiver) check(t *testing.T, st *store.Store, want []string, once bool) int {
	t.Helper()
	ctx := context.Background()
	evs, err := st.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	checkEventsOnce(t, evs)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bad {
		t.Error(b)
	}
	stored := map[string]bool{}
	for _, e := range evs {
		stored[e.ID] = true
		if rc.accepted[e.ID] == 0 {
			t.Errorf("event %s (%s %s %s) never accepted by the receiver", e.ID, e.Type, e.Digest, e.VulnID)
		}
	}
	extra := 0
	byChange := map[string][]string{}
	var got []string
	for key, n := range rc.accepted {
		if !stored[key] {
			t.Errorf("the receiver accepted %s, which is no event in the store", key)
		}
		if n > 1 {
			extra += n - 1
			if once {
				t.Errorf("event %s accepted %d times", key, n)
			}
		}
		ce := rc.events[key]
		change := ce.Subject + " " + ce.Type + " " + eventPackage(ce.Data.Package) + " " + eventVulnID(ce.Data.Vulnerability)
		byChange[change] = append(byChange[change], key)
		if ce.Type == notify.TypePrefix+store.EventFindingNew && ce.Data.Package != nil && ce.Data.Package.Ecosystem == string(sbom.Deb) {
			got = append(got, strings.TrimPrefix(ce.Data.Image.Repository, "registry.example/")+" "+ce.Data.Package.Name+" "+ce.Data.Vulnerability.ID)
		}
	}
	for change, keys := range byChange {
		if len(keys) > 1 {
			t.Errorf("%s delivered under %d keys: %v", change, len(keys), keys)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding.new accepted by the receiver, deduplicated by key (-tracker+dpkg +vigil):\n%s", diff)
	}
	return extra
}

// checkEventsOnce fails the test when the store holds one change, (image,
// package, vulnerability, type), as two events.
func checkEventsOnce(t *testing.T, evs []store.Event) {
	t.Helper()
	ids := map[string]string{}
	for _, e := range evs {
		change := string(e.Digest) + " " + e.Type + " " + eventPackage(e.Data.Package) + " " + e.VulnID
		if id, ok := ids[change]; ok {
			t.Errorf("the store records %s twice: events %s and %s", change, id, e.ID)
		}
		ids[change] = e.ID
	}
}

func eventPackage(p *store.EventPackage) string {
	if p == nil {
		return "-"
	}
	return p.Ecosystem + "/" + p.Name + "@" + p.Version
}

func eventVulnID(v *store.EventVuln) string {
	if v == nil {
		return "-"
	}
	return v.ID
}

// waitSettled waits until the store has an event and every event's
// delivery is delivered: none pending, none dead.
func waitSettled(t *testing.T, st *store.Store, logs func() string) []store.Delivery {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		evs, err := st.Events(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := st.Deliveries(ctx, store.DeliveryFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		done := len(evs) > 0 && len(ds) == len(evs)
		for _, d := range ds {
			if d.State == store.DeliveryDead {
				t.Fatalf("delivery %d of %s is dead: %s (status %d)\n%s", d.ID, d.EventID, d.LastError, d.LastStatus, logs())
			}
			done = done && d.State == store.DeliveryDelivered
		}
		if done {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events, deliveries not all delivered within 60 s: %+v\n%s", len(evs), ds, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expireLeases does, while no server runs, what time does to a dead
// server's leases: delivery leases (60 s) and SQLite's lock leases (the
// monitor's, a minute) end, so a restart need not wait them out.
func expireLeases(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range []string{`UPDATE deliveries SET lease_until = 0 WHERE state = 'pending'`, `UPDATE locks SET until = 0`} {
		if err := st.ExecForTest(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// killMidReassessment triggers the update on p and SIGKILLs p while the
// re-assessment that follows has matched the changed packages but not
// committed. On PostgreSQL a table lock holds its transaction at the
// insert of the deliveries, after its events: the kill always lands
// there. On SQLite the test takes the write lock once the monitor's lock
// shows the re-assessment started, which it may reach too late; the result
// says whether the kill came before the re-assessment committed.
func killMidReassessment(t *testing.T, p *serveProcess, dsn string) bool {
	t.Helper()
	ctx := context.Background()
	trigger := func() {
		var out, errOut bytes.Buffer
		// The request dies with the server.
		run(context.Background(), []string{"db", "update", "--server", p.url}, nil, &out, &errOut)
	}
	deadline := time.Now().Add(60 * time.Second)
	if strings.HasPrefix(dsn, "postgres") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `LOCK TABLE deliveries IN EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		go trigger()
		for {
			var waiting bool
			err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE l.relation = 'deliveries'::regclass AND NOT l.granted AND a.query LIKE '%INSERT INTO deliveries%')`).Scan(&waiting)
			if err != nil {
				t.Fatal(err)
			}
			if waiting {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the re-assessment never reached its deliveries within 60 s:\n%s", p.log)
			}
			time.Sleep(10 * time.Millisecond)
		}
		p.kill()
		return true
	}

	path := strings.TrimPrefix(dsn, "sqlite://")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	go trigger()
	for {
		// feeds.last_update is written when the update is done; the
		// monitor's lock row lives while a re-assessment runs.
		var started bool
		err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'feeds.last_update')
			AND EXISTS (SELECT 1 FROM locks WHERE name = 'monitor')`).Scan(&started)
		if err != nil {
			t.Fatal(err)
		}
		if started {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no re-assessment after the update within 60 s:\n%s", p.log)
		}
		time.Sleep(time.Millisecond)
	}
	tx, err := db.BeginTx(ctx, nil) // the write lock: the re-assessment cannot commit
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		time.Sleep(500 * time.Millisecond) // it matches, then waits for the lock
	}
	p.kill()
	return n == 0
}

// TestServeKilledDuringDeliveries follows the seed story with whole vigil
// serve processes, killed with SIGKILL three times: in the re-assessment
// after the update, then twice while the receiver — slow, and answering
// 500 now and then — holds a delivery it accepted but has not answered.
// Each time the server is restarted on the same store, once the test has
// expired the dead server's leases in the store (60 s for a delivery, a
// minute for SQLite's monitor lock) rather than wait them out. In the end the
// receiver must have every event of the store, each with a valid
// signature; deduplicated by Idempotency-Key, the finding.new are exactly
// those the tracker and dpkg expect; a key may come twice (at least once)
// but never one change under two keys, and the store records each change
// once.
func TestServeKilledDuringDeliveries(t *testing.T) {
	if asServeChild(t) {
		return
	}
	story := newSeedStory(t)
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	t.Setenv("VIGIL_TOKEN", "")
	t.Setenv("HOOK_SECRET", hookSecret)
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			dsn := be.DSN(t)
			rc := newFlakyReceiver(100 * time.Millisecond)
			hook := httptest.NewServer(rc)
			t.Cleanup(hook.Close)
			args := append([]string{"--db", dsn, "--vuln-db", story.vulnDB(t), "--no-cache", "--workers", "2", "--update-interval", "0",
				"--dev", "--allow-webhook-hosts", strings.TrimPrefix(hook.URL, "http://")}, story.feedFlags...)
			var logs []*lockedBuffer
			allLogs := func() string {
				var b strings.Builder
				for i, l := range logs {
					fmt.Fprintf(&b, "--- server %d:\n%s", i+1, l)
				}
				return b.String()
			}
			start := func() *serveProcess {
				p := startServeProcess(t, args...)
				logs = append(logs, p.log)
				return p
			}

			p := start()
			story.register(t, p.url, hook.URL)
			if killMidReassessment(t, p, dsn) {
				t.Log("killed in the re-assessment, before it committed")
			} else {
				t.Log("the re-assessment committed before the kill")
			}
			expireLeases(t, dsn)

			// Twice: killed while a delivery is in flight, a third of the
			// events apart.
			kills := 0
			for range 2 {
				p = start()
				select {
				case <-rc.killOn(max(1, len(story.want)/3), p.kill):
					kills++
				case <-time.After(60 * time.Second):
					t.Fatalf("%d events accepted, no kill within 60 s\n%s", rc.distinct(), allLogs())
				}
				t.Logf("killed during deliveries with %d events accepted", rc.distinct())
				expireLeases(t, dsn)
			}

			p = start()
			st := storetest.Open(t, dsn, store.Options{})
			ds := waitSettled(t, st, allLogs)
			time.Sleep(time.Second) // for anything that should not come
			if err := p.stop(); err != nil {
				t.Fatalf("serve stopped: %v\n%s", err, allLogs())
			}
			// Each kill came with a request accepted but not answered,
			// which must be sent again under its key.
			extra := rc.check(t, st, story.want, false)
			if extra < kills {
				t.Errorf("%d repeated deliveries after %d kills with a delivery in flight: an accepted but unrecorded delivery was not sent again", extra, kills)
			}
			attempts := 0
			for _, d := range ds {
				attempts += d.Attempts
			}
			rc.mu.Lock()
			t.Logf("%d events delivered in %d attempts (%d answered 500); %d deliveries repeated under their key", len(ds), attempts, rc.refused, extra)
			rc.mu.Unlock()
		})
	}
}

// TestTwoServersDeliverOnce runs two vigil serve processes on one
// PostgreSQL schema, both with workers, scheduler and delivery, and one
// subscription to a slow receiver that answers 500 now and then. After an
// update asked of one of them, the receiver gets each event exactly once
// by idempotency key, the finding.new the oracle expects, and the store
// records each change once; the other server installs the updated
// vulnerability database from the store.
func TestTwoServersDeliverOnce(t *testing.T) {
	if asServeChild(t) {
		return
	}
	dsn := storetest.PostgresDSN(t)
	story := newSeedStory(t)
	t.Setenv("VIGIL_SERVER", "")
	t.Setenv("VIGIL_DB", "")
	t.Setenv("VIGIL_TOKEN", "")
	t.Setenv("HOOK_SECRET", hookSecret)
	rc := newFlakyReceiver(150 * time.Millisecond)
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	common := append([]string{"--db", dsn, "--no-cache", "--workers", "2", "--update-interval", "0",
		"--dev", "--allow-webhook-hosts", strings.TrimPrefix(hook.URL, "http://")}, story.feedFlags...)
	a := startServeProcess(t, append([]string{"--vuln-db", story.vulnDB(t)}, common...)...)
	b := startServeProcess(t, append([]string{"--vuln-db", story.vulnDB(t)}, common...)...)
	logs := func() string { return "--- A:\n" + a.log.String() + "--- B:\n" + b.log.String() }
	story.register(t, a.url, hook.URL)

	if code, out, errOut := runCLI(t, "db", "update", "--server", a.url); code != 0 {
		t.Fatalf("db update --server A: exit %d: %s %s\n%s", code, out, errOut, logs())
	}
	st := storetest.Open(t, dsn, store.Options{})
	ds := waitSettled(t, st, logs)
	// B follows the published database every 5 s.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(b.log.String(), "vulnerability database installed from the store"); {
		if time.Now().After(deadline) {
			t.Fatalf("B did not install A's updated database within 20 s:\n%s", logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // for anything that should not come
	for name, p := range map[string]*serveProcess{"A": a, "B": b} {
		if err := p.stop(); err != nil {
			t.Errorf("%s stopped: %v", name, err)
		}
	}
	if t.Failed() {
		t.Fatal(logs())
	}
	rc.check(t, st, story.want, true)
	workers := map[string]int{}
	for _, d := range ds {
		workers[d.Worker]++
	}
	if len(workers) < 2 {
		t.Errorf("deliveries made by %v: want both servers delivering", workers)
	}
	rc.mu.Lock()
	t.Logf("%d events delivered once each (%d first attempts answered 500); deliveries per worker %v", len(ds), rc.refused, workers)
	rc.mu.Unlock()
}
