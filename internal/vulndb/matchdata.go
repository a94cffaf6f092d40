package vulndb

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/vigilproject/vigil/internal/advisory"
)

// matches.data holds every affected entry of the live advisories naming
// one (ecosystem, package) key, in (advisory, position) order, so that a
// lookup reads one row and decodes one blob:
//
//	data  = matchesFormat entry*
//	entry = uvarint(adv) uvarint(n) uvarint(len(match)) match
//	match = sizes id source published modified severity aliases affected summary
//	sizes = count(severity) count(aliases + versions) count(ranges) count(events)
//
// with the advisory's aliases sorted (as lookups return them), times as
// unixTime and the entry as encoder.affected writes it. Each entry carries
// what a lookup needs of its advisory; Apply rewrites the row when one of
// them changes. The sizes let a lookup allocate the slices of all its
// matches at once.

// matchesFormat is the first byte of matches.data.
const matchesFormat = 2

// encodeEntry encodes one affected entry of an advisory as a match of
// matches.data; aliases are the advisory's, sorted.
func encodeEntry(a *advisory.Advisory, af *advisory.Affected, aliases []string) []byte {
	return appendEntry(nil, a, af, aliases)
}

// appendEntry appends the encoding of encodeEntry to buf[:0].
func appendEntry(buf []byte, a *advisory.Advisory, af *advisory.Affected, aliases []string) []byte {
	e := encoder{b: buf[:0]}
	events := 0
	for _, r := range af.Ranges {
		events += len(r.Events)
	}
	e.num(len(a.Severity))
	e.num(len(aliases) + len(af.Versions))
	e.num(len(af.Ranges))
	e.num(events)
	e.str(a.ID)
	e.str(a.Source)
	e.unixTime(a.Published)
	e.unixTime(a.Modified)
	e.scores(a.Severity)
	e.strs(aliases)
	e.affected(af)
	e.str(a.Summary)
	return e.b
}

// storedEntry is one entry of matches.data, its match still encoded.
type storedEntry struct {
	adv   int64
	n     int
	match []byte
}

func compareEntries(a, b storedEntry) int {
	if a.adv != b.adv {
		return cmpInt(a.adv, b.adv)
	}
	return a.n - b.n
}

// appendEntries writes entries (sorted) as matches.data.
func appendEntries(b []byte, entries []storedEntry) []byte {
	b = append(b, matchesFormat)
	for _, en := range entries {
		b = binary.AppendUvarint(b, uint64(en.adv))
		b = binary.AppendUvarint(b, uint64(en.n))
		b = binary.AppendUvarint(b, uint64(len(en.match)))
		b = append(b, en.match...)
	}
	return b
}

// splitEntries reads matches.data into its entries, which share data's
// memory.
func splitEntries(data []byte) ([]storedEntry, error) {
	if len(data) == 0 || data[0] != matchesFormat {
		return nil, fmt.Errorf("matches: %w", errCorrupt)
	}
	var out []storedEntry
	rest := data[1:]
	for len(rest) > 0 {
		adv, k1 := binary.Uvarint(rest)
		if k1 <= 0 {
			return nil, fmt.Errorf("matches: %w", errCorrupt)
		}
		n, k2 := binary.Uvarint(rest[k1:])
		if k2 <= 0 {
			return nil, fmt.Errorf("matches: %w", errCorrupt)
		}
		size, k3 := binary.Uvarint(rest[k1+k2:])
		h := k1 + k2 + k3
		if k3 <= 0 || size > uint64(len(rest)-h) || n > 1<<31 || adv > 1<<62 {
			return nil, fmt.Errorf("matches: %w", errCorrupt)
		}
		out = append(out, storedEntry{adv: int64(adv), n: int(n), match: rest[h : h+int(size) : h+int(size)]})
		rest = rest[h+int(size):]
	}
	return out, nil
}

// entryIDs returns the id and the sorted aliases of an encoded match.
func entryIDs(match []byte) (string, []string, error) {
	d := decoder{b: string(match)}
	d.sizes()
	id := d.str()
	d.str()
	d.unixTime()
	d.unixTime()
	d.skipScores()
	aliases := d.strs()
	if d.err != nil {
		return "", nil, fmt.Errorf("match: %w", d.err)
	}
	return id, aliases, nil
}

