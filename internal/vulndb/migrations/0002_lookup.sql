-- Schema 2: what lookups return and how often they must be re-read.

-- A random token replaced by every Apply that changes what Affecting may
-- return. Readers keep decoded lookups in memory and trust them while the
-- token is unchanged; a random value (not a counter) cannot repeat when
-- another file is installed under the same path (Import).
CREATE TABLE generation (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	token INTEGER NOT NULL
);
INSERT INTO generation (id, token) VALUES (1, random());

-- Lookups return the advisory's summary; each affected row carries it, as
-- it carries the advisory's other fields a match needs.
ALTER TABLE affected ADD COLUMN summary TEXT NOT NULL DEFAULT '';
UPDATE affected SET summary = (SELECT a.summary FROM advisories a WHERE a.adv = affected.adv);

-- Columns nothing read: every bound value costs an import, and the same data
-- is in affected.data and advisories.severity.
ALTER TABLE affected DROP COLUMN status;
ALTER TABLE affected DROP COLUMN severity;
ALTER TABLE affected DROP COLUMN fixed;
ALTER TABLE advisories DROP COLUMN cvss2_vector;
ALTER TABLE advisories DROP COLUMN cvss2_score;
ALTER TABLE advisories DROP COLUMN cvss3_vector;
ALTER TABLE advisories DROP COLUMN cvss3_score;
ALTER TABLE advisories DROP COLUMN cvss4_vector;
ALTER TABLE advisories DROP COLUMN cvss4_score;
ALTER TABLE advisories DROP COLUMN distro_severity;

-- From this version on, affected.cves is NULL when the advisory has a single
-- CVE id (affected.cve holds it): lookups read the list only when cve is
-- NULL, so rows written by schema 1 with a one-element list read the same.
