package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Vulnerability is the merged view of one alias group: every id any source
// uses for it, every source's record, and the enrichment of its CVEs.
type Vulnerability struct {
	// ID is the group's preferred id: its smallest CVE id, else its
	// smallest id.
	ID string
	// IDs are all ids and aliases of the group's records, sorted.
	IDs []string
	// Records are the sources' records (Source names each one's origin),
	// ordered by source and id, withdrawn ones included.
	Records []advisory.Advisory
	KEV     []advisory.KEV
	EPSS    []advisory.EPSS
}

// Vulnerability returns the merged view of the alias group holding id (any
// of its ids or aliases), or an error wrapping ErrNotFound.
func (db *DB) Vulnerability(ctx context.Context, id string) (*Vulnerability, error) {
	id = strings.TrimSpace(id)
	// One read transaction: the group and its records come from the same
	// snapshot even while an update commits.
	tx, err := db.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.fileErr(err)
	}
	defer tx.Rollback()
	var adv int64
	var ownID, aliasesJSON string
	var idsJSON, cvesJSON, membersJSON sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT a.adv, a.id, a.aliases, g.ids, g.cves, g.members FROM ids i
		JOIN advisories a ON a.adv = i.adv LEFT JOIN groups g ON g.grp = a.grp
		WHERE i.id = ? LIMIT 1`, id).Scan(&adv, &ownID, &aliasesJSON, &idsJSON, &cvesJSON, &membersJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, db.fileErr(err)
	}
	v := &Vulnerability{}
	members := []int64{adv}
	if idsJSON.Valid {
		if err := json.Unmarshal([]byte(idsJSON.String), &v.IDs); err != nil {
			return nil, fmt.Errorf("vulndb: %s: group of %s: %w", db.path, id, err)
		}
		if err := json.Unmarshal([]byte(membersJSON.String), &members); err != nil {
			return nil, fmt.Errorf("vulndb: %s: group of %s: %w", db.path, id, err)
		}
	} else {
		// Alone in its group.
		if err := json.Unmarshal([]byte(aliasesJSON), &v.IDs); err != nil {
			return nil, fmt.Errorf("vulndb: %s: aliases of %s: %w", db.path, id, err)
		}
		v.IDs = append(v.IDs, ownID)
		slices.Sort(v.IDs)
		if cves, _ := cveColumns(v.IDs); cves != nil {
			cvesJSON = sql.NullString{String: cves.(string), Valid: true}
		}
	}
	v.ID = preferredID(v.IDs)
	for _, adv := range members {
		a, err := readAdvisory(ctx, tx, adv)
		if err != nil {
			return nil, fmt.Errorf("vulndb: %s: advisory %d: %w", db.path, adv, err)
		}
		v.Records = append(v.Records, a)
	}
	slices.SortFunc(v.Records, func(a, b advisory.Advisory) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if cvesJSON.Valid {
		var kevJSON, epssJSON string
		var epssOut sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT json_group_array(`+kevTuple+`) FROM json_each(?1) c JOIN kev k ON k.cve = c.value),
			(SELECT group_concat(`+epssText+`, ';') FROM json_each(?1) c JOIN epss e ON e.cve = c.value)`,
			cvesJSON.String).Scan(&kevJSON, &epssOut)
		epssJSON = epssOut.String
		if err != nil {
			return nil, db.fileErr(err)
		}
		if v.KEV, err = decodeKEVs(kevJSON); err != nil {
			return nil, fmt.Errorf("vulndb: %s: %w", db.path, err)
		}
		if v.EPSS, err = decodeEPSSs(epssJSON, nil); err != nil {
			return nil, fmt.Errorf("vulndb: %s: %w", db.path, err)
		}
	}
	return v, nil
}

// preferredID picks the id a group is reported under.
func preferredID(ids []string) string {
	for _, id := range ids {
		if isCVE(id) {
			return id
		}
	}
	if len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// readAdvisory reads a stored advisory. Its withdrawal time is the
// column's, which a full snapshot that dropped it has set.
func readAdvisory(ctx context.Context, tx *sql.Tx, adv int64) (advisory.Advisory, error) {
	var withdrawn sql.NullString
	var body []byte
	if err := tx.QueryRowContext(ctx, `SELECT withdrawn, body FROM advisories WHERE adv = ?`, adv).Scan(&withdrawn, &body); err != nil {
		return advisory.Advisory{}, err
	}
	a, err := decodeAdvisory(body)
	if err != nil {
		return a, err
	}
	a.Withdrawn, err = parseTime(withdrawn.String)
	return a, err
}
