package feed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/feed/feedtest"
)

// fake is an updater whose Fetch writes its ids, one per line, and whose
// Parse yields one advisory per line ("!" lines are bad records, "BROKEN"
// breaks the batch).
type fake struct {
	name     string
	ids      []string
	fetchErr error
	parseErr error
	full     bool
	fetched  chan struct{} // when set, Fetch waits on it
	prevs    []feed.Fingerprint
	mu       sync.Mutex
	active   *atomic.Int32
	maxSeen  *atomic.Int32
}

func (f *fake) Name() string   { return f.name }
func (f *fake) URLs() []string { return []string{"https://example.org/" + f.name} }

func (f *fake) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	f.mu.Lock()
	f.prevs = append(f.prevs, prev)
	f.mu.Unlock()
	if f.active != nil {
		n := f.active.Add(1)
		defer f.active.Add(-1)
		for {
			m := f.maxSeen.Load()
			if n <= m || f.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
	}
	if f.fetched != nil {
		select {
		case <-f.fetched:
		case <-ctx.Done():
			return prev, ctx.Err()
		}
	}
	if f.fetchErr != nil {
		return prev, f.fetchErr
	}
	for _, id := range f.ids {
		fmt.Fprintln(dst, id)
	}
	return feed.Fingerprint{ETag: f.name + "-etag", Cursor: fmt.Sprint(len(f.ids))}, nil
}

func (f *fake) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	if f.parseErr != nil {
		return feed.Batch{}, f.parseErr
	}
	data, err := io.ReadAll(src)
	if err != nil {
		return feed.Batch{}, err
	}
	lines := strings.Fields(string(data))
	return feed.Batch{Full: f.full, Advisories: func(yield func(advisory.Advisory, error) bool) {
		for _, l := range lines {
			var a advisory.Advisory
			var err error
			switch {
			case l == "BROKEN":
				err = fmt.Errorf("%s: cut short: %w", f.name, feed.ErrBroken)
			case strings.HasPrefix(l, "!"):
				err = fmt.Errorf("%s: bad record %s", f.name, l)
			default:
				a = advisory.Advisory{ID: l, Source: "fake"}
			}
			if !yield(a, err) {
				return
			}
		}
	}}, nil
}

