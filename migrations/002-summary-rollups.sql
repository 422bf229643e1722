-- 002-summary-rollups: coarser roll-ups and a covering index for the dashboard at a million rows.
--
-- daily_totals: the daily roll-up without the site dimension, so overview numbers for long
-- ranges read a few rows per day however many sites leaked. Maintained at insert time next to
-- daily_rollup and, like it, kept when raw rows are pruned.
CREATE TABLE daily_totals (
  day             TEXT NOT NULL,
  category        TEXT NOT NULL,  -- '' when unclassified
  decision        TEXT NOT NULL,  -- '' when no decision
  mode            TEXT NOT NULL,  -- '' when unknown
  requests        INTEGER NOT NULL DEFAULT 0,
  third_party     INTEGER NOT NULL DEFAULT 0,
  leaks           INTEGER NOT NULL DEFAULT 0,
  full_url        INTEGER NOT NULL DEFAULT 0,
  origin_only     INTEGER NOT NULL DEFAULT 0,
  logged_in       INTEGER NOT NULL DEFAULT 0,
  hashed_emails   INTEGER NOT NULL DEFAULT 0,
  ids_prevented   INTEGER NOT NULL DEFAULT 0,
  pages_prevented INTEGER NOT NULL DEFAULT 0,
  first_time      INTEGER NOT NULL,
  last_time       INTEGER NOT NULL,
  PRIMARY KEY (day, category, decision, mode)
) WITHOUT ROWID;

INSERT INTO daily_totals
SELECT day, category, decision, mode, sum(requests), sum(third_party), sum(leaks), sum(full_url), sum(origin_only),
       sum(logged_in), sum(hashed_emails), sum(ids_prevented), sum(pages_prevented), min(first_time), max(last_time)
FROM daily_rollup GROUP BY day, category, decision, mode;

-- Per day and site (no category, decision or mode): the sites table, "sites that leaked" and
-- "sites visited vs leaked" read one row per site and day.
CREATE TABLE site_days (
  day         TEXT NOT NULL,
  site        TEXT NOT NULL,
  requests    INTEGER NOT NULL DEFAULT 0,
  third_party INTEGER NOT NULL DEFAULT 0,
  leaks       INTEGER NOT NULL DEFAULT 0,
  full_url    INTEGER NOT NULL DEFAULT 0,
  blocked     INTEGER NOT NULL DEFAULT 0,
  stripped    INTEGER NOT NULL DEFAULT 0,
  last_time   INTEGER NOT NULL,
  PRIMARY KEY (day, site)
) WITHOUT ROWID;
CREATE INDEX site_days_site ON site_days (site, day);

INSERT INTO site_days
SELECT day, page_site, sum(requests), sum(third_party), sum(leaks), sum(full_url),
       sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END),
       sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END), max(last_time)
FROM daily_rollup WHERE page_site <> '' GROUP BY day, page_site;

-- Per UTC hour (epoch-aligned): the hourly timeline without reading raw rows.
CREATE TABLE hourly_totals (
  hour        INTEGER PRIMARY KEY,  -- ms at the start of the hour
  requests    INTEGER NOT NULL DEFAULT 0,
  third_party INTEGER NOT NULL DEFAULT 0,
  leaks       INTEGER NOT NULL DEFAULT 0,
  blocked     INTEGER NOT NULL DEFAULT 0,
  stripped    INTEGER NOT NULL DEFAULT 0
);

INSERT INTO hourly_totals
SELECT (time / 3600000) * 3600000, count(*), count(CASE WHEN third_party = 1 THEN 1 END),
       count(CASE WHEN third_party = 1 AND leak_level <> 'none' THEN 1 END),
       count(CASE WHEN decision = 'block' THEN 1 END), count(CASE WHEN decision = 'strip' THEN 1 END)
FROM requests GROUP BY 1;

-- A site's detail page groups its rows by these columns: cover them so the scan stays in the index.
DROP INDEX requests_site_time;
CREATE INDEX requests_site_detail ON requests
  (page_site, time, page_id, tag_id, tag_event, attributed_by, decision, leak_level, third_party);
