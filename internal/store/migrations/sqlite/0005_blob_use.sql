-- When a shared blob (a layer cache entry) was last used, in Unix
-- milliseconds: set when it is written and, at most once an hour, when it
-- is read. Blobs unused for long are pruned (Store.PruneBlobs).
ALTER TABLE blobs ADD COLUMN used BIGINT NOT NULL DEFAULT 0;
UPDATE blobs SET used = created;
CREATE INDEX blobs_used ON blobs (used);
