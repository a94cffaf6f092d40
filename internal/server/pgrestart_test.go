package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/pgtest"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// TestPostgresRestart restarts the server's PostgreSQL, a private cluster
// (the shared server on 5432 serves other tests at the same time), three
// times while images are registered by reference and by SBOM upload and
// listed: a fast restart, a crash (immediate stop) and a crash followed by
// a second of outage. Every request must be answered with a success or a
// 503 JSON error, never a 500 nor a hang; /readyz must come back and
// registrations be acknowledged again after each restart; and nothing
// acknowledged may be lost: every acknowledged upload is stored and
// assessed, every job queued is done, each completed exactly once.
func TestPostgresRestart(t *testing.T) {
	pg := pgtest.Start(t)
	host, refs := smallRegistry(t, 8)
	rl := &restartLog{done: map[int64]int{}, lost: map[int64]int{}, msgs: map[string]int{}}
	t.Cleanup(func() {
		if t.Failed() {
			rl.mu.Lock()
			t.Logf("the server's log:\n%s", rl.buf.String())
			rl.mu.Unlock()
		}
	})
	e := newEnv(t, envOptions{
		dsn: pg.DSN(), advisories: emptyAdvisories(t), allow: []string{host},
		run: true, lease: 2 * time.Second, logger: slog.New(rl),
	})
	// A request the server never answers fails the test instead of
	// hanging it.
	e.ts.Client().Timeout = 30 * time.Second
	ctx := context.Background()

	var (
		stop     atomic.Bool
		mu       sync.Mutex
		statuses = map[int]int{}
		uploads  []string            // digests of acknowledged uploads
		jobIDs   = map[int64]bool{}  // jobs of acknowledged references
		ackedRef = map[string]bool{} // references acknowledged at least once
		acked    atomic.Int64        // acknowledged registrations
		wg       sync.WaitGroup
	)
	// answered checks an answer is a success or a 503 JSON error.
	answered := func(what string, r response, ok ...int) bool {
		mu.Lock()
		statuses[r.status]++
		mu.Unlock()
		if r.status == 503 {
			var ae api.Error
			if err := json.Unmarshal(r.body, &ae); err != nil || ae.Error.Code != "unavailable" {
				t.Errorf("%s: 503 whose body is not an unavailable error: %s", what, r.body)
			}
			return false
		}
		for _, s := range ok {
			if r.status == s {
				return true
			}
		}
		t.Errorf("%s: %d %s", what, r.status, r.body)
		return false
	}
	// register retries 503s, as a client would, until acknowledged.
	register := func(what string, body any, want int) (api.AddImageResponse, bool) {
		for range 500 {
			r, err := e.try("POST", "/v1/images", e.write, "application/json", body)
			if err != nil {
				t.Errorf("%s: %v", what, err)
				return api.AddImageResponse{}, false
			}
			if !answered(what, r, want) {
				if r.status != 503 {
					return api.AddImageResponse{}, false
				}
				time.Sleep(20 * time.Millisecond)
				continue
			}
			var add api.AddImageResponse
			if err := json.Unmarshal(r.body, &add); err != nil {
				t.Errorf("%s: %v: %s", what, err, r.body)
				return add, false
			}
			acked.Add(1)
			return add, true
		}
		t.Errorf("%s: still unavailable after 500 tries", what)
		return api.AddImageResponse{}, false
	}
	// References, one at a time, round and round: the second time a
	// reference is registered its index job finds the image stored.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load() && i < 200; i++ {
			ref := refs[i%len(refs)]
			if add, ok := register("register "+ref, api.AddImageRequest{Reference: ref}, 202); ok {
				if add.Job == nil {
					t.Errorf("register %s: no job", ref)
					continue
				}
				mu.Lock()
				jobIDs[add.Job.ID] = true
				ackedRef[ref] = true
				mu.Unlock()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// SBOM uploads, a third assessed before the answer, and reads; at
	// most 800, so that the jobs fit in one listing below.
	var n atomic.Int64
	// Ended before the cleanups, even by t.Fatal: no request after the
	// server is closed.
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && n.Load() < 800 {
				i := n.Add(1)
				if add, ok := register(fmt.Sprintf("upload %d", i), sbomRequest(cdxDoc(fmt.Sprintf("restart%d", i), 30), "", i%3 == 0), 201); ok {
					if add.Image == nil {
						t.Errorf("upload %d: no image", i)
						continue
					}
					mu.Lock()
					uploads = append(uploads, add.Image.Digest)
					mu.Unlock()
				}
				for _, path := range []string{"/v1/images?limit=20", "/v1/packages?purl=pkg:npm/restart1-1"} {
					r, err := e.try("GET", path, e.read, "", nil)
					if err != nil {
						t.Errorf("GET %s: %v", path, err)
						return
					}
					answered("GET "+path, r, 200)
				}
			}
		}()
	}

	rounds := []struct {
		name string
		mode pgtest.StopMode
		down time.Duration
	}{
		{"fast restart", pgtest.Fast, 0},
		{"crash", pgtest.Immediate, 0},
		{"crash and a second down", pgtest.Immediate, time.Second},
	}
	// waitAcked waits for n more registrations acknowledged.
	waitAcked := func(what string, n int64, deadline time.Time) {
		t.Helper()
		for after := acked.Load(); acked.Load() < after+n; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: fewer than %d registrations acknowledged by %v", what, n, deadline.Format(time.TimeOnly))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, round := range rounds {
		// Under load: registrations are being acknowledged.
		waitAcked(round.name+": before", 10, time.Now().Add(time.Minute))
		if err := pg.Stop(round.mode); err != nil {
			t.Fatal(err)
		}
		time.Sleep(round.down)
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
		restarted := time.Now()
		deadline := restarted.Add(30 * time.Second)
		for {
			r, err := e.try("GET", "/readyz", "", "", nil)
			if err == nil && r.status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not ready 30 s after PostgreSQL restarted: %v %d %s", round.name, err, r.status, r.body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		ready := time.Now()
		// The server carries on: registrations are acknowledged again.
		waitAcked(round.name+": after", 3, deadline)
		t.Logf("%s: ready %v after PostgreSQL, registrations acknowledged again %v after", round.name,
			ready.Sub(restarted).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
	}
	waitAcked("at the end", 5, time.Now().Add(time.Minute))
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	t.Logf("%d uploads and %d reference jobs acknowledged; answers %v", len(uploads), len(jobIDs), statuses)
	if statuses[503] == 0 {
		t.Error("no request was answered 503: the restarts were not felt, the test proved nothing")
	}
	mu.Unlock()
	rl.mu.Lock()
	t.Logf("the server logged %v", rl.msgs)
	rl.mu.Unlock()
	if t.Failed() {
		t.FailNow()
	}

	e.waitIdle(3 * time.Minute)
	for _, d := range uploads {
		im := decode[api.ImageDetail](t, e.call("GET", "/v1/images/"+d+"?include=findings", e.read, nil), 200)
		if im.Assessment == nil {
			t.Errorf("acknowledged upload %s was never assessed", d)
		}
	}
	jobs, err := e.store.Jobs(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) == 1000 {
		t.Fatal("1000 jobs or more: the check below would miss some")
	}
	// Copied: the server logs while the checks below ask it.
	rl.mu.Lock()
	done, lost := maps.Clone(rl.done), maps.Clone(rl.lost)
	rl.mu.Unlock()
	stored := map[int64]bool{}
	for _, j := range jobs {
		stored[j.ID] = true
		// A worker logs "job done" only when recording it succeeded;
		// "completing a job failed" otherwise.
		completed, failed := done[j.ID], lost[j.ID]
		switch {
		case j.State != store.JobDone:
			t.Errorf("job %d (%s): %s after %d attempts: %s", j.ID, j.Kind, j.State, j.Attempts, j.Error)
		case completed > 1:
			t.Errorf("job %d (%s): completed %d times", j.ID, j.Kind, completed)
		case completed == 0 && failed == 0:
			t.Errorf("job %d (%s): done, but no worker completed it", j.ID, j.Kind)
		case completed == 0:
			// Its last Complete committed, but the answer was lost with
			// the connection: done once, in the database.
			t.Logf("job %d (%s): done, its completion's answer lost in the restart", j.ID, j.Kind)
		}
		if j.Kind == "index" && j.State == store.JobDone {
			var res struct{ Digest string }
			if err := json.Unmarshal(j.Result, &res); err != nil || res.Digest == "" {
				t.Errorf("index job %d: result %s", j.ID, j.Result)
			} else if r := e.call("GET", "/v1/images/"+res.Digest, e.read, nil); r.status != 200 {
				t.Errorf("index job %d: image %s: %d", j.ID, res.Digest, r.status)
			}
		}
	}
	for id := range jobIDs {
		if !stored[id] {
			t.Errorf("job %d, acknowledged at registration, is not stored", id)
		}
	}
	st, err := e.store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every acknowledged upload and every reference acknowledged once
	// (a reference refused with 503 each time may be missing).
	if st.Images < len(uploads)+len(ackedRef) {
		t.Errorf("%d images stored, want at least %d", st.Images, len(uploads)+len(ackedRef))
	}
}

// restartLog keeps the server's log for the test: every record as text
// (shown when the test fails), a count of each message, and per job the
// workers' "job done" and "completing a job failed" records.
type restartLog struct {
	mu   sync.Mutex
	buf  strings.Builder
	msgs map[string]int
	done map[int64]int
	lost map[int64]int
}

func (l *restartLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *restartLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *restartLog) WithGroup(string) slog.Handler            { return l }
func (l *restartLog) Handle(_ context.Context, r slog.Record) error {
	var job int64
	attrs := []string{r.Time.Format("15:04:05.000"), r.Level.String(), r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "job" {
			job = a.Value.Int64()
		}
		attrs = append(attrs, a.String())
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.WriteString(strings.Join(attrs, " ") + "\n")
	l.msgs[r.Message]++
	switch r.Message {
	case "job done":
		l.done[job]++
	case "completing a job failed":
		l.lost[job]++
	}
	return nil
}
