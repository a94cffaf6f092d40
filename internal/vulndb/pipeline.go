package vulndb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/vigilproject/vigil/internal/advisory"
)

// An import runs in two goroutines: one pulls records from the batch's
// iterator (which decodes them) and prepares everything that needs no
// database (normalising, hashing, encoding), the other writes. SQLite has
// one writer, so this is the only parallelism an import can use, and it
// overlaps the feed's decoding with the store's writing.

// prepared is one record ready for the writer.
type prepared struct {
	a   advisory.Advisory
	err error // from the iterator
	id  string

	hash    [32]byte
	keys    []Key
	cols    []any // advisory row values after adv, source, id, grp
	entries []keyedEntry
	cves    []string // the advisory's own CVE ids, sorted
	ids     []string
	logKeys string // keys as logged for a new record
}

// keyedEntry is one affected entry as its key's matches row holds it; a
// withdrawn advisory has none.
type keyedEntry struct {
	key   Key
	n     int
	match []byte
}

// chunkSize is how many records travel between the goroutines at once;
// chunksAhead is how many prepared chunks may wait for the writer: enough
// to keep the producers busy while the writer flushes its buffers (flushAt
// rows, a couple of thousand records), and decodedAhead how many decoded
// ones may wait for preparation, which keeps up with decoding.
const (
	chunkSize    = 128
	chunksAhead  = 32
	decodedAhead = 4
)

// prepare normalises a record and computes what the writer stores; buf is
// scratch space for encoding, returned for the next record.
func prepare(source string, a advisory.Advisory, err error, buf []byte) (prepared, []byte) {
	p := prepared{a: a, err: err, id: strings.TrimSpace(a.ID)}
	if err != nil || p.id == "" {
		return p, buf
	}
	a = p.a
	a.ID = p.id
	a.Source = source
	a.Aliases = cleanAliases(p.id, a.Aliases)
	buf = encodeAdvisory(&a, buf)
	body := bytes.Clone(buf)
	p.hash = sha256.Sum256(body)
	p.keys = affectedKeys(&a)
	p.ids = a.IDs()
	p.cols = []any{formatTime(a.Withdrawn), p.hash[:], encodeKeys(p.keys, false), jsonStrings(a.Aliases), body}
	if !a.IsWithdrawn() {
		aliases := sortedAliases(a.Aliases)
		p.entries = make([]keyedEntry, len(a.Affected))
		for i := range a.Affected {
			af := &a.Affected[i]
			eco := strings.TrimSpace(af.Ecosystem)
			buf = appendEntry(buf, &a, af, aliases)
			p.entries[i] = keyedEntry{key: Key{Ecosystem: eco, Package: NormalizeName(eco, af.Package)}, n: i, match: bytes.Clone(buf)}
		}
		for _, id := range p.ids {
			if isCVE(id) {
				p.cves = append(p.cves, id)
			}
		}
		slices.Sort(p.cves)
	}
	p.logKeys = encodeKeys(p.keys, true)
	p.a = a
	return p, buf
}

// produce runs seq and sends chunks of records until seq ends, ctx ends or
// stop closes; it closes out when done.
func produce(ctx context.Context, seq iter.Seq2[advisory.Advisory, error], out chan<- []prepared, stop <-chan struct{}) {
	defer close(out)
	chunk := make([]prepared, 0, chunkSize)
	send := func() bool {
		select {
		case out <- chunk:
			chunk = make([]prepared, 0, chunkSize)
			return true
		case <-stop:
			return false
		case <-ctx.Done():
			return false
		}
	}
	for a, err := range seq {
		chunk = append(chunk, prepared{a: a, err: err})
		if len(chunk) == chunkSize && !send() {
			return
		}
	}
	if len(chunk) > 0 {
		send()
	}
}

// prepareAll prepares the chunks of in and passes them on to out until in
// closes, ctx ends or stop closes; it closes out when done.
func prepareAll(ctx context.Context, source string, in <-chan []prepared, out chan<- []prepared, stop <-chan struct{}) {
	defer close(out)
	var buf []byte
	for chunk := range in {
		for i := range chunk {
			chunk[i], buf = prepare(source, chunk[i].a, chunk[i].err, buf)
		}
		select {
		case out <- chunk:
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// pipeline starts the iterator and the preparation in goroutines of their
// own (the iterator decodes, which costs about as much as everything the
// writer does, so it gets a goroutine to itself) and returns the prepared
// chunks and a function that stops both and waits for them to end, so the
// iterator never outlives Apply.
func pipeline(ctx context.Context, source string, seq iter.Seq2[advisory.Advisory, error]) (<-chan []prepared, func()) {
	decoded := make(chan []prepared, decodedAhead)
	out := make(chan []prepared, chunksAhead)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { produce(ctx, seq, decoded, stop) })
	wg.Go(func() {
		prepareAll(ctx, source, decoded, out, stop)
		// Unblock a producer waiting to send.
		for range decoded {
		}
	})
	return out, func() {
		close(stop)
		for range out {
		}
		wg.Wait()
	}
}
