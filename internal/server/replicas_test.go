package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// smallRegistry serves n small random images, repo/img<i>:1, from
// 127.0.0.1; it returns the registry's host and the references.
func smallRegistry(t testing.TB, n int) (string, []string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	var refs []string
	for i := range n {
		img, err := random.Image(512, 2)
		if err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprintf("%s/repo/img%d:1", host, i)
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	return host, refs
}

// jobLog counts the service's "job done" records by job id, whichever
// replica logged them, and passes warnings to the test log.
type jobLog struct {
	t    testing.TB
	mu   sync.Mutex
	done map[int64][]string // job → the workers' log names
	name string
	wa   []slog.Attr
}

func newJobLog(t testing.TB) *jobLog { return &jobLog{t: t, done: map[int64][]string{}} }

func (l *jobLog) logger(replica string) *slog.Logger {
	return slog.New(&jobLogHandler{l: l, replica: replica})
}

type jobLogHandler struct {
	l       *jobLog
	replica string
}

func (h *jobLogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *jobLogHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *jobLogHandler) WithGroup(string) slog.Handler            { return h }
func (h *jobLogHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "job done" {
		var id int64
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "job" {
				id = a.Value.Int64()
			}
			return true
		})
		h.l.mu.Lock()
		h.l.done[id] = append(h.l.done[id], h.replica)
		h.l.mu.Unlock()
	}
	if r.Level >= slog.LevelWarn {
		var attrs []string
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a.String())
			return true
		})
		h.l.t.Logf("%s: %s %s %s", h.replica, r.Level, r.Message, strings.Join(attrs, " "))
	}
	return nil
}

