-- 001-fleet: the fleet's store. The same tables as each instance's local SQLite store (migrations/),
-- each keyed by the instance that recorded the row plus the row's local key, so instances never
-- collide however their local ids overlap and a row shipped twice is stored once.
--
-- Integers are BIGINT and flags stay 0/1 integers, as in SQLite, so one query text runs on both
-- engines. Raw rows are append-only here (shipped once); roll-up rows hold each instance's current
-- local value (shipped again whenever they change), so fleet numbers are the sums of the instances'.
-- Raw rows are pruned fleet-wide by `pinaudit fleet prune`; roll-ups outlive them, as locally.

CREATE TABLE instance (
  id         TEXT PRIMARY KEY,     -- generated at the instance's first start, kept in its data dir
  name       TEXT NOT NULL,        -- --instance-name, default the host name
  first_seen BIGINT NOT NULL,      -- ms since the epoch, first shipment
  last_seen  BIGINT NOT NULL       -- ms since the epoch, latest shipment
);

CREATE TABLE pages (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  id          BIGINT NOT NULL,
  url         TEXT NOT NULL,
  site        TEXT,
  first_seen  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX pages_site ON pages (site);

CREATE TABLE requests (
  instance_id       TEXT NOT NULL REFERENCES instance (id),
  id                BIGINT NOT NULL,
  flow_id           TEXT NOT NULL,
  time              BIGINT NOT NULL,
  client            TEXT NOT NULL,
  source            TEXT NOT NULL,
  method            TEXT NOT NULL,
  host              TEXT NOT NULL,
  connect_host      TEXT,
  path              TEXT NOT NULL,
  category          TEXT,
  third_party       BIGINT,
  page_site         TEXT,
  page_id           BIGINT,
  attributed_by     TEXT,
  confidence        TEXT,
  leak_level        TEXT,
  tag_id            TEXT,
  tag_event         TEXT,
  tag_value         DOUBLE PRECISION,
  tag_currency      TEXT,
  tag_order_id      TEXT,
  tag_partner       TEXT,
  hashed_email      BIGINT NOT NULL DEFAULT 0,
  hashed_email_algo TEXT,
  logged_in         BIGINT,
  gpc               BIGINT,
  dnt               BIGINT,
  client_hints      BIGINT,
  malformed         TEXT NOT NULL DEFAULT '[]',
  reasons           TEXT NOT NULL DEFAULT '[]',
  block_mode        TEXT,
  decision          TEXT,
  decision_reason   TEXT,
  stripped          TEXT NOT NULL DEFAULT '[]',
  ids_prevented     BIGINT NOT NULL DEFAULT 0,
  page_prevented    BIGINT NOT NULL DEFAULT 0,
  outcome           TEXT,
  status            BIGINT,
  bytes             BIGINT,
  error_kind        TEXT,
  error_message     TEXT,
  completed_at      BIGINT,
  -- What was attempted and what reached Pinterest (src/store/rollups.ts leakFacts).
  ids_attempted        BIGINT NOT NULL DEFAULT 0,
  attempted            BIGINT NOT NULL DEFAULT 0,
  reached              BIGINT NOT NULL DEFAULT 0,
  page_reached         BIGINT NOT NULL DEFAULT 0,
  logged_in_reached    BIGINT NOT NULL DEFAULT 0,
  hashed_email_reached BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX requests_time ON requests (time);
CREATE INDEX requests_site_time ON requests (page_site, time);
CREATE INDEX requests_page ON requests (instance_id, page_id);

CREATE TABLE identifiers (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  id          BIGINT NOT NULL,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  value       TEXT NOT NULL,   -- as seen, or the instance's keyed fingerprint for credentials
  first_seen  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  PRIMARY KEY (instance_id, id)
);

CREATE TABLE request_identifiers (
  instance_id   TEXT NOT NULL REFERENCES instance (id),
  request_id    BIGINT NOT NULL,
  identifier_id BIGINT NOT NULL,
  source        TEXT NOT NULL,
  prevented     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, request_id, identifier_id, source)
);
CREATE INDEX request_identifiers_identifier ON request_identifiers (instance_id, identifier_id);

CREATE TABLE purchase_items (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  request_id  BIGINT NOT NULL,
  position    BIGINT NOT NULL,
  item_id     TEXT,
  name        TEXT,
  price       DOUBLE PRECISION,
  quantity    DOUBLE PRECISION,
  PRIMARY KEY (instance_id, request_id, position)
);

CREATE TABLE account_switches (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  id          BIGINT NOT NULL,
  time        BIGINT NOT NULL,
  account     TEXT NOT NULL,
  field       TEXT NOT NULL,
  state       BIGINT NOT NULL,
  how         TEXT NOT NULL,
  endpoint    TEXT NOT NULL,
  client      TEXT NOT NULL,
  flow_id     TEXT NOT NULL,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX account_switches_field_time ON account_switches (field, time);

-- Roll-ups: the instance's current local value of each row.
CREATE TABLE identifier_days (
  instance_id   TEXT NOT NULL REFERENCES instance (id),
  identifier_id BIGINT NOT NULL,
  page_site     TEXT NOT NULL,
  day           TEXT NOT NULL,
  requests      BIGINT NOT NULL,
  reached       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, identifier_id, page_site, day)
);
CREATE INDEX identifier_days_day ON identifier_days (day);

CREATE TABLE page_days (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  page_id     BIGINT NOT NULL,
  day         TEXT NOT NULL,
  requests    BIGINT NOT NULL,
  reached     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, page_id, day)
);
CREATE INDEX page_days_day ON page_days (day);

