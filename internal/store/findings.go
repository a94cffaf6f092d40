package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Event types.
const (
	EventFindingNew       = "finding.new"
	EventFindingResolved  = "finding.resolved"
	EventSeverityChanged  = "finding.severity_changed"
	EventFixAvailable     = "finding.fix_available"
	EventKEVAdded         = "finding.kev_added"
	EventImageWentBad     = "image.went_bad"
	EventImageRecovered   = "image.recovered"
	eventIDBytes          = 16
	maxEventsPerStatement = 300
)

// EventTypes lists every event type.
var EventTypes = []string{EventFindingNew, EventFindingResolved, EventSeverityChanged, EventFixAvailable, EventKEVAdded, EventImageWentBad, EventImageRecovered}

// Event is one recorded lifecycle event. ID is stable: recording the same
// change again (after a crash, on another replica) yields the same ID, and
// the store keeps it once.
type Event struct {
	Seq        int64
	ID         string
	Type       string
	Time       time.Time
	Digest     sbom.Digest
	Repository string
	VulnID     string // empty for image events
	Severity   advisory.Severity
	KEV        bool
	Data       EventData
}

// EventData is the payload of an event: the data of its CloudEvent.
type EventData struct {
	Image         EventImage         `json:"image"`
	Package       *EventPackage      `json:"package,omitempty"`
	Vulnerability *EventVuln         `json:"vulnerability,omitempty"`
	Previous      *EventVuln         `json:"previous,omitempty"` // before a change
	Summary       *EventImageSummary `json:"summary,omitempty"`  // image events
	DBVersion     int64              `json:"dbVersion"`
}

// EventImage names the image of an event.
type EventImage struct {
	Digest     string `json:"digest"`
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
}