// TestReplicas runs two servers, each with its own workers, on one
// PostgreSQL schema, registers images by SBOM and by reference through
// both at once, and checks that every job was done exactly once and every
// image is visible from both.
func TestReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	host, refs := smallRegistry(t, 6)
	jl := newJobLog(t)
	var replicas []*env
	for _, name := range []string{"replica-a", "replica-b"} {
		replicas = append(replicas, newEnv(t, envOptions{
			dsn: dsn, advisories: emptyAdvisories(t), allow: []string{host},
			worker: name, run: true, logger: jl.logger(name),
		}))
	}
	const sboms = 40
	var (
		mu      sync.Mutex
		digests []string
		jobIDs  = map[int64]bool{}
		wg      sync.WaitGroup
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < sboms; i += 8 {
				e := replicas[i%2]
				r, err := e.try("POST", "/v1/images", e.write, "application/json", sbomRequest(cdxDoc(fmt.Sprintf("replica%d", i), 20), "", false))
				if err != nil || r.status != 201 {
					t.Errorf("upload %d: %v %d %s", i, err, r.status, r.body)
					continue
				}
				var add api.AddImageResponse
				if err := json.Unmarshal(r.body, &add); err != nil || add.Image == nil {
					t.Errorf("upload %d: %v %s", i, err, r.body)
					continue
				}
				mu.Lock()
				digests = append(digests, add.Image.Digest)
				mu.Unlock()
			}
		}()
	}
	// Each reference through both replicas at once.
	for _, ref := range refs {
		for _, e := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.try("POST", "/v1/images", e.write, "application/json", api.AddImageRequest{Reference: ref})
				if err != nil || r.status != 202 {
					t.Errorf("register %s: %v %d %s", ref, err, r.status, r.body)
					return
				}
				var add api.AddImageResponse
				if err := json.Unmarshal(r.body, &add); err != nil || add.Job == nil {
					t.Errorf("register %s: %v %s", ref, err, r.body)
					return
				}
				mu.Lock()
				jobIDs[add.Job.ID] = true
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	a, b := replicas[0], replicas[1]
	a.waitIdle(3 * time.Minute)

	jobs, err := a.store.Jobs(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for id := range jobIDs {
		found := false
		for _, j := range jobs {
			found = found || j.ID == id
		}
		if !found {
			t.Errorf("job %d, returned at registration, is not stored", id)
		}
	}
	byWorker := map[string]int{}
	jl.mu.Lock()
	for _, j := range jobs {
		done := jl.done[j.ID]
		if j.State != store.JobDone || j.Attempts != 1 || len(done) != 1 {
			t.Errorf("job %d (%s): %s after %d attempts, logged done by %v: want done once", j.ID, j.Kind, j.State, j.Attempts, done)
			continue
		}
		byWorker[done[0]]++
	}
	if len(jl.done) != len(jobs) {
		t.Errorf("%d jobs logged done, %d stored", len(jl.done), len(jobs))
	}
	jl.mu.Unlock()
	t.Logf("%d jobs done: %v", len(jobs), byWorker)

	// Every image, seen from both replicas.
	for _, e := range []*env{a, b} {
		l := decode[api.ImageList](t, e.call("GET", "/v1/images?limit=1000", e.read, nil), 200)
		if len(l.Images) != sboms+len(refs) {
			t.Errorf("%d images, want %d", len(l.Images), sboms+len(refs))
		}
		for _, im := range l.Images {
			if im.Assessed == nil {
				t.Errorf("%s was never assessed", im.Digest)
			}
		}
	}
	// Each upload, assessed, through both replicas.
	for _, d := range digests {
		for _, e := range replicas {
			if im := decode[api.ImageDetail](t, e.call("GET", "/v1/images/"+d+"?include=findings", e.read, nil), 200); im.Assessment == nil {
				t.Errorf("%s: no assessment", d)
			}
		}
	}
	// The index jobs of a reference registered twice ran at most twice,
	// and the image was catalogued once: the second found it stored.
	for _, ref := range refs {
		n := 0
		for _, j := range jobs {
			if j.Kind == "index" && strings.Contains(string(j.Payload), ref) {
				n++
			}
		}
		if n < 1 || n > 2 {
			t.Errorf("%s: %d index jobs", ref, n)
		}
	}
}

// TestReplicasSameImage uploads one SBOM through two replicas at once,
// again and again: every upload is acknowledged, one image is stored, and
// each of its assessment jobs completes once.
func TestReplicasSameImage(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	jl := newJobLog(t)
	var replicas []*env
	for _, name := range []string{"replica-a", "replica-b"} {
		replicas = append(replicas, newEnv(t, envOptions{
			dsn: dsn, advisories: emptyAdvisories(t), worker: name, run: true, logger: jl.logger(name),
		}))
	}
	same := sbomRequest(cdxDoc("same", 200), "registry.example/same:1", false)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := replicas[i%2]
			// A 503 is retried, as clients do: two replicas storing one
			// new image at once race for its row.
			for try := 0; ; try++ {
				r, err := e.try("POST", "/v1/images", e.write, "application/json", same)
				if err == nil && r.status == 503 && try < 10 {
					t.Logf("upload %d: 503 %s", i, r.body)
					continue
				}
				if err != nil || r.status != 201 {
					t.Errorf("upload %d: %v %d %s", i, err, r.status, r.body)
				}
				break
			}
		}()
	}
	wg.Wait()
	a := replicas[0]
	a.waitIdle(3 * time.Minute)
	if l := decode[api.ImageList](t, a.call("GET", "/v1/images", a.read, nil), 200); len(l.Images) != 1 || l.Images[0].Assessed == nil {
		t.Errorf("images: %+v, want one, assessed", l.Images)
	}
	jobs, err := a.store.Jobs(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	jl.mu.Lock()
	defer jl.mu.Unlock()
	for _, j := range jobs {
		// Uploads of one image racing its assessment must not fail it
		// (a deadlock between the two would).
		if j.State != store.JobDone || j.Attempts != 1 || len(jl.done[j.ID]) != 1 {
			t.Errorf("job %d (%s): %s after %d attempts, logged done by %v: want done once", j.ID, j.Kind, j.State, j.Attempts, jl.done[j.ID])
		}
	}
}
