-- 005-attempted-reached: every count says whether it counts what a site *attempted* to send
-- Pinterest, what *reached* Pinterest after the policy, or what the policy *prevented*.
--
-- A third-party request attempted a leak when it carried the page or an identifier; the leak
-- reached Pinterest unless the policy prevented all of it (a block prevents everything). The
-- writer stores that verdict on each request (src/store/rollups.ts `leakFacts`); this migration
-- adds the columns and works them out for the rows already stored.
--
-- What can be derived exactly: every day whose raw rows are still stored (retention and purge
-- remove whole days), because each request row keeps its decision, what a strip listed as
-- withheld, its leak level and its identifier links. Those days' roll-ups are rebuilt from the
-- raw rows. What cannot: days whose raw rows were pruned. For them only the old counts exist, so
-- - `attempted` is the old `leaks` (third-party requests carrying the page): requests that carried
--   identifiers but no page were not counted then and cannot be now;
-- - `reached` is `attempted` for allowed requests and 0 for blocked and stripped ones (every
--   version of the strip removed Cookie, Referer, Origin and the page and identifier parameters);
-- - `ids_attempted` is 0 (identifier transmissions were not counted per day before);
-- - hourly_totals keeps no decision, so its `reached` stays 0 for hours without raw rows (such
--   hours are older than the retention period and only shown by a custom range).

-- Request rows: the verdict.
ALTER TABLE requests ADD COLUMN ids_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN attempted INTEGER NOT NULL DEFAULT 0 CHECK (attempted IN (0, 1));
ALTER TABLE requests ADD COLUMN reached INTEGER NOT NULL DEFAULT 0 CHECK (reached IN (0, 1));
ALTER TABLE requests ADD COLUMN page_reached INTEGER NOT NULL DEFAULT 0 CHECK (page_reached IN (0, 1));
ALTER TABLE requests ADD COLUMN logged_in_reached INTEGER NOT NULL DEFAULT 0 CHECK (logged_in_reached IN (0, 1));
ALTER TABLE requests ADD COLUMN hashed_email_reached INTEGER NOT NULL DEFAULT 0 CHECK (hashed_email_reached IN (0, 1));
-- Which identifier transmissions the policy kept from Pinterest.
ALTER TABLE request_identifiers ADD COLUMN prevented INTEGER NOT NULL DEFAULT 0 CHECK (prevented IN (0, 1));

UPDATE request_identifiers SET prevented = 1 WHERE request_id IN (SELECT id FROM requests WHERE decision = 'block');
-- A strip listed what it withheld by name (`cookie`, `epik`, `pd.em`, a whole `pd`, `body`).
UPDATE request_identifiers SET prevented = 1 WHERE prevented = 0 AND EXISTS (
  SELECT 1 FROM requests r JOIN identifiers i ON i.id = request_identifiers.identifier_id, json_each(r.stripped) j
  WHERE r.id = request_identifiers.request_id AND r.decision = 'strip'
    AND (j.value = request_identifiers.source
      OR (request_identifiers.source <> 'cookie' AND (
        lower(i.name) = j.value OR 'pd.' || lower(i.name) = j.value
        OR lower(i.name) LIKE j.value || '.%' OR 'pd.' || lower(i.name) LIKE j.value || '.%'))));

UPDATE requests SET
  ids_attempted = (SELECT count(*) FROM request_identifiers ri WHERE ri.request_id = requests.id),
  ids_prevented = (SELECT count(*) FROM request_identifiers ri WHERE ri.request_id = requests.id AND ri.prevented = 1);

-- The page: withheld by a block, or by a strip that removed the carrier of its attribution.
UPDATE requests SET page_prevented = CASE
  WHEN leak_level IS NULL OR leak_level = 'none' THEN 0
  WHEN decision = 'block' THEN 1
  WHEN decision = 'strip' THEN EXISTS (SELECT 1 FROM json_each(requests.stripped) j WHERE
    (requests.attributed_by = 'referer' AND j.value = 'referer') OR (requests.attributed_by = 'origin' AND j.value = 'origin')
    OR (requests.attributed_by = 'tag-payload' AND j.value IN ('ad.loc', 'ad', 'via', 'url', 'query', 'body')))
  ELSE 0 END;

