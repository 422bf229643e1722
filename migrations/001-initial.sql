-- 001-initial: every fact pinaudit keeps.
--
-- Raw rows (requests and what hangs off them) are pruned after the retention period; the daily
-- roll-up keeps only counts per day x site x category x decision x mode and outlives them.
-- Times are integer milliseconds since the epoch; `day` columns are the local calendar day
-- ('YYYY-MM-DD') the writer computed, so day ranges compare as text.

-- Pages that caused Pinterest requests, once each (URLs are long: requests point here).
CREATE TABLE pages (
  id         INTEGER PRIMARY KEY,
  url        TEXT NOT NULL UNIQUE,
  site       TEXT,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
);
CREATE INDEX pages_site ON pages (site);

-- One row per observed Pinterest request (also blocked ones and upstream failures).
CREATE TABLE requests (
  id                INTEGER PRIMARY KEY,
  flow_id           TEXT NOT NULL,
  time              INTEGER NOT NULL,
  client            TEXT NOT NULL,
  source            TEXT NOT NULL CHECK (source IN ('proxy', 'har')),
  method            TEXT NOT NULL,
  host              TEXT NOT NULL,
  connect_host      TEXT,
  -- Path only: the query's meaningful parts are decoded into the columns below.
  path              TEXT NOT NULL,
  category          TEXT CHECK (category IN ('tag', 'tag-script', 'telemetry', 'widget', 'content', 'first-party')),
  third_party       INTEGER CHECK (third_party IN (0, 1)),
  page_site         TEXT,
  page_id           INTEGER REFERENCES pages (id),
  attributed_by     TEXT CHECK (attributed_by IN ('tag-payload', 'referer', 'origin', 'recent-navigation', 'none')),
  confidence        TEXT CHECK (confidence IN ('high', 'medium', 'low', 'none')),
  leak_level        TEXT CHECK (leak_level IN ('full-url', 'origin', 'none')),
  tag_id            TEXT,
  tag_event         TEXT,
  tag_value         REAL,
  tag_currency      TEXT,
  tag_order_id      TEXT,
  tag_partner       TEXT,
  hashed_email      INTEGER NOT NULL DEFAULT 0 CHECK (hashed_email IN (0, 1)),
  hashed_email_algo TEXT,
  logged_in         INTEGER CHECK (logged_in IN (0, 1)),
  gpc               INTEGER CHECK (gpc IN (0, 1)),
  dnt               INTEGER CHECK (dnt IN (0, 1)),
  client_hints      INTEGER CHECK (client_hints IN (0, 1)),
  malformed         TEXT NOT NULL DEFAULT '[]',  -- JSON array
  reasons           TEXT NOT NULL DEFAULT '[]',  -- JSON array
  block_mode        TEXT,                        -- block mode in effect when decided
  decision          TEXT CHECK (decision IN ('allow', 'strip', 'block')),
  decision_reason   TEXT,
  stripped          TEXT NOT NULL DEFAULT '[]',  -- JSON array
  ids_prevented     INTEGER NOT NULL DEFAULT 0,  -- identifier transmissions withheld
  page_prevented    INTEGER NOT NULL DEFAULT 0 CHECK (page_prevented IN (0, 1)),
  outcome           TEXT CHECK (outcome IN ('response', 'blocked', 'error')),
  status            INTEGER,
  bytes             INTEGER,
  error_kind        TEXT,
  error_message     TEXT,
  completed_at      INTEGER
);
CREATE INDEX requests_time ON requests (time);
CREATE INDEX requests_site_time ON requests (page_site, time);
CREATE INDEX requests_page ON requests (page_id);
-- HAR entries carry stable flow ids: re-importing a file adds nothing twice.
CREATE UNIQUE INDEX requests_har_flow ON requests (flow_id) WHERE source = 'har';

-- Each distinct identifier once; credentials hold their keyed fingerprint, never the value.
CREATE TABLE identifiers (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('tracking-id', 'click-id', 'hashed-email', 'credential')),
  value      TEXT NOT NULL,  -- the value as seen, or the fingerprint for credentials
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  UNIQUE (name, kind, value)
);

CREATE TABLE request_identifiers (
  request_id    INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  identifier_id INTEGER NOT NULL REFERENCES identifiers (id),
  source        TEXT NOT NULL CHECK (source IN ('cookie', 'query', 'body')),
  PRIMARY KEY (request_id, identifier_id, source)
) WITHOUT ROWID;
CREATE INDEX request_identifiers_identifier ON request_identifiers (identifier_id, request_id);

-- Line items of purchase events.
CREATE TABLE purchase_items (
  request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  item_id    TEXT,
  name       TEXT,
  price      REAL,
  quantity   REAL,
  PRIMARY KEY (request_id, position)
) WITHOUT ROWID;

-- Which site sent which identifier on which day (pruned with the raw rows).
CREATE TABLE identifier_days (
  identifier_id INTEGER NOT NULL REFERENCES identifiers (id) ON DELETE CASCADE,
  page_site     TEXT NOT NULL,  -- '' when the page is unknown
  day           TEXT NOT NULL,
  requests      INTEGER NOT NULL,
  PRIMARY KEY (identifier_id, page_site, day)
) WITHOUT ROWID;
CREATE INDEX identifier_days_day ON identifier_days (day, identifier_id, page_site);
CREATE INDEX identifier_days_site ON identifier_days (page_site, day);

-- Which pages leaked (third party, leak level not 'none') on which day (pruned with raw rows).
CREATE TABLE page_days (
  page_id  INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  day      TEXT NOT NULL,
  requests INTEGER NOT NULL,
  PRIMARY KEY (page_id, day)
) WITHOUT ROWID;
CREATE INDEX page_days_day ON page_days (day, page_id);

-- Daily roll-up, maintained at insert time; kept when raw rows are pruned.
CREATE TABLE daily_rollup (
  day             TEXT NOT NULL,
  page_site       TEXT NOT NULL,  -- '' when unknown
  category        TEXT NOT NULL,  -- '' when unclassified
  decision        TEXT NOT NULL,  -- '' when no decision
  mode            TEXT NOT NULL,  -- '' when unknown
  requests        INTEGER NOT NULL DEFAULT 0,
  third_party     INTEGER NOT NULL DEFAULT 0,
  leaks           INTEGER NOT NULL DEFAULT 0,  -- third party and leak level not 'none'
  full_url        INTEGER NOT NULL DEFAULT 0,
  origin_only     INTEGER NOT NULL DEFAULT 0,
  logged_in       INTEGER NOT NULL DEFAULT 0,  -- leaks while logged in
  hashed_emails   INTEGER NOT NULL DEFAULT 0,  -- third-party requests carrying a hashed e-mail
  ids_prevented   INTEGER NOT NULL DEFAULT 0,
  pages_prevented INTEGER NOT NULL DEFAULT 0,
  first_time      INTEGER NOT NULL,
  last_time       INTEGER NOT NULL,
  PRIMARY KEY (day, page_site, category, decision, mode)
) WITHOUT ROWID;
CREATE INDEX daily_rollup_site ON daily_rollup (page_site, day);

-- Blind tunnels: a count per day and site, nothing else (no times, no clients).
CREATE TABLE tunnel_days (
  day   TEXT NOT NULL,
  site  TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, site)
) WITHOUT ROWID;
CREATE INDEX tunnel_days_site ON tunnel_days (site, day);

-- Settings that survive restarts; values are JSON.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