// EventPackage is the package a finding event is about.
type EventPackage struct {
	Ecosystem     string `json:"ecosystem"`
	Name          string `json:"name"`
	Version       string `json:"version"`
	SourceName    string `json:"sourceName,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	PURL          string `json:"purl,omitempty"`
	Layer         int    `json:"layer"`
	InBase        bool   `json:"inBase"`
}

// EventVuln is the vulnerability of a finding event.
type EventVuln struct {
	ID            string   `json:"id"`
	Aliases       []string `json:"aliases,omitempty"`
	Summary       string   `json:"summary,omitempty"`
	Severity      string   `json:"severity"`
	CVSS          float64  `json:"cvss,omitempty"`
	KEV           bool     `json:"kev"`
	EPSS          float64  `json:"epss,omitempty"`
	Status        string   `json:"status"`
	FixedVersions []string `json:"fixedVersions,omitempty"`
	Advisory      string   `json:"advisory,omitempty"`
}

// EventImageSummary is an image's counts in an image event.
type EventImageSummary struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Fixable  int `json:"fixable"`
	KEV      int `json:"kev"`
}

// Threshold says when an image has "gone bad": a fixable finding at or
// above MinFixable (critical or high), or any finding in the KEV
// catalogue when KEV is set.
type Threshold struct {
	MinFixable advisory.Severity
	KEV        bool
}

// DefaultThreshold: any fixable critical, or any KEV.
var DefaultThreshold = Threshold{MinFixable: advisory.SeverityCritical, KEV: true}

func (t Threshold) bad(c counts) bool {
	switch {
	case t.KEV && c.kev > 0:
		return true
	case t.MinFixable == advisory.SeverityCritical:
		return c.fixCrit > 0
	case t.MinFixable == advisory.SeverityHigh:
		return c.fixCrit+c.fixHigh > 0
	}
	return false
}

// counts are an image's finding counters.
type counts struct {
	crit, high, med, low, negl, unk, fix, kev, fixCrit, fixHigh int
}

func (c *counts) add(f *advisory.Finding, sign int) {
	c.addRaw(f.Severity, f.Fixable(), f.KEV != nil, sign)
}

func (c *counts) addRaw(sev advisory.Severity, fixable, kev bool, sign int) {
	switch sev {
	case advisory.SeverityCritical:
		c.crit += sign
	case advisory.SeverityHigh:
		c.high += sign
	case advisory.SeverityMedium:
		c.med += sign
	case advisory.SeverityLow:
		c.low += sign
	case advisory.SeverityNegligible:
		c.negl += sign
	default:
		c.unk += sign
	}
	if fixable {
		c.fix += sign
		switch sev {
		case advisory.SeverityCritical:
			c.fixCrit += sign
		case advisory.SeverityHigh:
			c.fixHigh += sign
		}
	}
	if kev {
		c.kev += sign
	}
}

func (c counts) plus(d counts) counts {
	return counts{c.crit + d.crit, c.high + d.high, c.med + d.med, c.low + d.low, c.negl + d.negl, c.unk + d.unk,
		c.fix + d.fix, c.kev + d.kev, c.fixCrit + d.fixCrit, c.fixHigh + d.fixHigh}
}

func (c counts) max() advisory.Severity {
	switch {
	case c.crit > 0:
		return advisory.SeverityCritical
	case c.high > 0:
		return advisory.SeverityHigh
	case c.med > 0:
		return advisory.SeverityMedium
	case c.low > 0:
		return advisory.SeverityLow
	case c.negl > 0:
		return advisory.SeverityNegligible
	}
	return advisory.SeverityUnknown
}

// UnevaluatedPackages returns an image's packages never evaluated.
func (s *Store) UnevaluatedPackages(ctx context.Context, digest sbom.Digest) ([]IndexedPackage, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM images WHERE digest = ?`), string(digest)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: image %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := s.imagePackageIDs(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	// Most packages of an image are shared with images already assessed:
	// find the few that are not by id alone, then read those. Ids this
	// process saw evaluated need no lookup.
	ids = slices.DeleteFunc(ids, s.evaluated.has)
	var todo []int64
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rs, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM packages WHERE id IN (`+placeholders(len(chunk))+`) AND evaluated = 0`), int64Args(chunk)...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			todo = append(todo, id)
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	unevaluated := make(map[int64]bool, len(todo))
	for _, id := range todo {
		unevaluated[id] = true
	}
	for _, id := range ids {
		if !unevaluated[id] {
			s.evaluated.add(id)
		}
	}
	var out []IndexedPackage
	for start := 0; start < len(todo); start += 500 {
		chunk := todo[start:min(start+500, len(todo))]
		ps, err := s.queryPackages(ctx, `SELECT `+packageCols+` FROM packages p WHERE p.id IN (`+placeholders(len(chunk))+`)`, int64Args(chunk)...)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// rowsQuerier is a *sql.DB or a *sql.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) queryPackages(ctx context.Context, q string, args ...any) ([]IndexedPackage, error) {
	return s.queryPackagesOn(ctx, s.db, q, args...)
}

// queryPackagesOn runs a query selecting packageCols.
func (s *Store) queryPackagesOn(ctx context.Context, db rowsQuerier, q string, args ...any) ([]IndexedPackage, error) {
	rs, err := db.QueryContext(ctx, s.q(q), args...)
	return collect(s, rs, err, scanPackage)
}

// Evaluation is the result of matching distinct packages against one
// version of the vulnerability database: for every package evaluated,
// its findings (none is an empty list), matched on the package alone.
type Evaluation struct {
	Version  int64
	Findings map[int64][]advisory.Finding
	// Threshold decides image.went_bad and image.recovered; zero means
	// DefaultThreshold.
	Threshold Threshold
	// Now stamps the events; zero means the store's clock.
	Now time.Time
}

// findingKey identifies a finding of one package across evaluations: its
// id, or any alias (an id may become another's alias when groups merge).
func sameFinding(a, b *advisory.Finding) bool {
	if a.ID == b.ID {
		return true
	}
	for _, x := range a.Aliases {
		if x == b.ID || slices.Contains(b.Aliases, x) {
			return true
		}
	}
	return slices.Contains(b.Aliases, a.ID)
}

type findingChange struct {
	typ      string
	old, new *advisory.Finding
}

// diffFindings returns how a package's findings changed.
func diffFindings(old, new []advisory.Finding) []findingChange {
	var out []findingChange
	matched := make([]bool, len(old))
	for i := range new {
		n := &new[i]
		j := slices.IndexFunc(old, func(o advisory.Finding) bool { return sameFinding(&o, n) })
		if j < 0 {
			out = append(out, findingChange{EventFindingNew, nil, n})
			continue
		}
		matched[j] = true
		o := &old[j]
		if o.Severity != n.Severity {
			out = append(out, findingChange{EventSeverityChanged, o, n})
		}
		if !o.Fixable() && n.Fixable() {
			out = append(out, findingChange{EventFixAvailable, o, n})
		}
		if o.KEV == nil && n.KEV != nil {
			out = append(out, findingChange{EventKEVAdded, o, n})
		}
	}
	for j := range old {
		if !matched[j] {
			out = append(out, findingChange{EventFindingResolved, &old[j], nil})
		}
	}
	return out
}

// ApplyEvaluation stores packages' findings and, in the same transaction,
// for every assessed image holding a package whose findings changed:
// updates the image's counts and records the finding events and the
// image's threshold crossing. Images not yet assessed get no events (their
// first assessment is their baseline). It returns the events recorded.
// Applying the same evaluation twice records nothing the second time.
func (s *Store) ApplyEvaluation(ctx context.Context, ev Evaluation) ([]Event, error) {
	if ev.Threshold == (Threshold{}) {
		ev.Threshold = DefaultThreshold
	}
	now := ev.Now
	if now.IsZero() {
		now = s.now()
	}
	ids := make([]int64, 0, len(ev.Findings))
	for id := range ev.Findings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer tx.Rollback()

	// A package evaluated meanwhile against a newer database keeps that
	// evaluation: a slow worker's stale answer never overwrites it.
	newer, err := s.evaluatedAfter(ctx, tx, ids, ev.Version)
	if err != nil {
		return nil, err
	}
	ids = slices.DeleteFunc(ids, func(id int64) bool { return newer[id] })
	old, err := s.packageFindingsTx(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	changed := map[int64][]findingChange{}
	deltas := map[int64]counts{}
	for _, id := range ids {
		d := diffFindings(old[id], ev.Findings[id])
		var c counts
		for i := range old[id] {
			c.add(&old[id][i], -1)
		}
		for i := range ev.Findings[id] {
			c.add(&ev.Findings[id][i], +1)
		}
		if len(d) > 0 || c != (counts{}) {
			changed[id] = d
			deltas[id] = c
		}
	}
	// Replace the rows of the packages that changed; mark all evaluated.
	for _, id := range ids {
		if _, ok := changed[id]; !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM package_findings WHERE package_id = ?`), id); err != nil {
			return nil, s.wrap(err)
		}
		fs := ev.Findings[id]
		for start := 0; start < len(fs); start += 200 {
			chunk := fs[start:min(start+200, len(fs))]
			args := make([]any, 0, len(chunk)*6)
			seen := map[string]bool{}
			n := 0
			for i := range chunk {
				f := &chunk[i]
				if seen[f.ID] {
					continue
				}
				seen[f.ID] = true
				data, err := json.Marshal(f)
				if err != nil {
					return nil, err
				}
				args = append(args, id, f.ID, int(f.Severity), boolInt(f.Fixable()), boolInt(f.KEV != nil), data)
				n++
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO package_findings (package_id, vuln_id, severity, fixable, kev, data) VALUES `+values(n, 6)), args...); err != nil {
				return nil, s.wrap(err)
			}
		}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE packages SET evaluated = ? WHERE id IN (`+placeholders(len(chunk))+`)`), append([]any{ev.Version}, int64Args(chunk)...)...); err != nil {
			return nil, s.wrap(err)
		}
	}
	if len(changed) == 0 {
		if err := tx.Commit(); err != nil {
			return nil, s.wrap(err)
		}
		s.markEvaluated(ev.Version, ids)
		return nil, nil
	}
	events, err := s.imageEvents(ctx, tx, ev, changed, deltas, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, s.wrap(err)
	}
	s.markEvaluated(ev.Version, ids)
	return events, nil
}

