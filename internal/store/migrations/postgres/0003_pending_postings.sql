-- Postings are written in batches after an image is stored, not with it:
-- an upload is acknowledged once its inventory is durable, and the
-- reverse index takes many images at once, touching each of its pages
-- once per batch instead of once per image. Until then the image's
-- postings wait in image_data.pending (package id, layer, base flag) and
-- queries read them from there, so nothing is missed meanwhile.
-- Images stored before this migration have their postings already.
ALTER TABLE images ADD COLUMN posted INTEGER NOT NULL DEFAULT 1;
ALTER TABLE image_data ADD COLUMN pending BYTEA;
CREATE INDEX images_unposted ON images (id) WHERE posted = 0;