UPDATE requests SET attempted = coalesce(third_party = 1 AND (leak_level <> 'none' OR ids_attempted > 0), 0);
UPDATE requests SET page_reached = coalesce(third_party = 1 AND leak_level <> 'none' AND page_prevented = 0
  AND decision IS NOT 'block', 0);
UPDATE requests SET reached = coalesce(attempted = 1 AND decision IS NOT 'block' AND (page_reached = 1 OR ids_attempted > ids_prevented), 0);
UPDATE requests SET
  logged_in_reached = coalesce(reached = 1 AND logged_in = 1 AND NOT EXISTS (SELECT 1 FROM request_identifiers ri
    JOIN identifiers i ON i.id = ri.identifier_id WHERE ri.request_id = requests.id AND ri.prevented = 1 AND i.name = '_pinterest_sess'), 0),
  hashed_email_reached = coalesce(third_party = 1 AND decision IS NOT 'block' AND EXISTS (SELECT 1 FROM request_identifiers ri
    JOIN identifiers i ON i.id = ri.identifier_id WHERE ri.request_id = requests.id AND ri.prevented = 0 AND i.kind = 'hashed-email'), 0);

-- Roll-ups: `leaks` becomes `attempted`, next to what reached Pinterest.
ALTER TABLE daily_rollup RENAME COLUMN leaks TO attempted;
ALTER TABLE daily_rollup ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_rollup ADD COLUMN full_url_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_rollup ADD COLUMN origin_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_rollup ADD COLUMN logged_in_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_rollup ADD COLUMN hashed_emails_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_rollup ADD COLUMN ids_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals RENAME COLUMN leaks TO attempted;
ALTER TABLE daily_totals ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals ADD COLUMN full_url_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals ADD COLUMN origin_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals ADD COLUMN logged_in_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals ADD COLUMN hashed_emails_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_totals ADD COLUMN ids_attempted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_days RENAME COLUMN leaks TO attempted;
ALTER TABLE site_days ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_days ADD COLUMN full_url_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hourly_totals RENAME COLUMN leaks TO attempted;
ALTER TABLE hourly_totals ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_detail_days RENAME COLUMN leaks TO attempted;
ALTER TABLE site_detail_days ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE page_days ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identifier_days ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;

-- Days without raw rows: what the old counts allow (see the note at the top).
UPDATE daily_rollup SET reached = CASE WHEN decision IN ('allow', '') THEN attempted ELSE 0 END,
  full_url_reached = CASE WHEN decision IN ('allow', '') THEN full_url ELSE 0 END,
  origin_reached = CASE WHEN decision IN ('allow', '') THEN origin_only ELSE 0 END,
  logged_in_reached = CASE WHEN decision IN ('allow', '') THEN logged_in ELSE 0 END,
  hashed_emails_reached = CASE WHEN decision IN ('allow', '') THEN hashed_emails ELSE 0 END;
UPDATE site_detail_days SET reached = CASE WHEN decision IN ('allow', '') THEN attempted ELSE 0 END;

-- Days with raw rows: rebuilt from them.
CREATE TEMP TABLE raw_days AS
  SELECT DISTINCT strftime('%Y-%m-%d', time / 1000, 'unixepoch', 'localtime') AS day FROM requests;
CREATE TEMP TABLE raw_rows AS
  SELECT id, time, strftime('%Y-%m-%d', time / 1000, 'unixepoch', 'localtime') AS day, page_site, page_id, category,
    decision, block_mode, third_party, leak_level, logged_in, hashed_email, tag_id, tag_event, attributed_by,
    attempted, reached, page_reached, logged_in_reached, hashed_email_reached, ids_attempted, ids_prevented, page_prevented
  FROM requests;

DELETE FROM daily_rollup WHERE day IN (SELECT day FROM raw_days);
INSERT INTO daily_rollup (day, page_site, category, decision, mode, requests, third_party, attempted, reached,
  full_url, full_url_reached, origin_only, origin_reached, logged_in, logged_in_reached, hashed_emails,
  hashed_emails_reached, ids_attempted, ids_prevented, pages_prevented, first_time, last_time)