func TestRunOutcomes(t *testing.T) {
	sink := feedtest.NewSink()
	tmp := t.TempDir()
	good := &fake{name: "good", ids: []string{"A-1", "A-2", "!bad"}, full: true}
	same := &fake{name: "same", fetchErr: feed.ErrUnchanged}
	down := &fake{name: "down", fetchErr: errors.New("GET https://example.org/down: 503 Service Unavailable")}
	unparsable := &fake{name: "unparsable", ids: []string{"X"}, parseErr: errors.New("not a zip")}
	broken := &fake{name: "broken", ids: []string{"B-1", "B-2", "BROKEN", "B-3"}, full: true}

	// broken had data before: a broken batch must not replace it.
	sink.Apply(context.Background(), feed.Batch{Source: "broken", Full: true, Advisories: func(yield func(advisory.Advisory, error) bool) {
		yield(advisory.Advisory{ID: "OLD-1"}, nil)
	}}, feed.SourceState{Source: "broken"})

	var events []feed.Progress
	rep, err := feed.Run(context.Background(), sink, []feed.Updater{good, same, down, unparsable, broken}, feed.RunOptions{
		TempDir:  tmp,
		Progress: func(p feed.Progress) { events = append(events, p) },
	})
	if err == nil {
		t.Fatal("Run succeeded with failing sources")
	}
	for _, name := range []string{"down", "unparsable", "broken"} {
		if !strings.Contains(err.Error(), name+": ") {
			t.Errorf("error lacks %s: %v", name, err)
		}
	}
	var outcomes []feed.Outcome
	for _, s := range rep.Sources {
		outcomes = append(outcomes, s.Outcome)
	}
	want := []feed.Outcome{feed.OutcomeUpdated, feed.OutcomeUnchanged, feed.OutcomeFailed, feed.OutcomeFailed, feed.OutcomeFailed}
	if !slices.Equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	if len(rep.Failed()) != 3 {
		t.Errorf("Failed() = %v", rep.Failed())
	}
	g := rep.Sources[0]
	if g.Records != 3 || g.Stats.Added != 2 || g.Stats.Skipped != 1 || !g.Full || g.Bytes != int64(len("A-1\nA-2\n!bad\n")) {
		t.Errorf("good report %+v", g)
	}
	if st, _ := sink.State(context.Background(), "good"); st.Fingerprint.ETag != "good-etag" || st.LastSuccess.IsZero() || st.URL != "https://example.org/good" || st.Records != 2 {
		t.Errorf("good state %+v", st)
	}
	if !errors.Is(rep.Sources[4].Err, feed.ErrBroken) {
		t.Errorf("broken: %v", rep.Sources[4].Err)
	}
	if got := sink.Advisories("broken"); len(got) != 1 || got[0].ID != "OLD-1" {
		t.Errorf("a broken batch replaced the data: %v", got)
	}
	for _, name := range []string{"down", "unparsable", "broken"} {
		st, _ := sink.State(context.Background(), name)
		if st.LastError == "" || st.LastAttempt.IsZero() || len(sink.Failures[name]) != 1 {
			t.Errorf("%s: failure not recorded: %+v", name, st)
		}
	}
	if len(sink.Failures["same"]) != 0 || sink.Applies["same"] != 0 {
		t.Errorf("an unchanged source's data was touched")
	}
	if st, _ := sink.State(context.Background(), "same"); st.LastAttempt.IsZero() || st.LastError != "" || !st.LastSuccess.IsZero() {
		t.Errorf("unchanged source's state %+v: want the attempt recorded, no error, its last success kept", st)
	}
	done := 0
	for _, e := range events {
		if e.Phase == feed.PhaseDone {
			done++
		}
	}
	if done != 5 {
		t.Errorf("%d done events: %v", done, events)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// The next run hands each updater its stored fingerprint.
	if _, err := feed.Run(context.Background(), sink, []feed.Updater{good}, feed.RunOptions{TempDir: tmp}); err != nil {
		t.Fatal(err)
	}
	if good.prevs[1].ETag != "good-etag" || good.prevs[1].Cursor != "3" {
		t.Errorf("second fetch got %+v", good.prevs[1])
	}
}

func TestRunParallelBound(t *testing.T) {
	var active, maxSeen atomic.Int32
	release := make(chan struct{})
	var ups []feed.Updater
	for i := range 6 {
		ups = append(ups, &fake{name: fmt.Sprint("u", i), ids: []string{"X"}, fetched: release, active: &active, maxSeen: &maxSeen})
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		close(release)
	}()
	rep, err := feed.Run(context.Background(), feedtest.NewSink(), ups, feed.RunOptions{Parallel: 2, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if maxSeen.Load() != 2 || len(rep.Sources) != 6 {
		t.Errorf("at most %d fetches at once, want 2", maxSeen.Load())
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	ups := []feed.Updater{&fake{name: "a", fetched: block}, &fake{name: "b", fetched: block}, &fake{name: "c", fetched: block}}
	time.AfterFunc(100*time.Millisecond, cancel)
	done := make(chan struct{})
	var err error
	go func() {
		_, err = feed.Run(ctx, feedtest.NewSink(), ups, feed.RunOptions{Parallel: 1, TempDir: t.TempDir()})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
}

func TestRunRejectsBadBatches(t *testing.T) {
	sink := feedtest.NewSink()
	rep, err := feed.Run(context.Background(), sink, []feed.Updater{&noIterator{}}, feed.RunOptions{TempDir: t.TempDir()})
	if err == nil || rep.Sources[0].Outcome != feed.OutcomeFailed || !strings.Contains(err.Error(), "0 iterators") {
		t.Errorf("%v %+v", err, rep)
	}
}

type noIterator struct{}

func (noIterator) Name() string   { return "none" }
func (noIterator) URLs() []string { return nil }
func (noIterator) Fetch(context.Context, feed.Fingerprint, io.Writer) (feed.Fingerprint, error) {
	return feed.Fingerprint{}, nil
}
func (noIterator) Parse(context.Context, io.Reader) (feed.Batch, error) { return feed.Batch{}, nil }
