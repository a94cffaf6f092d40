-- Schema 3: a lookup reads one row, and an import writes fewer values.
--
-- The Go step of this migration (migrate.go: upgrade3) fills the new
-- columns and table from the old ones, then drops those.

-- One row per (ecosystem, package) key, replacing the affected table: the
-- entries of every live advisory naming the key, encoded in one blob
-- (matchdata.go) in (advisory, position) order, each with what a lookup
-- needs of its advisory, so that a lookup reads one row. Apply rewrites a
-- key's row when one of them changes.
CREATE TABLE matches (
	ecosystem TEXT NOT NULL, -- OSV ecosystem with release: "Debian:12"
	package   TEXT NOT NULL, -- normalised name (see NormalizeName)
	data      BLOB NOT NULL,
	-- The alias groups the entries' advisories share with others, with
	-- each group's ids (keys.go: encodeGroups), NULL when none (most rows).
	-- Apply renews them whenever a group changes.
	groups    BLOB,
	-- The CVE ids of the entries' advisories and of those groups, a JSON
	-- array stored as JSONB (which json_each reads without parsing), NULL
	-- when none: what the lookup joins to kev and epss.
	cves      BLOB,
	PRIMARY KEY (ecosystem, package)
) WITHOUT ROWID;

-- The advisory as one encoded value (encode.go: encodeAdvisory, whose
-- sha256 is the hash column), replacing the columns that no statement
-- reads: every bound value costs an import more than its bytes do.
ALTER TABLE advisories ADD COLUMN body BLOB NOT NULL DEFAULT x'';

-- Each EPSS entry as a lookup returns it, "score percentile date" with the
-- numbers in their shortest exact form, written once by Apply: formatting
-- the two numbers on every lookup (printf) cost as much as finding the
-- entries.
ALTER TABLE epss ADD COLUMN line TEXT NOT NULL DEFAULT '';
UPDATE epss SET line = printf('%.17g %.17g %s', score, percentile, COALESCE(date, ''));
