package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// TestPostgresConnectionLoss kills the server's PostgreSQL connections
// (only this test's, found by their application_name) several times while
// images are registered and listed. The server must answer every request
// with a success or a 503 (never a 500), be ready again after each kill,
// and lose nothing: every registration it acknowledged ends up stored and
// every job done.
func TestPostgresConnectionLoss(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var b [6]byte
	rand.Read(b[:])
	app := "vigil_loss_" + hex.EncodeToString(b[:])
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()

	host, refs := smallRegistry(t, 4)
	e := newEnv(t, envOptions{
		dsn: u.String(), advisories: emptyAdvisories(t), allow: []string{host},
		run: true, lease: 2 * time.Second,
	})
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()

	var (
		stop     atomic.Bool
		mu       sync.Mutex
		statuses = map[int]int{}
		stored   []string // digests of acknowledged uploads
		jobs     []int64  // jobs of acknowledged references
		wg       sync.WaitGroup
	)
	count := func(status int) {
		mu.Lock()
		statuses[status]++
		mu.Unlock()
	}
	// register retries what the server says may be retried, as a client
	// would, until it is acknowledged.
	register := func(body any) (api.AddImageResponse, bool) {
		for range 200 {
			r, err := e.try("POST", "/v1/images", e.write, "application/json", body)
			if err != nil {
				t.Error(err)
				return api.AddImageResponse{}, false
			}
			count(r.status)
			if r.status == 503 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			var add api.AddImageResponse
			if r.status != 201 && r.status != 202 || json.Unmarshal(r.body, &add) != nil {
				t.Errorf("register: %d %s", r.status, r.body)
				return add, false
			}
			return add, true
		}
		t.Error("register: still unavailable after 200 tries")
		return api.AddImageResponse{}, false
	}
	for _, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if add, ok := register(api.AddImageRequest{Reference: ref}); ok {
				mu.Lock()
				jobs = append(jobs, add.Job.ID)
				mu.Unlock()
			}
		}()
	}
	var n atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := n.Add(1)
				if add, ok := register(sbomRequest(cdxDoc(fmt.Sprintf("loss%d", i), 30), "", i%3 == 0)); ok {
					mu.Lock()
					stored = append(stored, add.Image.Digest)
					mu.Unlock()
				}
				for _, path := range []string{"/v1/images?limit=20", "/v1/packages?purl=pkg:npm/loss1-1"} {
					r, err := e.try("GET", path, e.read, "", nil)
					if err != nil {
						t.Error(err)
						return
					}
					count(r.status)
					if r.status != 200 && r.status != 503 {
						t.Errorf("GET %s: %d %s", path, r.status, r.body)
					}
				}
			}
		}()
	}

	killed := 0
	for round := range 3 {
		time.Sleep(time.Duration(300+100*round) * time.Millisecond)
		var k int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&k); err != nil {
			t.Fatal(err)
		}
		killed += k
		// The server answers again.
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := e.try("GET", "/readyz", "", "", nil)
			if err == nil && r.status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: not ready 30 s after the kill: %v %d %s", round, err, r.status, r.body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if killed == 0 {
		t.Fatal("no connection was killed: the test proved nothing")
	}
	mu.Lock()
	t.Logf("%d connections killed; %d uploads acknowledged; answers %v", killed, len(stored), statuses)
	if statuses[500] > 0 {
		t.Errorf("%d answers were 500: connection loss must be 503", statuses[500])
	}
	mu.Unlock()

	e.waitIdle(3 * time.Minute)
	for _, d := range stored {
		if r := e.call("GET", "/v1/images/"+d+"?include=findings", e.read, nil); r.status != 200 {
			t.Errorf("acknowledged upload %s: %d", d, r.status)
		}
	}
	for _, id := range jobs {
		j, err := e.store.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != store.JobDone {
			t.Errorf("job %d: %s after %d attempts: %s", id, j.State, j.Attempts, j.Error)
			continue
		}
	}
	all, err := e.store.Jobs(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range all {
		if j.State != store.JobDone {
			t.Errorf("job %d (%s): %s after %d attempts: %s", j.ID, j.Kind, j.State, j.Attempts, j.Error)
		}
	}
	st, err := e.store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Images < len(stored)+len(refs) {
		t.Errorf("%d images stored, want at least %d", st.Images, len(stored)+len(refs))
	}
}
