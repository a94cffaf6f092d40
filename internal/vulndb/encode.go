package vulndb

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Advisories (advisories.body) and the matches of a key (matches.data) are
// stored in a small binary encoding instead of JSON: a lookup decodes every
// match of its key, and encoding/json's reflection would dominate the
// lookup time. The format is a format byte followed by
// uvarint-length-prefixed strings and uvarint counts. The encoding of the
// whole advisory is also what its content hash is computed over.

// encFormat is the first byte of an encoded advisory (and of the schema 1
// and 2 affected.data and severity blobs); a future layout gets a new value
// and a migration.
const encFormat = 1

// errCorrupt reports a blob the decoder cannot read: the file was damaged or
// written by something else.
var errCorrupt = errors.New("corrupt encoded value")

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) num(n int) { e.b = binary.AppendUvarint(e.b, uint64(n)) }

func (e *encoder) float(f float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }

func (e *encoder) strs(ss []string) {
	e.num(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.str("")
		return
	}
	e.str(t.UTC().Format(time.RFC3339Nano))
}

// Event kinds in the encoding.
const (
	evIntroduced = iota
	evFixed
	evLastAffected
	evLimit
)

func (e *encoder) affected(a *advisory.Affected) {
	e.str(a.Package)
	e.str(a.PURL)
	e.num(len(a.Ranges))
	for _, r := range a.Ranges {
		e.str(r.Type)
		e.num(len(r.Events))
		for _, ev := range r.Events {
			switch {
			case ev.Introduced != "":
				e.num(evIntroduced)
				e.str(ev.Introduced)
			case ev.Fixed != "":
				e.num(evFixed)
				e.str(ev.Fixed)
			case ev.LastAffected != "":
				e.num(evLastAffected)
				e.str(ev.LastAffected)
			default:
				e.num(evLimit)
				e.str(ev.Limit)
			}
		}
	}
	e.strs(a.Versions)
	e.str(string(a.Status))
	e.str(a.Severity)
	e.str(a.Note)
}

func (e *encoder) scores(ss []advisory.Score) {
	e.num(len(ss))
	for _, s := range ss {
		e.str(s.Type)
		e.str(s.Vector)
		e.float(s.Base)
		e.str(s.Source)
	}
}

// unixTime encodes a time as seconds and nanoseconds, which decode without
// parsing: 0 for the zero time, else 1, zig-zag seconds, nanoseconds.
func (e *encoder) unixTime(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
}

// encodeAdvisory appends the stored form of an advisory (advisories.body)
// to buf[:0]: everything the store keeps of it, in a fixed order, so that
// its sha256 identifies the content and an update can skip records whose
// hash is unchanged.
func encodeAdvisory(a *advisory.Advisory, buf []byte) []byte {
	e := encoder{b: buf[:0]}
	e.b = append(e.b, encFormat)
	e.str(a.ID)
	e.strs(a.Aliases)
	e.strs(a.Related)
	e.str(a.Source)
	e.str(a.Summary)
	e.str(a.Details)
	e.time(a.Published)
	e.time(a.Modified)
	e.time(a.Withdrawn)
	e.strs(a.References)
	e.scores(a.Severity)
	e.num(len(a.Affected))
	for i := range a.Affected {
		e.str(a.Affected[i].Ecosystem)
		e.affected(&a.Affected[i])
	}
	return e.b
}

// contentHash identifies an advisory's content: two records with the same
// hash store identically. buf is reused.
func contentHash(a *advisory.Advisory, buf []byte) ([32]byte, []byte) {
	b := encodeAdvisory(a, buf)
	return sha256.Sum256(b), b
}

// decodeAdvisory reads advisories.body. Affected ecosystems come back
// trimmed, as the store keys them.
func decodeAdvisory(b []byte) (advisory.Advisory, error) {
	var a advisory.Advisory
	d := decoder{b: string(b)}
	d.format()
	a.ID = d.str()
	a.Aliases = d.strs()
	a.Related = d.strs()
	a.Source = d.str()
	a.Summary = d.str()
	a.Details = d.str()
	a.Published = d.textTime()
	a.Modified = d.textTime()
	a.Withdrawn = d.textTime()
	a.References = d.strs()
	a.Severity = d.scores()
	if n := d.num(); n > 0 {
		a.Affected = make([]advisory.Affected, n)
		for i := range a.Affected {
			a.Affected[i].Ecosystem = strings.TrimSpace(d.str())
			d.affected(&a.Affected[i])
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return advisory.Advisory{}, fmt.Errorf("advisory body: %w", d.err)
	}
	return a, nil
}

// decoder reads an encoded blob. It works on a string holding the whole
// blob, so the strings it returns share that one allocation: a lookup
// decoding a long versions list makes one copy, not one per version.
type decoder struct {
	b   string
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = ""
}

func (d *decoder) num() int {
	// Most counts and lengths fit in one byte.
	if len(d.b) > 0 && d.b[0] < 0x80 && int(d.b[0]) <= len(d.b) {
		n := int(d.b[0])
		d.b = d.b[1:]
		return n
	}
	if d.err != nil {
		return 0
	}
	var n uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		n |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if n > uint64(len(d.b)) || (i == binary.MaxVarintLen64-1 && c > 1) {
				// No count or length in a valid blob exceeds the blob.
				break
			}
			d.b = d.b[i+1:]
			return int(n)
		}
	}
	d.fail()
	return 0
}

