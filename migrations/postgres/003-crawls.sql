-- 003-crawls: the shared crawl queue's settings, and the crawl results every instance ships.
--
-- crawl_queues: one row per queue (`pinaudit crawl SITES --queue …`), with the options every
-- worker visits its sites with, so that all workers of one crawl crawl alike.
CREATE TABLE crawl_queues (
  name       TEXT PRIMARY KEY,       -- --label of the enqueuing command, 'default' without one
  options    TEXT NOT NULL,          -- JSON {pages, modes, timeoutMs}
  created_at BIGINT NOT NULL
);
-- A site is listed once per queue, whatever URL named it.
CREATE UNIQUE INDEX crawl_queue_site ON crawl_queue (queue, site);
-- Workers look for the oldest open site of any queue.
CREATE INDEX crawl_queue_open ON crawl_queue (id) WHERE state IN ('pending', 'running');

-- The local crawl tables (migrations/007-crawls.sql, 010), keyed by instance like 001's. A worker
-- of a shared queue holds its part of that crawl as one local crawl whose `queue` names it; the
-- whole crawl is every instance's crawl with that queue.
CREATE TABLE crawls (
  instance_id TEXT NOT NULL REFERENCES instance (id),
  id          BIGINT NOT NULL,
  key         TEXT NOT NULL,
  label       TEXT,
  options     TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  finished_at BIGINT,
  queue       TEXT,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX crawls_queue ON crawls (queue);

-- Shipped once each, when the site ended (done or failed).
CREATE TABLE crawl_sites (
  instance_id    TEXT NOT NULL REFERENCES instance (id),
  id             BIGINT NOT NULL,
  crawl_id       BIGINT NOT NULL,
  position       BIGINT NOT NULL,
  input          TEXT NOT NULL,
  url            TEXT NOT NULL,
  site           TEXT NOT NULL,
  state          TEXT NOT NULL,
  attempts       BIGINT NOT NULL,
  started_at     BIGINT,
  finished_at    BIGINT,
  final_url      TEXT,
  final_site     TEXT,
  error_kind     TEXT,
  error          TEXT,
  verdict        TEXT,
  verdict_reason TEXT,
  pixel_diff     DOUBLE PRECISION,
  evidence       TEXT NOT NULL DEFAULT '{}',
  ended          BIGINT,
  PRIMARY KEY (instance_id, id)
);
CREATE INDEX crawl_sites_crawl ON crawl_sites (instance_id, crawl_id);
CREATE INDEX crawl_sites_site ON crawl_sites (site);

-- Each request a crawl caused, by the flow id of its row in requests (same instance).
CREATE TABLE crawl_requests (
  instance_id        TEXT NOT NULL REFERENCES instance (id),
  flow_id            TEXT NOT NULL,
  crawl_site_id      BIGINT NOT NULL,
  mode               TEXT NOT NULL,
  page_index         BIGINT NOT NULL,
  crawl_page         TEXT NOT NULL,
  before_interaction BIGINT NOT NULL,
  PRIMARY KEY (instance_id, flow_id)
);
CREATE INDEX crawl_requests_site ON crawl_requests (instance_id, crawl_site_id);
CREATE INDEX requests_flow ON requests (instance_id, flow_id);
