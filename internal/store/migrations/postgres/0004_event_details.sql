-- The part of a finding event that every image holding the package shares
-- (package, vulnerability, previous state, database version) is stored
-- once, under the SHA-256 of its JSON; an event keeps only its image's
-- part and the id of the shared one. A popular package's change writes
-- one detail row and thousands of small event rows instead of thousands
-- of copies. Events recorded before this migration keep all their data.
CREATE TABLE event_details (
	id   TEXT PRIMARY KEY,
	data BYTEA NOT NULL
);
ALTER TABLE events ADD COLUMN details TEXT NOT NULL DEFAULT '';
