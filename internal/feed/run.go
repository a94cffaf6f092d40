package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrBroken is wrapped by an error a Batch iterator yields when the input
// turned out to be truncated or corrupt part-way (a damaged zip entry, a
// cut stream, a cancelled context). Unlike a bad record, it means the batch
// must not be stored: a Full batch missing its tail would withdraw every
// advisory it lost. Run cancels the Apply of such a batch, so a Sink that
// honours its context rolls it back.
var ErrBroken = errors.New("feed: input broken")

// RunOptions tunes Run. The zero value works.
type RunOptions struct {
	// TempDir holds the fetched files until they are imported; "" is
	// os.TempDir.
	TempDir string
	// Parallel bounds how many sources fetch at once (default 4). Imports
	// run one at a time.
	Parallel int
	// Progress, when set, is told how each source advances. Calls are
	// serialised.
	Progress func(Progress)
	// Logger receives one record per source; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Phase is where a source is in its update.
type Phase string

// Phases reported through Progress.
const (
	PhaseFetch  Phase = "fetch"
	PhaseImport Phase = "import"
	PhaseDone   Phase = "done"
)

// Progress is one progress event of one source.
type Progress struct {
	Source  string
	Phase   Phase
	Bytes   int64 // bytes fetched so far
	Records int   // records handed to the sink so far
}

// Outcome is how a source's update ended.
type Outcome string

// Outcomes of SourceReport.
const (
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
	OutcomeFailed    Outcome = "failed"
)

// SourceReport says what happened to one source.
type SourceReport struct {
	Source   string
	URLs     []string
	Outcome  Outcome
	Full     bool // the batch was a complete snapshot
	Bytes    int64
	Records  int // records (advisories, KEV or EPSS entries) yielded, bad ones included
	Stats    ApplyStats
	Duration time.Duration
	Err      error
}

// Report lists the sources in the order of the updaters given to Run.
type Report struct {
	Sources []SourceReport
}

// Failed returns the reports of the sources that failed.
func (r Report) Failed() []SourceReport {
	var out []SourceReport
	for _, s := range r.Sources {
		if s.Outcome == OutcomeFailed {
			out = append(out, s)
		}
	}
	return out
}

// Run updates every source: it fetches (several at once) into temporary
// files, parses and applies each batch to sink (one at a time), and records
// failures in the sink without touching the source's data. One failing
// source does not stop the others; the error is non-nil when any source
// failed (it joins their errors) or ctx ended.
func Run(ctx context.Context, sink Sink, updaters []Updater, opts RunOptions) (Report, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &runner{sink: sink, opts: opts, log: log}
	rep := Report{Sources: make([]SourceReport, len(updaters))}

	// States are read before any fetch so the sink is never used by two
	// goroutines at once.
	states := make([]SourceState, len(updaters))
	for i, u := range updaters {
		rep.Sources[i] = SourceReport{Source: u.Name(), URLs: u.URLs()}
		st, err := sink.State(ctx, u.Name())
		if err != nil {
			return rep, fmt.Errorf("feed: reading the state of %s: %w", u.Name(), err)
		}
		states[i] = st
	}

	type fetched struct {
		i     int
		file  *os.File
		fp    Fingerprint
		start time.Time
		err   error
	}
	jobs := make(chan int)
	done := make(chan fetched)
	var wg sync.WaitGroup
	for range min(opts.Parallel, max(len(updaters), 1)) {
		wg.Go(func() {
			for i := range jobs {
				start := opts.Now()
				f, fp, err := r.fetch(ctx, updaters[i], states[i], &rep.Sources[i])
				done <- fetched{i: i, file: f, fp: fp, start: start, err: err}
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range updaters {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	// Imports run here, one at a time, in the order fetches finish; a
	// worker waits until its file is taken, which bounds the temporary
	// files to Parallel.
	seen := make([]bool, len(updaters))
	for f := range done {
		seen[f.i] = true
		u, sr := updaters[f.i], &rep.Sources[f.i]
		switch {
		case errors.Is(f.err, ErrUnchanged):
			sr.Outcome = OutcomeUnchanged
			if err := r.sink.RecordUnchanged(ctx, u.Name(), f.start); err != nil {
				r.fail(ctx, u.Name(), f.start, sr, err)
			}
		case f.err != nil:
			r.fail(ctx, u.Name(), f.start, sr, f.err)
		default:
			err := r.apply(ctx, u, states[f.i], f.fp, f.start, f.file, sr)
			if err != nil {
				r.fail(ctx, u.Name(), f.start, sr, err)
			} else {
				sr.Outcome = OutcomeUpdated
			}
		}
		if f.file != nil {
			f.file.Close()
			os.Remove(f.file.Name())
		}
		sr.Duration = opts.Now().Sub(f.start)
		r.progress(Progress{Source: u.Name(), Phase: PhaseDone, Bytes: sr.Bytes, Records: sr.Records})
		log.LogAttrs(ctx, logLevel(sr.Outcome), "feed update",
			slog.String("source", u.Name()), slog.String("outcome", string(sr.Outcome)),
			slog.Int64("bytes", sr.Bytes), slog.Int("records", sr.Records),
			slog.Int("added", sr.Stats.Added), slog.Int("modified", sr.Stats.Modified),
			slog.Int("withdrawn", sr.Stats.Withdrawn), slog.Int("skipped", sr.Stats.Skipped),
			slog.Duration("duration", sr.Duration), slog.Any("error", sr.Err))
	}

	var errs []error
	for i := range rep.Sources {
		sr := &rep.Sources[i]
		if !seen[i] {
			sr.Outcome = OutcomeFailed
			sr.Err = fmt.Errorf("%s: not run: %w", sr.Source, context.Cause(ctx))
		}
		if sr.Outcome == OutcomeFailed {
			errs = append(errs, sr.Err)
		}
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("feed: update interrupted: %w", errors.Join(append([]error{context.Cause(ctx)}, errs...)...))
	}
	return rep, errors.Join(errs...)
}

func logLevel(o Outcome) slog.Level {
	if o == OutcomeFailed {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

type runner struct {
	sink Sink
	opts RunOptions
	log  *slog.Logger

	progressMu sync.Mutex
}

func (r *runner) progress(p Progress) {
	if r.opts.Progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.opts.Progress(p)
}

// fetch runs the updater's Fetch into a new temporary file. On success the
// file is returned open; otherwise it is already removed.
func (r *runner) fetch(ctx context.Context, u Updater, st SourceState, sr *SourceReport) (*os.File, Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return nil, Fingerprint{}, err
	}
	f, err := os.CreateTemp(r.opts.TempDir, "vigil-feed-*")
	if err != nil {
		return nil, Fingerprint{}, fmt.Errorf("feed: %s: temporary file: %w", u.Name(), err)
	}
	r.progress(Progress{Source: u.Name(), Phase: PhaseFetch})
	cw := &countingFile{File: f, report: func(n int64) {
		sr.Bytes = n
		r.progress(Progress{Source: u.Name(), Phase: PhaseFetch, Bytes: n})
	}}
	fp, err := u.Fetch(ctx, st.Fingerprint, cw)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		if errors.Is(err, ErrUnchanged) {
			return nil, fp, ErrUnchanged
		}
		return nil, fp, fmt.Errorf("%s: fetch: %w", u.Name(), err)
	}
	return f, fp, nil
}

// countingFile reports the bytes written, and keeps the Seek and Truncate
// that let the fetch helper retry a broken body.
type countingFile struct {
	*os.File
	n      int64
	last   int64
	report func(int64)
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.File.Write(p)
	c.n += int64(n)
	// Reporting every 256 KiB keeps a progress bar lively without a call
	// per small write.
	if c.n-c.last >= 256<<10 || c.n < c.last {
		c.last = c.n
		c.report(c.n)
	}
	return n, err
}

func (c *countingFile) Truncate(size int64) error {
	c.n = size
	c.last = size
	return c.File.Truncate(size)
}

func (r *runner) apply(ctx context.Context, u Updater, st SourceState, fp Fingerprint, start time.Time, f *os.File, sr *SourceReport) error {
	if info, err := f.Stat(); err == nil {
		sr.Bytes = info.Size()
	}
	batch, err := u.Parse(ctx, f)
	if err != nil {
		return fmt.Errorf("%s: parse: %w", u.Name(), err)
	}
	if batch.Source == "" {
		batch.Source = u.Name()
	}
	n := 0
	if batch.Advisories != nil {
		n++
	}
	if batch.KEV != nil {
		n++
	}
	if batch.EPSS != nil {
		n++
	}
	if n != 1 {
		return fmt.Errorf("%s: parse gave a batch with %d iterators, want 1", u.Name(), n)
	}
	sr.Full = batch.Full

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var broken error
	count := func(err error) bool {
		sr.Records++
		if sr.Records%256 == 0 {
			r.progress(Progress{Source: u.Name(), Phase: PhaseImport, Bytes: sr.Bytes, Records: sr.Records})
		}
		if err != nil && errors.Is(err, ErrBroken) && broken == nil {
			broken = err
			cancel(err)
			return false
		}
		return true
	}
	batch.Advisories = watch(batch.Advisories, count)
	batch.KEV = watch(batch.KEV, count)
	batch.EPSS = watch(batch.EPSS, count)

	url := ""
	if urls := u.URLs(); len(urls) > 0 {
		url = urls[0]
	}
	newState := SourceState{
		Source: u.Name(), URL: url, Fingerprint: fp,
		LastAttempt: start, LastSuccess: r.opts.Now(), Records: st.Records,
	}
	r.progress(Progress{Source: u.Name(), Phase: PhaseImport, Bytes: sr.Bytes})
	stats, err := r.sink.Apply(actx, batch, newState)
	sr.Stats = stats
	if broken != nil {
		return fmt.Errorf("%s: import abandoned: %w", u.Name(), broken)
	}
	if err != nil {
		return fmt.Errorf("%s: import: %w", u.Name(), err)
	}
	return nil
}

// watch passes an iterator through, calling count for every element; when
// count returns false the error is still yielded but iteration ends, as
// the batch is being abandoned.
func watch[T any](seq iter.Seq2[T, error], count func(error) bool) iter.Seq2[T, error] {
	if seq == nil {
		return nil
	}
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			goOn := count(err)
			if !yield(v, err) || !goOn {
				return
			}
		}
	}
}

func (r *runner) fail(ctx context.Context, source string, attempt time.Time, sr *SourceReport, err error) {
	sr.Outcome = OutcomeFailed
	sr.Err = err
	// A cancelled run still records why, on a context that outlives it.
	rctx := context.WithoutCancel(ctx)
	if rerr := r.sink.RecordFailure(rctx, source, attempt, err); rerr != nil {
		sr.Err = errors.Join(err, fmt.Errorf("%s: recording the failure: %w", source, rerr))
	}
}
