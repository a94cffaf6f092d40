package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
)

// Wake tells this process's idle workers that a job was queued, so they
// claim it without waiting for their next poll.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run works jobs with n workers until ctx is done, and, on the replica
// holding the "tags" lock, queues the checks of tracked tags. Other
// replicas' jobs are found by polling every poll interval.
func (s *Service) Run(ctx context.Context, n int, poll time.Duration) error {
	if n <= 0 {
		n = 2
	}
	if poll <= 0 {
		poll = time.Second
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, fmt.Sprintf("%s/%d", s.cfg.Worker, i), poll)
		}()
	}
	if s.cfg.TagInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.trackTags(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (s *Service) work(ctx context.Context, worker string, poll time.Duration) {
	kinds := []string{KindIndex, KindAssess}
	for ctx.Err() == nil {
		j, err := s.cfg.Store.Claim(ctx, worker, kinds, s.cfg.Lease)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("claiming a job failed", "worker", worker, "err", err)
			}
			sleep(ctx, poll)
			continue
		}
		if j == nil {
			// Idle: index the postings of images stored without a
			// queued assessment.
			for ctx.Err() == nil {
				n, err := s.cfg.Store.IndexPending(ctx, pendingBatch)
				if err != nil && ctx.Err() == nil {
					s.log.Warn("indexing stored images failed", "worker", worker, "err", err)
				}
				if err != nil || n < pendingBatch {
					break
				}
			}
			select {
			case <-ctx.Done():
			case <-s.wake:
			case <-time.After(poll/2 + rand.N(poll)):
			}
			continue
		}
		s.runJob(ctx, worker, j)
	}
}

// pendingBatch is how many stored images' postings are indexed in one
// transaction.
const pendingBatch = 500

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// runJob runs one claimed job, renewing its lease while it runs, and
// records the outcome. A job whose lease was lost is left to its new
// owner.
func (s *Service) runJob(ctx context.Context, worker string, j *store.Job) {
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				if err := s.cfg.Store.Extend(jctx, j.ID, worker, s.cfg.Lease); errors.Is(err, store.ErrLeaseLost) {
					close(lost)
					cancel()
					return
				}
			}
		}
	}()
	start := time.Now()
	result, err := s.handle(jctx, j)
	select {
	case <-lost:
		s.log.Warn("job lease lost", "job", j.ID, "kind", j.Kind)
		return
	default:
	}
	if ctx.Err() != nil {
		// Shutting down: the lease expires and another worker retries.
		return
	}
	if err == nil {
		if err := s.cfg.Store.Complete(ctx, j.ID, worker, result); err != nil {
			// The job's work is kept (it is idempotent); the job runs
			// again when its lease expires, and is done then.
			s.log.Warn("completing a job failed", "job", j.ID, "err", err)
			return
		}
		s.log.Info("job done", "job", j.ID, "kind", j.Kind, "took", time.Since(start).Round(time.Millisecond))
		return
	}
	permanent := errors.Is(err, errPermanentFail) || errors.Is(err, ErrNotAllowed) || errors.Is(err, ErrBadReference) || errors.Is(err, store.ErrNotFound)
	backoff := time.Duration(1<<min(j.Attempts, 8)) * time.Second
	backoff += rand.N(backoff/2 + 1)
	s.log.Warn("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "permanent", permanent, "err", err)
	if ferr := s.cfg.Store.Fail(ctx, j.ID, worker, err, s.cfg.Now().Add(backoff), permanent); ferr != nil {
		s.log.Warn("recording a job failure failed", "job", j.ID, "err", ferr)
	}
}

func (s *Service) handle(ctx context.Context, j *store.Job) ([]byte, error) {
	switch j.Kind {
	case KindIndex:
		var p indexPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("%w: job %d: payload: %v", errPermanentFail, j.ID, err)
		}
		d, err := s.Index(ctx, p.Reference)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"digest": string(d)})
	case KindAssess:
		var p assessPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, fmt.Errorf("%w: job %d: payload: %v", errPermanentFail, j.ID, err)
		}
		if _, err := s.Assess(ctx, p.Digest); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"digest": string(p.Digest)})
	}
	return nil, fmt.Errorf("%w: job %d: unknown kind %q", errPermanentFail, j.ID, j.Kind)
}

