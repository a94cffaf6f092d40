package vulndb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"iter"
	"slices"
	"strings"

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

// chunkSize is how many records travel between the goroutines at once, and
// chunksAhead how many chunks the producer may prepare before the writer
// takes them: enough to keep it busy while the writer flushes its buffers
// (flushAt rows, a couple of thousand records).
const (
	chunkSize   = 128
	chunksAhead = 32
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

// produce runs seq and sends prepared chunks until seq ends, ctx ends or
// stop closes; it closes out when done.
func produce(ctx context.Context, source string, seq iter.Seq2[advisory.Advisory, error], out chan<- []prepared, stop <-chan struct{}) {
	defer close(out)
	chunk := make([]prepared, 0, chunkSize)
	var buf []byte
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
		var p prepared
		p, buf = prepare(source, a, err, buf)
		chunk = append(chunk, p)
		if len(chunk) == chunkSize && !send() {
			return
		}
	}
	if len(chunk) > 0 {
		send()
	}
}

// pipeline starts produce and returns its output and a function that stops
// it and waits for it to end, so the iterator never outlives Apply.
func pipeline(ctx context.Context, source string, seq iter.Seq2[advisory.Advisory, error]) (<-chan []prepared, func()) {
	out := make(chan []prepared, chunksAhead)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		produce(ctx, source, seq, out, stop)
	}()
	return out, func() {
		close(stop)
		// Unblock a producer waiting to send, then wait for it.
		for range out {
		}
		<-done
	}
}