func (d *decoder) skipScores() {
	for range d.num() {
		d.str()
		d.str()
		d.float()
		d.str()
	}
}

// arena hands out the slices of one lookup's matches from shared backing
// arrays, so that a key with hundreds of matches costs one allocation per
// kind of slice rather than several per match. Every slice is capped at its
// length: a caller appending to one copies it instead of overwriting its
// neighbour.
type arena struct {
	strs   []string
	ranges []advisory.Range
	events []advisory.Event
	scores []advisory.Score
}

// take returns n elements of *pool; a pool sized from the sizes of the
// matches never runs out, unless the sizes lie.
func take[T any](pool *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	if len(*pool)+n > cap(*pool) {
		*pool = make([]T, 0, n)
	}
	i := len(*pool)
	*pool = (*pool)[:i+n]
	return (*pool)[i : i+n : i+n]
}

// sizes reads the sizes at the start of a match.
func (d *decoder) sizes() (scores, strs, ranges, events int) {
	return d.num(), d.num(), d.num(), d.num()
}

// decodeMatches reads matches.data into the matches of key eco, and the
// advisory of each. The strings of the matches share data's memory.
func decodeMatches(data string, eco string) ([]Match, []int64, error) {
	if len(data) == 0 || data[0] != matchesFormat {
		return nil, nil, fmt.Errorf("matches: %w", errCorrupt)
	}
	// Count the entries and their slices' elements first, so that each
	// kind is allocated once.
	d := decoder{b: data[1:]}
	var n, scores, strs, ranges, events int
	for len(d.b) > 0 && d.err == nil {
		d.num64()
		d.num64()
		md := decoder{b: d.str()}
		s, a, r, e := md.sizes()
		if md.err != nil {
			d.err = md.err
		}
		n, scores, strs, ranges, events = n+1, scores+s, strs+a, ranges+r, events+e
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("matches: %w", d.err)
	}
	out := make([]Match, n)
	advs := make([]int64, n)
	ar := arena{
		strs:   make([]string, 0, strs),
		ranges: make([]advisory.Range, 0, ranges),
		events: make([]advisory.Event, 0, events),
		scores: make([]advisory.Score, 0, scores),
	}
	d = decoder{b: data[1:]}
	for i := range out {
		advs[i] = d.num64()
		d.num64()
		md := decoder{b: d.str()}
		md.sizes()
		m := &out[i]
		md.match(m, &ar)
		if md.err == nil && len(md.b) != 0 {
			md.fail()
		}
		if md.err != nil {
			return nil, nil, fmt.Errorf("matches: entry %d: %w", i, md.err)
		}
		m.Affected.Ecosystem = eco
	}
	return out, advs, nil
}

// match decodes an encoded match into m.
func (d *decoder) match(m *Match, ar *arena) {
	m.ID = d.str()
	m.Source = d.str()
	m.Published = d.unixTime()
	m.Modified = d.unixTime()
	if n := d.num(); n > 0 {
		m.Severity = take(&ar.scores, n)
		for i := range m.Severity {
			m.Severity[i] = advisory.Score{Type: d.str(), Vector: d.str(), Base: d.float(), Source: d.str()}
		}
	}
	m.Aliases = d.strsIn(ar)
	a := &m.Affected
	a.Package = d.str()
	a.PURL = d.str()
	if n := d.num(); n > 0 {
		a.Ranges = take(&ar.ranges, n)
		for i := range a.Ranges {
			r := &a.Ranges[i]
			r.Type = d.str()
			k := d.num()
			if d.err != nil {
				return
			}
			r.Events = take(&ar.events, k)
			for j := range r.Events {
				d.event(&r.Events[j])
			}
		}
	}
	a.Versions = d.strsIn(ar)
	a.Status = advisory.Status(d.str())
	a.Severity = d.str()
	a.Note = d.str()
	m.Summary = d.str()
}

func (d *decoder) strsIn(ar *arena) []string {
	n := d.num()
	if n == 0 || d.err != nil {
		return nil
	}
	ss := take(&ar.strs, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

// sortedAliases returns the aliases as a match carries them.
func sortedAliases(aliases []string) []string {
	if slices.IsSorted(aliases) {
		return aliases
	}
	return slices.Sorted(slices.Values(aliases))
}