CREATE TABLE daily_rollup (
  instance_id     TEXT NOT NULL REFERENCES instance (id),
  day             TEXT NOT NULL,
  page_site       TEXT NOT NULL,
  category        TEXT NOT NULL,
  decision        TEXT NOT NULL,
  mode            TEXT NOT NULL,
  requests              BIGINT NOT NULL DEFAULT 0,
  third_party           BIGINT NOT NULL DEFAULT 0,
  attempted             BIGINT NOT NULL DEFAULT 0,
  reached               BIGINT NOT NULL DEFAULT 0,
  full_url              BIGINT NOT NULL DEFAULT 0,
  full_url_reached      BIGINT NOT NULL DEFAULT 0,
  origin_only           BIGINT NOT NULL DEFAULT 0,
  origin_reached        BIGINT NOT NULL DEFAULT 0,
  logged_in             BIGINT NOT NULL DEFAULT 0,
  logged_in_reached     BIGINT NOT NULL DEFAULT 0,
  hashed_emails         BIGINT NOT NULL DEFAULT 0,
  hashed_emails_reached BIGINT NOT NULL DEFAULT 0,
  ids_attempted         BIGINT NOT NULL DEFAULT 0,
  ids_prevented         BIGINT NOT NULL DEFAULT 0,
  pages_prevented       BIGINT NOT NULL DEFAULT 0,
  first_time            BIGINT NOT NULL,
  last_time             BIGINT NOT NULL,
  PRIMARY KEY (instance_id, day, page_site, category, decision, mode)
);
CREATE INDEX daily_rollup_day ON daily_rollup (day);

CREATE TABLE daily_totals (
  instance_id     TEXT NOT NULL REFERENCES instance (id),
  day             TEXT NOT NULL,
  category        TEXT NOT NULL,
  decision        TEXT NOT NULL,
  mode            TEXT NOT NULL,
  requests              BIGINT NOT NULL DEFAULT 0,
  third_party           BIGINT NOT NULL DEFAULT 0,
  attempted             BIGINT NOT NULL DEFAULT 0,
  reached               BIGINT NOT NULL DEFAULT 0,
  full_url              BIGINT NOT NULL DEFAULT 0,
  full_url_reached      BIGINT NOT NULL DEFAULT 0,
  origin_only           BIGINT NOT NULL DEFAULT 0,
  origin_reached        BIGINT NOT NULL DEFAULT 0,
  logged_in             BIGINT NOT NULL DEFAULT 0,
  logged_in_reached     BIGINT NOT NULL DEFAULT 0,
  hashed_emails         BIGINT NOT NULL DEFAULT 0,
  hashed_emails_reached BIGINT NOT NULL DEFAULT 0,
  ids_attempted         BIGINT NOT NULL DEFAULT 0,
  ids_prevented         BIGINT NOT NULL DEFAULT 0,
  pages_prevented       BIGINT NOT NULL DEFAULT 0,
  first_time            BIGINT NOT NULL,
  last_time             BIGINT NOT NULL,
  PRIMARY KEY (instance_id, day, category, decision, mode)
);
CREATE INDEX daily_totals_day ON daily_totals (day);

CREATE TABLE site_days (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  day         TEXT NOT NULL,
  site        TEXT NOT NULL,
  requests         BIGINT NOT NULL DEFAULT 0,
  third_party      BIGINT NOT NULL DEFAULT 0,
  attempted        BIGINT NOT NULL DEFAULT 0,
  reached          BIGINT NOT NULL DEFAULT 0,
  full_url         BIGINT NOT NULL DEFAULT 0,
  full_url_reached BIGINT NOT NULL DEFAULT 0,
  blocked          BIGINT NOT NULL DEFAULT 0,
  stripped         BIGINT NOT NULL DEFAULT 0,
  last_time        BIGINT NOT NULL,
  PRIMARY KEY (instance_id, day, site)
);
CREATE INDEX site_days_site ON site_days (site, day);

CREATE TABLE hourly_totals (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  hour        BIGINT NOT NULL,
  requests    BIGINT NOT NULL DEFAULT 0,
  third_party BIGINT NOT NULL DEFAULT 0,
  attempted   BIGINT NOT NULL DEFAULT 0,
  reached     BIGINT NOT NULL DEFAULT 0,
  blocked     BIGINT NOT NULL DEFAULT 0,
  stripped    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, hour)
);

CREATE TABLE site_detail_days (
  instance_id   TEXT NOT NULL REFERENCES instance (id),
  site          TEXT NOT NULL,
  day           TEXT NOT NULL,
  tag_id        TEXT NOT NULL,
  tag_event     TEXT NOT NULL,
  attributed_by TEXT NOT NULL,
  decision      TEXT NOT NULL,
  requests      BIGINT NOT NULL DEFAULT 0,
  attempted     BIGINT NOT NULL DEFAULT 0,
  reached       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, site, day, tag_id, tag_event, attributed_by, decision)
);

CREATE TABLE tunnel_days (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  day         TEXT NOT NULL,
  site        TEXT NOT NULL,
  count       BIGINT NOT NULL,
  PRIMARY KEY (instance_id, day, site)
);
CREATE INDEX tunnel_days_site ON tunnel_days (site, day);