// markEvaluated remembers packages evaluated at version (0 is "never").
func (s *Store) markEvaluated(version int64, ids []int64) {
	if version <= 0 {
		return
	}
	for _, id := range ids {
		s.evaluated.add(id)
	}
}

func (s *Store) evaluatedAfter(ctx context.Context, tx *sql.Tx, ids []int64, version int64) (map[int64]bool, error) {
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = " FOR UPDATE"
	}
	out := map[int64]bool{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		// Every row is read (and, on PostgreSQL, locked) so that two
		// evaluations of one package serialise.
		rs, err := tx.QueryContext(ctx, s.q(`SELECT id, evaluated FROM packages WHERE id IN (`+placeholders(len(chunk))+`) ORDER BY id`+lock),
			int64Args(chunk)...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var id, ev int64
			if err := rs.Scan(&id, &ev); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			if ev > version {
				out[id] = true
			}
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}

func (s *Store) packageFindingsTx(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64][]advisory.Finding, error) {
	out := map[int64][]advisory.Finding{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rs, err := tx.QueryContext(ctx, s.q(`SELECT package_id, data FROM package_findings WHERE package_id IN (`+placeholders(len(chunk))+`) ORDER BY package_id, vuln_id`), int64Args(chunk)...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var id int64
			var data []byte
			if err := rs.Scan(&id, &data); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			var f advisory.Finding
			if err := json.Unmarshal(data, &f); err != nil {
				rs.Close()
				return nil, fmt.Errorf("store: package %d: damaged finding: %w", id, err)
			}
			out[id] = append(out[id], f)
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	return out, nil
}

type imageState struct {
	id         int64
	digest     string
	repository string
	tag        string
	before     counts
	after      counts
}

// imageEvents applies the changes of packages to the assessed images
// holding them: counts and events.
func (s *Store) imageEvents(ctx context.Context, tx *sql.Tx, ev Evaluation, changed map[int64][]findingChange, deltas map[int64]counts, now time.Time) ([]Event, error) {
	pkgIDs := make([]int64, 0, len(changed))
	for id := range changed {
		pkgIDs = append(pkgIDs, id)
	}
	slices.Sort(pkgIDs)
	pkgs := map[int64]IndexedPackage{}
	for start := 0; start < len(pkgIDs); start += 500 {
		chunk := pkgIDs[start:min(start+500, len(pkgIDs))]
		ps, err := s.queryPackagesOn(ctx, tx, `SELECT `+packageCols+` FROM packages p WHERE p.id IN (`+placeholders(len(chunk))+`)`, int64Args(chunk)...)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			pkgs[p.ID] = p
		}
	}
	type post struct {
		pkg   int64
		layer int
		base  bool
	}
	byImage := map[int64][]post{}
	states := map[int64]*imageState{}
	var imageIDs []int64
	for start := 0; start < len(pkgIDs); start += 500 {
		chunk := pkgIDs[start:min(start+500, len(pkgIDs))]
		rs, err := tx.QueryContext(ctx, s.q(`SELECT ip.package_id, ip.image_id, ip.layer_index, ip.in_base, i.digest, i.repository, i.tag,
			i.n_critical, i.n_high, i.n_medium, i.n_low, i.n_negligible, i.n_unknown, i.n_fixable, i.n_kev, i.n_fixable_critical, i.n_fixable_high
			FROM image_packages ip JOIN images i ON i.id = ip.image_id
			WHERE ip.package_id IN (`+placeholders(len(chunk))+`) AND i.assessed_at > 0`), int64Args(chunk)...)
		if err != nil {
			return nil, s.wrap(err)
		}
		for rs.Next() {
			var p post
			var img int64
			var inBase int
			st := &imageState{}
			c := &st.before
			if err := rs.Scan(&p.pkg, &img, &p.layer, &inBase, &st.digest, &st.repository, &st.tag,
				&c.crit, &c.high, &c.med, &c.low, &c.negl, &c.unk, &c.fix, &c.kev, &c.fixCrit, &c.fixHigh); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			p.base = inBase != 0
			if _, ok := states[img]; !ok {
				st.id = img
				st.after = st.before
				states[img] = st
				imageIDs = append(imageIDs, img)
			}
			byImage[img] = append(byImage[img], p)
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
	}
	slices.Sort(imageIDs)
	var events []Event
	var details [][]byte // of each event: its shared part, or nil
	type changeKey struct {
		pkg int64
		i   int
	}
	type sharedChange struct {
		vuln, previous *EventVuln
		encoded        []byte
	}
	shared := map[changeKey]*sharedChange{}
	for _, img := range imageIDs {
		st := states[img]
		im := EventImage{Digest: st.digest, Repository: st.repository, Tag: st.tag}
		for _, p := range byImage[img] {
			pk := pkgs[p.pkg]
			epkg := &EventPackage{Ecosystem: string(pk.Ecosystem), Name: pk.Name, Version: pk.Version, SourceName: pk.SourceName,
				SourceVersion: pk.SourceVersion, PURL: pk.PURL, Layer: p.layer, InBase: p.base}
			st.after = st.after.plus(deltas[p.pkg])
			for i, c := range changed[p.pkg] {
				f := c.new
				if f == nil {
					f = c.old
				}
				// The vulnerability parts are the same in every image
				// holding the package: made, and encoded, once.
				k := changeKey{p.pkg, i}
				sc := shared[k]
				if sc == nil {
					sc = &sharedChange{vuln: eventVuln(f)}
					if c.typ != EventFindingNew && c.typ != EventFindingResolved && c.old != nil {
						sc.previous = eventVuln(c.old)
					}
					var err error
					if sc.encoded, err = sharedPart(&EventData{Package: epkg, Vulnerability: sc.vuln, Previous: sc.previous, DBVersion: ev.Version}); err != nil {
						return nil, err
					}
					shared[k] = sc
				}
				e := Event{Type: c.typ, Time: now, Digest: sbom.Digest(st.digest), Repository: st.repository, VulnID: f.ID, Severity: f.Severity, KEV: f.KEV != nil,
					Data: EventData{Image: im, Package: epkg, Vulnerability: sc.vuln, Previous: sc.previous, DBVersion: ev.Version}}
				e.ID = eventID(c.typ, st.digest, strconv.FormatInt(p.pkg, 10), f.ID, strconv.FormatInt(ev.Version, 10))
				events = append(events, e)
				details = append(details, sc.encoded)
			}
		}
		wasBad, isBad := ev.Threshold.bad(st.before), ev.Threshold.bad(st.after)
		if wasBad != isBad {
			typ := EventImageWentBad
			if wasBad {
				typ = EventImageRecovered
			}
			events = append(events, Event{Type: typ, Time: now, Digest: sbom.Digest(st.digest), Repository: st.repository,
				Severity: st.after.max(), KEV: st.after.kev > 0,
				ID:   eventID(typ, st.digest, strconv.FormatInt(ev.Version, 10)),
				Data: EventData{Image: im, DBVersion: ev.Version, Summary: &EventImageSummary{Critical: st.after.crit, High: st.after.high, Fixable: st.after.fix, KEV: st.after.kev}}})
			details = append(details, nil)
		}
	}
	// Counts: one statement per chunk of images.
	if _, ok := s.dialect.(postgres); ok {
		cols := make([][]int64, 12)
		for _, img := range imageIDs {
			c := states[img].after
			for i, v := range []int64{img, int64(c.crit), int64(c.high), int64(c.med), int64(c.low), int64(c.negl), int64(c.unk),
				int64(c.fix), int64(c.kev), int64(c.fixCrit), int64(c.fixHigh), int64(c.max())} {
				cols[i] = append(cols[i], v)
			}
		}
		args := []any{ev.Version, now.UnixMilli()}
		for _, c := range cols {
			args = append(args, c)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE images SET n_critical = v.c1, n_high = v.c2, n_medium = v.c3, n_low = v.c4, n_negligible = v.c5,
			n_unknown = v.c6, n_fixable = v.c7, n_kev = v.c8, n_fixable_critical = v.c9, n_fixable_high = v.c10,
			max_severity = v.c11, db_version = $1, assessed_at = $2
			FROM unnest($3::bigint[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[])
				AS v(id, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11)
			WHERE images.id = v.id`, args...); err != nil {
			return nil, s.wrap(err)
		}
	} else {
		for start := 0; start < len(imageIDs); start += 200 {
			chunk := imageIDs[start:min(start+200, len(imageIDs))]
			var args []any
			var rows []string
			for i, img := range chunk {
				c := states[img].after
				row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
				if i == 0 {
					row = "(CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER))"
				}
				rows = append(rows, row)
				args = append(args, img, c.crit, c.high, c.med, c.low, c.negl, c.unk, c.fix, c.kev, c.fixCrit, c.fixHigh, int(c.max()))
			}
			args = append([]any{ev.Version, now.UnixMilli()}, args...)
			q := `UPDATE images SET n_critical = v.column2, n_high = v.column3, n_medium = v.column4, n_low = v.column5, n_negligible = v.column6,
				n_unknown = v.column7, n_fixable = v.column8, n_kev = v.column9, n_fixable_critical = v.column10, n_fixable_high = v.column11,
				max_severity = v.column12, db_version = ?, assessed_at = ?
				FROM (VALUES ` + strings.Join(rows, ", ") + `) AS v WHERE images.id = v.column1`
			if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
				return nil, s.wrap(err)
			}
		}
	}
	return s.insertEvents(ctx, tx, events, details)
}

// sharedPart encodes the part of a finding event's data that every image
// holding the package shares: all but the image and the package's layer.
func sharedPart(d *EventData) ([]byte, error) {
	c := *d
	c.Image = EventImage{}
	if c.Package != nil {
		p := *c.Package
		p.Layer, p.InBase = 0, false
		c.Package = &p
	}
	return json.Marshal(&c)
}

// imagePart is what an event with a shared part keeps of its own; decoded
// over the shared part, it gives the event's data.
type imagePart struct {
	Image   EventImage `json:"image"`
	Package struct {
		Layer  int  `json:"layer,omitempty"`
		InBase bool `json:"inBase,omitempty"`
	} `json:"package"`
}

// eventRecord is how an event is stored: its data, or its image's part
// and the id of the shared part.
type eventRecord struct {
	data     []byte
	detailID string
	detail   []byte
}

func recordOf(e *Event, shared []byte) (eventRecord, error) {
	if shared == nil || e.Data.Package == nil {
		data, err := json.Marshal(e.Data)
		return eventRecord{data: data}, err
	}
	var ip imagePart
	ip.Image = e.Data.Image
	ip.Package.Layer, ip.Package.InBase = e.Data.Package.Layer, e.Data.Package.InBase
	data, err := json.Marshal(&ip)
	h := sha256.Sum256(shared)
	return eventRecord{data: data, detailID: hex.EncodeToString(h[:16]), detail: shared}, err
}

// decodeEventData decodes a stored event's data over its shared part.
func decodeEventData(detail, data []byte, d *EventData) error {
	if len(detail) > 0 {
		if err := json.Unmarshal(detail, d); err != nil {
			return fmt.Errorf("shared part: %w", err)
		}
	}
	return json.Unmarshal(data, d)
}

func eventVuln(f *advisory.Finding) *EventVuln {
	v := &EventVuln{ID: f.ID, Aliases: f.Aliases, Summary: f.Summary, Severity: f.Severity.String(), CVSS: f.CVSS, KEV: f.KEV != nil,
		Status: string(f.Status), FixedVersions: f.Fix.Versions, Advisory: f.Source + "/" + f.AdvisoryID}
	if f.EPSS != nil {
		v.EPSS = f.EPSS.Score
	}
	return v
}

func eventID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:eventIDBytes])
}

// eventColumns holds events column by column, for PostgreSQL's unnest.
type eventColumns struct {
	id, typ, digest, repository, vuln, details []string
	time                                       []int64
	severity, kev                              []int32
	data                                       [][]byte
}

func (c *eventColumns) add(e *Event, r *eventRecord) {
	c.id, c.typ, c.digest = append(c.id, e.ID), append(c.typ, e.Type), append(c.digest, string(e.Digest))
	c.repository, c.vuln, c.time = append(c.repository, e.Repository), append(c.vuln, e.VulnID), append(c.time, e.Time.UnixMilli())
	c.severity, c.kev, c.data = append(c.severity, int32(e.Severity)), append(c.kev, int32(boolInt(e.KEV))), append(c.data, r.data)
	c.details = append(c.details, r.detailID)
}

// insertDetails records shared parts of events not recorded yet.
func (s *Store) insertDetails(ctx context.Context, tx *sql.Tx, ids []string, data [][]byte) error {
	if _, ok := s.dialect.(postgres); ok {
		if len(ids) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO event_details (id, data) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (id) DO NOTHING`, ids, data)
		return s.wrap(err)
	}
	for start := 0; start < len(ids); start += 400 {
		end := min(start+400, len(ids))
		args := make([]any, 0, 2*(end-start))
		for i := start; i < end; i++ {
			args = append(args, ids[i], data[i])
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_details (id, data) VALUES `+values(end-start, 2)+` ON CONFLICT (id) DO NOTHING`, args...); err != nil {
			return s.wrap(err)
		}
	}
	return nil
}

// insertEvents records events, skipping those already recorded, and
// returns the ones it recorded with their sequence numbers.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, events []Event, details [][]byte) ([]Event, error) {
	var out []Event
	_, pg := s.dialect.(postgres)
	per := maxEventsPerStatement
	if pg {
		per = 5000
	}
	for start := 0; start < len(events); start += per {
		chunk := events[start:min(start+per, len(events))]
		recs := make([]eventRecord, len(chunk))
		var detailIDs []string
		var detailData [][]byte
		seen := map[string]bool{}
		for i := range chunk {
			var shared []byte
			if details != nil {
				shared = details[start+i]
			}
			r, err := recordOf(&chunk[i], shared)
			if err != nil {
				return nil, err
			}
			recs[i] = r
			if r.detailID != "" && !seen[r.detailID] {
				seen[r.detailID] = true
				detailIDs, detailData = append(detailIDs, r.detailID), append(detailData, r.detail)
			}
		}
		if err := s.insertDetails(ctx, tx, detailIDs, detailData); err != nil {
			return nil, err
		}
		var rs *sql.Rows
		var err error
		if pg {
			// One array a column: PostgreSQL parses and plans a statement
			// of ten parameters instead of ten a row.
			var c eventColumns
			for i := range chunk {
				c.add(&chunk[i], &recs[i])
			}
			rs, err = tx.QueryContext(ctx, `INSERT INTO events (id, type, time, digest, repository, vuln_id, severity, kev, data, details)
				SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::bytea[], $10::text[])
				ON CONFLICT (id) DO NOTHING RETURNING seq, id`, c.id, c.typ, c.time, c.digest, c.repository, c.vuln, c.severity, c.kev, c.data, c.details)
		} else {
			args := make([]any, 0, len(chunk)*10)
			for i, e := range chunk {
				args = append(args, e.ID, e.Type, e.Time.UnixMilli(), string(e.Digest), e.Repository, e.VulnID, int(e.Severity), boolInt(e.KEV), recs[i].data, recs[i].detailID)
			}
			rs, err = tx.QueryContext(ctx, `INSERT INTO events (id, type, time, digest, repository, vuln_id, severity, kev, data, details) VALUES `+
				values(len(chunk), 10)+` ON CONFLICT (id) DO NOTHING RETURNING seq, id`, args...)
		}
		if err != nil {
			return nil, s.wrap(err)
		}
		seqs := map[string]int64{}
		for rs.Next() {
			var seq int64
			var id string
			if err := rs.Scan(&seq, &id); err != nil {
				rs.Close()
				return nil, s.wrap(err)
			}
			seqs[id] = seq
		}
		if err := rs.Close(); err != nil {
			return nil, s.wrap(err)
		}
		for _, e := range chunk {
			if seq, ok := seqs[e.ID]; ok {
				e.Seq = seq
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	if err := s.enqueueDeliveries(ctx, tx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Events returns events after a sequence number, oldest first, at most
// limit (default 1000).
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rs, err := s.db.QueryContext(ctx, s.q(`SELECT `+eventCols+` FROM events e LEFT JOIN event_details x ON x.id = e.details
		WHERE e.seq > ? ORDER BY e.seq LIMIT `+strconv.Itoa(limit)), after)
	return collect(s, rs, err, func(rs rowScanner) (Event, error) {
		var e Event
		var r eventRow
		if err := rs.Scan(r.dest(&e)...); err != nil {
			return e, err
		}
		if err := r.finish(&e); err != nil {
			return e, fmt.Errorf("store: %w", err)
		}
		return e, nil
	})
}

// AssessImage sets an image's counts from its packages' findings (all of
// which must be evaluated) and marks it assessed at version: its
// baseline. No events are recorded.
func (s *Store) AssessImage(ctx context.Context, digest sbom.Digest, version int64) (Image, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Image{}, s.wrap(err)
	}
	defer tx.Rollback()
	var id int64
	var pending []byte
	// On PostgreSQL the image's row is locked first, as IndexPending locks
	// the rows it indexes: the two never wait on each other's postings.
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = " FOR UPDATE OF i"
	}
	err = tx.QueryRowContext(ctx, s.q(`SELECT i.id, CASE WHEN i.posted = 0 THEN d.pending END FROM images i
		LEFT JOIN image_data d ON d.image_id = i.id WHERE i.digest = ?`+lock), string(digest)).Scan(&id, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, fmt.Errorf("%w: image %s", ErrNotFound, digest)
	}
	if err != nil {
		return Image{}, s.wrap(err)
	}
	// An assessed image's postings are indexed: delta re-assessment finds
	// the images to update through the index.
	if pending != nil {
		if err := s.post(ctx, tx, []pendingImage{{id, pending}}); err != nil {
			return Image{}, err
		}
	}
	ids, err := s.imagePackageIDs(ctx, tx, id)
	if err != nil {
		return Image{}, err
	}
	var c counts
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rs, err := tx.QueryContext(ctx, s.q(`SELECT severity, fixable, kev FROM package_findings WHERE package_id IN (`+placeholders(len(chunk))+`)`), int64Args(chunk)...)
		if err != nil {
			return Image{}, s.wrap(err)
		}
		for rs.Next() {
			var sev, fix, kev int
			if err := rs.Scan(&sev, &fix, &kev); err != nil {
				rs.Close()
				return Image{}, s.wrap(err)
			}
			c.addRaw(advisory.Severity(sev), fix != 0, kev != 0, +1)
		}
		if err := rs.Close(); err != nil {
			return Image{}, s.wrap(err)
		}
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE images SET n_critical = ?, n_high = ?, n_medium = ?, n_low = ?, n_negligible = ?, n_unknown = ?,
		n_fixable = ?, n_kev = ?, n_fixable_critical = ?, n_fixable_high = ?, max_severity = ?, db_version = ?, assessed_at = ? WHERE id = ?`),
		c.crit, c.high, c.med, c.low, c.negl, c.unk, c.fix, c.kev, c.fixCrit, c.fixHigh, int(c.max()), version, s.now().UnixMilli(), id)
	if err != nil {
		return Image{}, s.wrap(err)
	}
	im, err := s.imageTx(ctx, tx, `id = ?`, id)
	if err != nil {
		return Image{}, err
	}
	return im, s.wrap(tx.Commit())
}

// PackageFindings returns the stored findings of packages, by package id.
func (s *Store) PackageFindings(ctx context.Context, ids []int64) (map[int64][]advisory.Finding, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.Dialect() == "postgres"})
	if err != nil {
		return nil, s.wrap(err)
	}
	defer tx.Rollback()
	return s.packageFindingsTx(ctx, tx, ids)
}

// Meta reads a value kept by the store's users (the monitor's cursor);
// "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM meta WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, s.wrap(err)
}

// SetMeta writes a value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	return s.wrap(err)
}

// MarkAssessed records that every assessed image is current with version:
// after the monitor applied a version's changes, images it did not touch
// were already right.
func (s *Store) MarkAssessed(ctx context.Context, version int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE images SET db_version = ?, assessed_at = ? WHERE assessed_at > 0 AND db_version < ?`),
		version, s.now().UnixMilli(), version)
	return s.wrap(err)
}

// collect reads every row of a query with scan; err is the query's.
func collect[T any](s *Store, rs *sql.Rows, err error, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rs.Err())
}

// collectQuery runs a query on the store and collects its rows with scan.
func collectQuery[T any](ctx context.Context, s *Store, q string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	rs, err := s.db.QueryContext(ctx, s.q(q), args...)
	return collect(s, rs, err, scan)
}
