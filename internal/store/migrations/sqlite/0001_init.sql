-- Vigil inventory store, SQLite. Times are Unix milliseconds.
CREATE TABLE images (
	id            INTEGER PRIMARY KEY,
	digest        TEXT    NOT NULL UNIQUE,
	repository    TEXT    NOT NULL DEFAULT '',
	tag           TEXT    NOT NULL DEFAULT '',
	reference     TEXT    NOT NULL DEFAULT '',
	origin        TEXT    NOT NULL,
	distro        TEXT    NOT NULL DEFAULT '',
	base_source   TEXT    NOT NULL DEFAULT '',
	base_name     TEXT    NOT NULL DEFAULT '',
	base_digest   TEXT    NOT NULL DEFAULT '',
	base_layers   INTEGER NOT NULL DEFAULT 0,
	layers        INTEGER NOT NULL DEFAULT 0,
	packages      INTEGER NOT NULL DEFAULT 0,
	registered_at BIGINT  NOT NULL,
	indexed_at    BIGINT  NOT NULL,
	assessed_at   BIGINT  NOT NULL DEFAULT 0,
	db_version    BIGINT  NOT NULL DEFAULT 0,
	n_critical    INTEGER NOT NULL DEFAULT 0,
	n_high        INTEGER NOT NULL DEFAULT 0,
	n_medium      INTEGER NOT NULL DEFAULT 0,
	n_low         INTEGER NOT NULL DEFAULT 0,
	n_negligible  INTEGER NOT NULL DEFAULT 0,
	n_unknown     INTEGER NOT NULL DEFAULT 0,
	n_fixable     INTEGER NOT NULL DEFAULT 0,
	n_kev         INTEGER NOT NULL DEFAULT 0,
	n_fixable_critical INTEGER NOT NULL DEFAULT 0,
	n_fixable_high     INTEGER NOT NULL DEFAULT 0,
	max_severity  INTEGER NOT NULL DEFAULT 0,
	size          BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX images_repository ON images (repository, id);
CREATE INDEX images_severity ON images (max_severity, id);
CREATE INDEX images_base ON images (base_name, id);
CREATE INDEX images_assessed ON images (assessed_at);

-- Inventories, zstd-compressed JSON, apart from the rows that lists
-- scan.
CREATE TABLE image_data (
	image_id  BIGINT PRIMARY KEY,
	inventory BLOB NOT NULL,
	-- the ids of the image's packages, 8 bytes each, little-endian: the
	-- forward side of the reverse index, kept here so that postings need
	-- only their (package_id, image_id) key
	packages  BLOB
);

-- The reverse index. A package row is shared by every image holding the
-- same package of the same release; its id is a hash of those fields.
CREATE TABLE packages (
	id             BIGINT PRIMARY KEY,
	distro         TEXT NOT NULL,
	ecosystem      TEXT NOT NULL,
	name           TEXT NOT NULL,
	version        TEXT NOT NULL,
	source_name    TEXT NOT NULL,
	source_version TEXT NOT NULL,
	purl           TEXT NOT NULL,
	purl_base      TEXT NOT NULL,
	arch           TEXT NOT NULL,
	-- the vulnerability database version its findings were evaluated
	-- against; 0 until first evaluated
	evaluated      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX packages_purl ON packages (purl_base);
CREATE TABLE package_keys (
	ecosystem  TEXT   NOT NULL,
	name       TEXT   NOT NULL,
	package_id BIGINT NOT NULL,
	PRIMARY KEY (ecosystem, name, package_id)
) WITHOUT ROWID;
CREATE TABLE image_packages (
	package_id  BIGINT  NOT NULL,
	image_id    BIGINT  NOT NULL,
	layer_index INTEGER NOT NULL,
	in_base     INTEGER NOT NULL,
	PRIMARY KEY (package_id, image_id)
) WITHOUT ROWID;

CREATE TABLE tags (
	repository TEXT   NOT NULL,
	tag        TEXT   NOT NULL,
	reference  TEXT   NOT NULL,
	digest     TEXT   NOT NULL DEFAULT '',
	checked_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (repository, tag)
);
CREATE TABLE tag_moves (
	id          INTEGER PRIMARY KEY,
	repository  TEXT   NOT NULL,
	tag         TEXT   NOT NULL,
	from_digest TEXT   NOT NULL,
	to_digest   TEXT   NOT NULL,
	at          BIGINT NOT NULL
);
CREATE INDEX tag_moves_tag ON tag_moves (repository, tag, id);

CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY,
	kind         TEXT    NOT NULL,
	payload      BLOB   NOT NULL,
	dedupe       TEXT    NOT NULL DEFAULT '',
	state        TEXT    NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	run_at       BIGINT  NOT NULL,
	worker       TEXT    NOT NULL DEFAULT '',
	lease_until  BIGINT  NOT NULL DEFAULT 0,
	created_at   BIGINT  NOT NULL,
	updated_at   BIGINT  NOT NULL,
	error        TEXT    NOT NULL DEFAULT '',
	result       BLOB
);
CREATE INDEX jobs_ready ON jobs (state, run_at, id);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe) WHERE dedupe <> '' AND state IN ('queued', 'running');

CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL,
	scope        TEXT    NOT NULL,
	hash         TEXT    NOT NULL UNIQUE,
	prefix       TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL DEFAULT 0,
	last_used_at BIGINT  NOT NULL DEFAULT 0,
	revoked      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE locks (
	name   TEXT   PRIMARY KEY,
	holder TEXT   NOT NULL,
	until  BIGINT NOT NULL
);

-- Shared blobs (the layer cache), so a layer is catalogued once whichever
-- replica meets it first.
CREATE TABLE blobs (
	key     TEXT   PRIMARY KEY,
	data    BLOB  NOT NULL,
	created BIGINT NOT NULL
);

-- Findings per distinct package: the same in every image holding it. An
-- image's findings are the findings of its packages.
CREATE TABLE package_findings (
	package_id BIGINT  NOT NULL,
	vuln_id    TEXT    NOT NULL,
	severity   INTEGER NOT NULL,
	fixable    INTEGER NOT NULL,
	kev        INTEGER NOT NULL,
	data       BLOB   NOT NULL,
	PRIMARY KEY (package_id, vuln_id)
) WITHOUT ROWID;

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Finding lifecycle and image threshold events, in the order recorded.
CREATE TABLE events (
	seq        INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	type       TEXT    NOT NULL,
	time       BIGINT  NOT NULL,
	digest     TEXT    NOT NULL,
	repository TEXT    NOT NULL,
	vuln_id    TEXT    NOT NULL,
	severity   INTEGER NOT NULL,
	kev        INTEGER NOT NULL,
	data       BLOB   NOT NULL
);
