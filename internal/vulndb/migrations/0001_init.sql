-- Schema 1 of the Vigil advisory store. Times are RFC 3339 text in UTC with a
-- fixed nine-digit fraction (so they sort as text), NULL when unknown; blobs
-- named "enc" use the binary encoding of encode.go.
--
-- Indexes are only the primary keys and the (source, id) key of advisories:
-- each secondary index would cost every import a B-tree insert per row.

-- One row per advisory as one source publishes it: the same CVE from two
-- sources is two rows, tied together by the alias groups below.
CREATE TABLE advisories (
	-- Columns a lookup reads come first: SQLite decodes a row from the
	-- front, and a long details text spilling into overflow pages would
	-- otherwise be walked to reach the columns after it.
	adv        INTEGER PRIMARY KEY,
	source     TEXT NOT NULL,
	id         TEXT NOT NULL,
	-- The alias group: the smallest adv of the connected ids (see groups);
	-- its own adv when no other advisory shares an id with it.
	grp        INTEGER NOT NULL,
	-- Set when upstream withdrew the advisory, or when a full snapshot of the
	-- source no longer contained it (then removed is set too).
	withdrawn  TEXT,
	removed    TEXT,
	published  TEXT,
	modified   TEXT,
	aliases    TEXT NOT NULL, -- JSON array
	cves       TEXT,          -- JSON array of the CVE ids among id and aliases, NULL when none
	cve        TEXT,          -- the CVE id when there is exactly one: the lookup's direct join key
	-- Every severity statement (enc), and the common ones as columns for
	-- reporting queries.
	severity   BLOB,
	cvss2_vector TEXT, cvss2_score REAL,
	cvss3_vector TEXT, cvss3_score REAL,
	cvss4_vector TEXT, cvss4_score REAL,
	distro_severity TEXT,
	-- sha256 of the encoded advisory, to skip unchanged records on update.
	hash       BLOB NOT NULL,
	-- The (ecosystem, package) keys of the affected rows, JSON [[eco,pkg],…]:
	-- lets an update delete the old rows by primary key without an index.
	keys       TEXT NOT NULL,
	related    TEXT NOT NULL, -- JSON array
	refs       TEXT NOT NULL, -- JSON array of URLs
	summary    TEXT NOT NULL,
	details    TEXT NOT NULL,
	UNIQUE (source, id)
);

-- One row per affected[] entry, clustered by the lookup key so that all the
-- advisories of one package are adjacent on disk. Each row carries what a
-- lookup needs of its advisory (data holds the advisory's id, source, times,
-- severities and aliases besides the entry), so a lookup reads no
-- advisories row; Apply keeps these copies in step with the advisory.
CREATE TABLE affected (
	ecosystem TEXT NOT NULL,    -- OSV ecosystem with release: "Debian:12"
	package   TEXT NOT NULL,    -- normalised name (see NormalizeName)
	adv       INTEGER NOT NULL,
	n         INTEGER NOT NULL, -- position in the advisory's affected list
	grp       INTEGER NOT NULL, -- the advisory's group
	live      INTEGER NOT NULL, -- 0 when the advisory is withdrawn
	cve       TEXT,             -- the advisory's cve and cves columns
	cves      TEXT,
	data      BLOB NOT NULL,    -- enc: advisory id, source, published, modified, severity, aliases; the entry
	status    TEXT NOT NULL,
	severity  TEXT NOT NULL,    -- per-package (distro) severity
	fixed     TEXT NOT NULL,    -- JSON array of the fixed versions, for reporting
	PRIMARY KEY (ecosystem, package, adv, n)
) WITHOUT ROWID;

-- Every id and alias of every advisory: lookups by any id, and the edges of
-- the alias graph.
CREATE TABLE ids (
	id  TEXT NOT NULL,
	adv INTEGER NOT NULL,
	PRIMARY KEY (id, adv)
) WITHOUT ROWID;

-- Alias groups (connected components of the alias graph) of two or more
-- advisories, materialised so a lookup reads a group's ids and CVEs with one
-- primary-key probe. Most advisories are alone in their group and have no
-- row here: their own id, aliases, cves and cve columns are the group's.
CREATE TABLE groups (
	grp     INTEGER PRIMARY KEY,
	ids     TEXT NOT NULL, -- JSON array, sorted
	cves    TEXT,          -- JSON array of the CVE ids, NULL when none
	cve     TEXT,          -- the CVE id when there is exactly one
	members TEXT NOT NULL  -- JSON array of advisories.adv
);

-- The change log the monitor consumes by sequence. seq is the rowid, so SQLite
-- numbers a new entry one past the largest; entries are never deleted (a
-- future pruning must keep the newest), so numbers only grow. Not
-- AUTOINCREMENT: that updates sqlite_sequence on every insert, which made
-- the change log the costliest table of an import.
CREATE TABLE changes (
	seq      INTEGER PRIMARY KEY,
	advisory TEXT NOT NULL,
	source   TEXT NOT NULL,
	kind     TEXT NOT NULL, -- new, modified, withdrawn, kev, epss
	time     TEXT NOT NULL,
	keys     TEXT NOT NULL  -- JSON [[ecosystem, package], …]
);

CREATE TABLE sources (
	name          TEXT PRIMARY KEY,
	url           TEXT NOT NULL DEFAULT '',
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	cursor        TEXT NOT NULL DEFAULT '',
	digest        TEXT NOT NULL DEFAULT '',
	last_attempt  TEXT,
	last_success  TEXT,
	records       INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT ''
);

-- KEV and EPSS entries, keyed by CVE alone so that a lookup joins them with
-- one probe; each row remembers the source that last wrote it (with two
-- sources of the same kind, the later Apply's entry stands).
CREATE TABLE kev (
	cve             TEXT NOT NULL,
	source          TEXT NOT NULL,
	date_added      TEXT,
	due_date        TEXT,
	ransomware      INTEGER NOT NULL,
	vendor          TEXT NOT NULL,
	product         TEXT NOT NULL,
	required_action TEXT NOT NULL,
	PRIMARY KEY (cve)
) WITHOUT ROWID;

CREATE TABLE epss (
	cve        TEXT NOT NULL,
	source     TEXT NOT NULL,
	score      REAL NOT NULL,
	percentile REAL NOT NULL,
	date       TEXT,
	PRIMARY KEY (cve)
) WITHOUT ROWID;