SELECT day, coalesce(page_site, ''), coalesce(category, ''), coalesce(decision, ''), coalesce(block_mode, ''),
  count(*), sum(coalesce(third_party, 0)), sum(attempted), sum(reached),
  sum(coalesce(third_party = 1 AND leak_level = 'full-url', 0)), sum(coalesce(page_reached = 1 AND leak_level = 'full-url', 0)),
  sum(coalesce(third_party = 1 AND leak_level = 'origin', 0)), sum(coalesce(page_reached = 1 AND leak_level = 'origin', 0)),
  sum(coalesce(attempted = 1 AND logged_in = 1, 0)), sum(logged_in_reached),
  sum(coalesce(third_party = 1 AND hashed_email = 1, 0)), sum(hashed_email_reached),
  sum(ids_attempted), sum(ids_prevented), sum(page_prevented), min(time), max(time)
FROM raw_rows GROUP BY 1, 2, 3, 4, 5;

DELETE FROM daily_totals;
INSERT INTO daily_totals (day, category, decision, mode, requests, third_party, attempted, reached, full_url,
  full_url_reached, origin_only, origin_reached, logged_in, logged_in_reached, hashed_emails, hashed_emails_reached,
  ids_attempted, ids_prevented, pages_prevented, first_time, last_time)
SELECT day, category, decision, mode, sum(requests), sum(third_party), sum(attempted), sum(reached), sum(full_url),
  sum(full_url_reached), sum(origin_only), sum(origin_reached), sum(logged_in), sum(logged_in_reached),
  sum(hashed_emails), sum(hashed_emails_reached), sum(ids_attempted), sum(ids_prevented), sum(pages_prevented),
  min(first_time), max(last_time)
FROM daily_rollup GROUP BY day, category, decision, mode;

DELETE FROM site_days;
INSERT INTO site_days (day, site, requests, third_party, attempted, reached, full_url, full_url_reached, blocked, stripped, last_time)
SELECT day, page_site, sum(requests), sum(third_party), sum(attempted), sum(reached), sum(full_url), sum(full_url_reached),
  sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END), sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END),
  max(last_time)
FROM daily_rollup WHERE page_site <> '' GROUP BY day, page_site;

DELETE FROM hourly_totals WHERE hour IN (SELECT DISTINCT (time / 3600000) * 3600000 FROM requests);
INSERT INTO hourly_totals (hour, requests, third_party, attempted, reached, blocked, stripped)
SELECT (time / 3600000) * 3600000, count(*), sum(coalesce(third_party, 0)), sum(attempted), sum(reached),
  sum(coalesce(decision = 'block', 0)), sum(coalesce(decision = 'strip', 0))
FROM requests GROUP BY 1;

DELETE FROM site_detail_days WHERE day IN (SELECT day FROM raw_days);
INSERT INTO site_detail_days (site, day, tag_id, tag_event, attributed_by, decision, requests, attempted, reached)
SELECT page_site, day, coalesce(tag_id, ''), coalesce(tag_event, ''), coalesce(attributed_by, ''), coalesce(decision, ''),
  count(*), sum(attempted), sum(reached)
FROM raw_rows WHERE page_site IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

-- Pages leaked are full URLs only; an origin-only leak is counted as such, never as a page.
DELETE FROM page_days;
INSERT INTO page_days (page_id, day, requests, reached)
SELECT page_id, day, count(*), sum(page_reached) FROM raw_rows
WHERE page_id IS NOT NULL AND third_party = 1 AND leak_level = 'full-url' GROUP BY 1, 2;

DELETE FROM identifier_days;
INSERT INTO identifier_days (identifier_id, page_site, day, requests, reached)
SELECT ri.identifier_id, coalesce(r.page_site, ''), r.day, count(*), sum(1 - ri.prevented)
FROM raw_rows r JOIN request_identifiers ri ON ri.request_id = r.id GROUP BY 1, 2, 3;

DROP TABLE raw_rows;
DROP TABLE raw_days;