func (d *decoder) str() string {
	n := d.num()
	if n > len(d.b) {
		d.fail()
		return ""
	}
	if n == 0 {
		// Not a substring: an empty string keeps no blob alive.
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) float() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64([]byte(d.b[:8])))
	d.b = d.b[8:]
	return f
}

func (d *decoder) strs() []string {
	n := d.num()
	if n == 0 {
		return nil
	}
	ss := make([]string, 0, n)
	for range n {
		ss = append(ss, d.str())
		if d.err != nil {
			return nil
		}
	}
	return ss
}

func (d *decoder) format() {
	if len(d.b) == 0 || d.b[0] != encFormat {
		d.fail()
		return
	}
	d.b = d.b[1:]
}

func (d *decoder) unixTime() time.Time {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return time.Time{}
	}
	set := d.b[0]
	d.b = d.b[1:]
	switch set {
	case 0:
		return time.Time{}
	case 1:
	default:
		d.fail()
		return time.Time{}
	}
	// Seconds are zig-zag encoded.
	u := uint64(d.num64())
	sec := int64(u >> 1)
	if u&1 != 0 {
		sec = ^sec
	}
	nsec := d.num64()
	if d.err != nil || nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, nsec).UTC()
}

// textTime reads a time encoded by encoder.time.
func (d *decoder) textTime() time.Time {
	s := d.str()
	if d.err != nil || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail()
		return time.Time{}
	}
	return t
}

// num64 reads a uvarint of any size (num bounds values by the blob size).
func (d *decoder) num64() int64 {
	if d.err != nil {
		return 0
	}
	var n uint64
	for i := 0; i < len(d.b) && i < binary.MaxVarintLen64; i++ {
		c := d.b[i]
		n |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			d.b = d.b[i+1:]
			return int64(n)
		}
	}
	d.fail()
	return 0
}

func (d *decoder) scores() []advisory.Score {
	n := d.num()
	if n == 0 {
		return nil
	}
	ss := make([]advisory.Score, 0, n)
	for range n {
		s := advisory.Score{Type: d.str(), Vector: d.str(), Base: d.float(), Source: d.str()}
		if d.err != nil {
			return nil
		}
		ss = append(ss, s)
	}
	return ss
}

// event decodes a range event: its kind, then its version.
func (d *decoder) event(e *advisory.Event) {
	kind, v := d.num(), d.str()
	switch kind {
	case evIntroduced:
		e.Introduced = v
	case evFixed:
		e.Fixed = v
	case evLastAffected:
		e.LastAffected = v
	case evLimit:
		e.Limit = v
	default:
		d.fail()
	}
}

func (d *decoder) affected(a *advisory.Affected) {
	a.Package = d.str()
	a.PURL = d.str()
	if n := d.num(); n > 0 {
		a.Ranges = make([]advisory.Range, n)
		for i := range a.Ranges {
			r := &a.Ranges[i]
			r.Type = d.str()
			m := d.num()
			if d.err != nil || m == 0 {
				continue
			}
			r.Events = make([]advisory.Event, m)
			for j := range r.Events {
				d.event(&r.Events[j])
			}
		}
	}
	a.Versions = d.strs()
	a.Status = advisory.Status(d.str())
	a.Severity = d.str()
	a.Note = d.str()
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so that stored
// times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime is the stored form of a time: timeLayout in UTC, nil for zero
// (the Go vulndb's "0001-01-01T00:00:00Z" placeholder is the zero time).
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time; NULL and "" are the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// isCVE reports whether id names a CVE, the key of KEV and EPSS.
func isCVE(id string) bool { return strings.HasPrefix(id, "CVE-") }
