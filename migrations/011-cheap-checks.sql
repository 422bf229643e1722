-- pinaudit: foreign_keys=off
-- 011-cheap-checks: the tables written for every request, rebuilt with the same constraints in a
-- form SQLite checks for free.
--
-- SQLite evaluates a CHECK such as `category IN ('tag', 'widget', …)` by building a temporary
-- index of the list on every insert. With twenty of them, `requests` spent about half of each
-- insert (8 of 16 µs, measured) building lists. `category = 'tag' OR category = 'widget' OR …`
-- accepts and refuses exactly the same values (NULL still passes) and costs nothing measurable.
-- A CHECK can only change by rebuilding its table (SQLite's "12-step" procedure), which is why this
-- migration runs with foreign keys off: dropping the old `requests` must not cascade to the rows
-- that point at it. The runner checks every foreign key before it commits.
--
-- While `requests` is rebuilt, its 9-column `requests_site_detail` index becomes
-- `requests_site_time (page_site, time)`, as in the fleet's schema: a site's page reads whole days
-- from site_detail_days (003) and only its partial first and last day from raw rows.
-- Column order, row ids and every other index stay as they were.

CREATE TABLE requests_new (
  id                INTEGER PRIMARY KEY,
  flow_id           TEXT NOT NULL,
  time              INTEGER NOT NULL,
  client            TEXT NOT NULL,
  source            TEXT NOT NULL CHECK (source = 'proxy' OR source = 'har'),
  method            TEXT NOT NULL,
  host              TEXT NOT NULL,
  connect_host      TEXT,
  -- Path only: the query's meaningful parts are decoded into the columns below.
  path              TEXT NOT NULL,
  category          TEXT CHECK (category = 'tag' OR category = 'tag-script' OR category = 'telemetry'
                                OR category = 'widget' OR category = 'content' OR category = 'first-party'),
  third_party       INTEGER CHECK (third_party = 0 OR third_party = 1),
  page_site         TEXT,
  page_id           INTEGER REFERENCES pages (id),
  attributed_by     TEXT CHECK (attributed_by = 'tag-payload' OR attributed_by = 'referer' OR attributed_by = 'origin'
                                OR attributed_by = 'recent-navigation' OR attributed_by = 'none'),
  confidence        TEXT CHECK (confidence = 'high' OR confidence = 'medium' OR confidence = 'low' OR confidence = 'none'),
  leak_level        TEXT CHECK (leak_level = 'full-url' OR leak_level = 'origin' OR leak_level = 'none'),
  tag_id            TEXT,
  tag_event         TEXT,
  tag_value         REAL,
  tag_currency      TEXT,
  tag_order_id      TEXT,
  tag_partner       TEXT,
  hashed_email      INTEGER NOT NULL DEFAULT 0 CHECK (hashed_email = 0 OR hashed_email = 1),
  hashed_email_algo TEXT,
  logged_in         INTEGER CHECK (logged_in = 0 OR logged_in = 1),
  gpc               INTEGER CHECK (gpc = 0 OR gpc = 1),
  dnt               INTEGER CHECK (dnt = 0 OR dnt = 1),
  client_hints      INTEGER CHECK (client_hints = 0 OR client_hints = 1),
  malformed         TEXT NOT NULL DEFAULT '[]',  -- JSON array
  reasons           TEXT NOT NULL DEFAULT '[]',  -- JSON array
  block_mode        TEXT,                        -- block mode in effect when decided
  decision          TEXT CHECK (decision = 'allow' OR decision = 'strip' OR decision = 'block'),
  decision_reason   TEXT,
  stripped          TEXT NOT NULL DEFAULT '[]',  -- JSON array
  ids_prevented     INTEGER NOT NULL DEFAULT 0,  -- identifier transmissions withheld
  page_prevented    INTEGER NOT NULL DEFAULT 0 CHECK (page_prevented = 0 OR page_prevented = 1),
  outcome           TEXT CHECK (outcome = 'response' OR outcome = 'blocked' OR outcome = 'error'),
  status            INTEGER,
  bytes             INTEGER,
  error_kind        TEXT,
  error_message     TEXT,
  completed_at      INTEGER,
  ids_attempted     INTEGER NOT NULL DEFAULT 0,
  attempted         INTEGER NOT NULL DEFAULT 0 CHECK (attempted = 0 OR attempted = 1),
  reached           INTEGER NOT NULL DEFAULT 0 CHECK (reached = 0 OR reached = 1),
  page_reached      INTEGER NOT NULL DEFAULT 0 CHECK (page_reached = 0 OR page_reached = 1),
  logged_in_reached INTEGER NOT NULL DEFAULT 0 CHECK (logged_in_reached = 0 OR logged_in_reached = 1),
  hashed_email_reached INTEGER NOT NULL DEFAULT 0 CHECK (hashed_email_reached = 0 OR hashed_email_reached = 1)
);
INSERT INTO requests_new SELECT * FROM requests;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE INDEX requests_time ON requests (time);
CREATE INDEX requests_site_time ON requests (page_site, time);
CREATE INDEX requests_page ON requests (page_id);
CREATE UNIQUE INDEX requests_har_flow ON requests (flow_id) WHERE source = 'har';
CREATE INDEX requests_flow ON requests (flow_id);

CREATE TABLE identifiers_new (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind = 'tracking-id' OR kind = 'click-id' OR kind = 'hashed-email' OR kind = 'credential'),
  value      TEXT NOT NULL,  -- the value as seen, or the fingerprint for credentials
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  UNIQUE (name, kind, value)
);
INSERT INTO identifiers_new SELECT * FROM identifiers;
DROP TABLE identifiers;
ALTER TABLE identifiers_new RENAME TO identifiers;

CREATE TABLE request_identifiers_new (
  request_id    INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  identifier_id INTEGER NOT NULL REFERENCES identifiers (id),
  source        TEXT NOT NULL CHECK (source = 'cookie' OR source = 'query' OR source = 'body'),
  prevented     INTEGER NOT NULL DEFAULT 0 CHECK (prevented = 0 OR prevented = 1),
  PRIMARY KEY (request_id, identifier_id, source)
) WITHOUT ROWID;
INSERT INTO request_identifiers_new SELECT * FROM request_identifiers;
DROP TABLE request_identifiers;
ALTER TABLE request_identifiers_new RENAME TO request_identifiers;
CREATE INDEX request_identifiers_identifier ON request_identifiers (identifier_id, request_id);
