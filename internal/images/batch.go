package images

import (
	"context"
	"sync"

	"github.com/vigilproject/vigil/internal/store"
)

// batcher groups concurrent PutImage calls into one store transaction
// (group commit): while one batch commits, the next gathers. Under load
// the commit and the shared pages of the reverse index are paid once per
// batch instead of once per image; alone, a call is its own batch.
type batcher struct {
	st      *store.Store
	mu      sync.Mutex
	pending []*putReq
	running bool
}

type putReq struct {
	n    *store.NewImage
	im   store.Image
	err  error
	done chan struct{}
}

const maxBatch = 64

func (b *batcher) put(ctx context.Context, n *store.NewImage) (store.Image, error) {
	r := &putReq{n: n, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.running {
		b.mu.Unlock()
		select {
		case <-r.done:
			return r.im, r.err
		case <-ctx.Done():
			// The batch goes on without this caller; its result is lost
			// to it, not to the store.
			return store.Image{}, ctx.Err()
		}
	}
	b.running = true
	b.mu.Unlock()
	// This caller leads: it commits batches until none is pending. The
	// batch belongs to every caller in it, so not to this one's context.
	bctx := context.WithoutCancel(ctx)
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.running = false
			b.mu.Unlock()
			break
		}
		n := min(len(b.pending), maxBatch)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		b.commit(bctx, batch)
	}
	<-r.done
	return r.im, r.err
}

func (b *batcher) commit(ctx context.Context, batch []*putReq) {
	ns := make([]*store.NewImage, len(batch))
	for i, r := range batch {
		ns[i] = r.n
	}
	ims, err := b.st.PutImages(ctx, ns)
	if err != nil && len(batch) > 1 {
		// One bad image must not fail the others: store them one by one.
		for _, r := range batch {
			r.im, r.err = b.st.PutImage(ctx, r.n)
			close(r.done)
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.im = ims[i]
		}
		close(r.done)
	}
}
