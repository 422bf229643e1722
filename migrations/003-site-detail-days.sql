-- 003-site-detail-days: per day and site, requests by tag, event, attribution method and decision,
-- so a busy site's detail page reads a few rows per day instead of every request. No page URLs and
-- no identifiers here: like the other roll-ups it is kept when raw rows are pruned.
CREATE TABLE site_detail_days (
  site          TEXT NOT NULL,
  day           TEXT NOT NULL,
  tag_id        TEXT NOT NULL,  -- '' when none
  tag_event     TEXT NOT NULL,  -- '' when none
  attributed_by TEXT NOT NULL,  -- '' when unclassified
  decision      TEXT NOT NULL,  -- '' when none
  requests      INTEGER NOT NULL DEFAULT 0,
  leaks         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, day, tag_id, tag_event, attributed_by, decision)
) WITHOUT ROWID;

-- Raw rows still present are the only source for days before this migration.
INSERT INTO site_detail_days
SELECT page_site, strftime('%Y-%m-%d', time / 1000, 'unixepoch', 'localtime'), coalesce(tag_id, ''),
       coalesce(tag_event, ''), coalesce(attributed_by, ''), coalesce(decision, ''), count(*),
       count(CASE WHEN third_party = 1 AND leak_level <> 'none' THEN 1 END)
FROM requests WHERE page_site IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
