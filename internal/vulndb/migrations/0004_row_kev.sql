-- Schema 4: each matches row lists the CVE ids of its entries (and their
-- alias groups) that the KEV catalogue names, a JSON array stored as JSONB,
-- NULL when none (nearly all rows). A lookup then probes the kev table for
-- those alone instead of for every CVE id of the row (184 for Go's stdlib).
-- Apply keeps the column: for the rows it writes, and for every row when
-- the catalogue changes (kevOfRow in keys.go is the same expression).
ALTER TABLE matches ADD COLUMN kev BLOB;
UPDATE matches SET kev = (SELECT jsonb_group_array(c.value) FROM json_each(matches.cves) c JOIN kev k ON k.cve = c.value HAVING count(*) > 0)
WHERE cves IS NOT NULL;