// Index pulls a reference, records where its tag points, and catalogues and
// assesses the image unless its digest is already stored from a registry.
func (s *Service) Index(ctx context.Context, ref string) (sbom.Digest, error) {
	r, err := s.ParseReference(ref)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Registries.Check(r.Context().RegistryStr()); err != nil {
		return "", err
	}
	opt := s.cfg.Image
	opt.Dial = s.cfg.Registries.Dial
	im, err := image.Open(ctx, image.KindRegistry+":"+r.Name(), opt)
	if err != nil {
		if errors.Is(err, image.ErrNotFound) {
			return "", fmt.Errorf("%w: %v", errPermanentFail, err)
		}
		return "", err
	}
	defer im.Close()
	digest := im.Source.ManifestDigest
	repo := r.Context().Name()
	tag := ""
	if t, ok := r.(name.Tag); ok {
		tag = t.TagStr()
		if err := s.cfg.Store.TrackTag(ctx, repo, tag, r.Name()); err != nil {
			return "", err
		}
		mv, err := s.cfg.Store.SetTagDigest(ctx, repo, tag, digest)
		if err != nil {
			return "", err
		}
		if mv != nil {
			s.log.Info("tag moved", "repository", repo, "tag", tag, "from", mv.From, "to", mv.To)
		}
	}
	if old, err := s.cfg.Store.Image(ctx, digest); err == nil && old.Origin == store.OriginRegistry {
		if old.Assessed.IsZero() {
			return digest, s.QueueAssess(ctx, digest)
		}
		return digest, nil
	}
	opts := catalog.Options{
		Catalogers: s.cfg.Catalogers,
		Limits:     s.cfg.Limits,
		Cache:      s.cfg.Cache,
		Logger:     s.log,
		ResolveBase: func(ctx context.Context, name string, d sbom.Digest) ([]sbom.Digest, error) {
			if ref, err := s.ParseReference(name); err != nil || s.cfg.Registries.Check(ref.Context().RegistryStr()) != nil {
				return nil, fmt.Errorf("base image %s: %w", name, ErrNotAllowed)
			}
			return image.ResolveBase(ctx, name, d, opt)
		},
	}
	inv, err := catalog.Inventory(ctx, im, opts)
	if err != nil {
		return "", err
	}
	if _, err := s.cfg.Store.PutImage(ctx, &store.NewImage{
		Digest: digest, Repository: repo, Tag: tag, Reference: r.Name(),
		Origin: store.OriginRegistry, Inventory: inv, Keys: storeKeys,
	}); err != nil {
		return "", err
	}
	if _, err := s.Assess(ctx, digest); err != nil {
		if errors.Is(err, ErrNoAdvisories) {
			// Stored, not assessed: a later assessment job does it.
			s.log.Warn("image stored without assessment", "digest", digest, "err", err)
			return digest, s.QueueAssess(ctx, digest)
		}
		return "", err
	}
	return digest, nil
}

// trackTags queues, on one replica at a time, the index jobs of tracked
// tags not checked for TagInterval.
func (s *Service) trackTags(ctx context.Context) {
	every := min(s.cfg.TagInterval/4, time.Minute)
	for ctx.Err() == nil {
		if err := s.queueDueTags(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("checking tracked tags failed", "err", err)
		}
		sleep(ctx, every)
	}
}

func (s *Service) queueDueTags(ctx context.Context) error {
	lock, err := s.cfg.Store.TryLock(ctx, "tags", s.cfg.Worker, 5*time.Minute)
	if err != nil || lock == nil {
		return err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	due, err := s.cfg.Store.TagsCheckedBefore(ctx, s.cfg.Now().Add(-s.cfg.TagInterval), 500)
	if err != nil {
		return err
	}
	for _, t := range due {
		payload, _ := json.Marshal(indexPayload{Reference: t.Reference})
		if _, _, err := s.cfg.Store.Enqueue(ctx, store.NewJob{Kind: KindIndex, Payload: payload, Dedupe: t.Reference}); err != nil {
			return err
		}
	}
	if len(due) > 0 {
		s.Wake()
	}
	return nil
}
