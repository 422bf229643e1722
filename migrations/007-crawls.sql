-- 007-crawls: `pinaudit crawl` keeps its state here so that a killed crawl resumes where it
-- stopped. A crawl is a list of sites; each site is crawled once (its row moves from pending to
-- done or failed in one transaction with its evidence and its requests), so a rerun never counts a
-- site twice. crawl_requests ties each recorded request (by flow id) to the crawl page that caused
-- it: the ground truth pinaudit's own attribution is measured against.
CREATE TABLE crawls (
  id          INTEGER PRIMARY KEY,
  -- SHA-256 of the site list and the options that shape results: the same command resumes.
  key         TEXT NOT NULL,
  label       TEXT,
  options     TEXT NOT NULL,  -- JSON {pages, modes, timeoutMs}
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX crawls_key ON crawls (key, finished_at);

CREATE TABLE crawl_sites (
  id             INTEGER PRIMARY KEY,
  crawl_id       INTEGER NOT NULL REFERENCES crawls (id) ON DELETE CASCADE,
  position       INTEGER NOT NULL,
  input          TEXT NOT NULL,  -- the line as listed
  url            TEXT NOT NULL,  -- the home page opened
  site           TEXT NOT NULL,  -- registrable domain of url
  state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  started_at     INTEGER,
  finished_at    INTEGER,
  final_url      TEXT,           -- the home page after redirects
  final_site     TEXT,
  error_kind     TEXT,           -- dns, tls, timeout, refused, unreachable, http, crash, error
  error          TEXT,
  verdict        TEXT CHECK (verdict IN ('works', 'changed', 'broken')),
  verdict_reason TEXT,
  pixel_diff     REAL,           -- largest share of pixels changed on one page between the modes
  evidence       TEXT NOT NULL DEFAULT '{}',  -- JSON: pages visited, per mode
  UNIQUE (crawl_id, site)
);
CREATE INDEX crawl_sites_state ON crawl_sites (crawl_id, state, position);

CREATE TABLE crawl_requests (
  flow_id            TEXT PRIMARY KEY,
  crawl_site_id      INTEGER NOT NULL REFERENCES crawl_sites (id) ON DELETE CASCADE,
  mode               TEXT NOT NULL,
  page_index         INTEGER NOT NULL,  -- 0 the home page, then the same-site links in order
  crawl_page         TEXT NOT NULL,     -- the page the crawler had open when the request arrived
  before_interaction INTEGER NOT NULL CHECK (before_interaction IN (0, 1))
);
CREATE INDEX crawl_requests_site ON crawl_requests (crawl_site_id, mode);

-- Crawl reports join recorded requests by flow id.
CREATE INDEX requests_flow ON requests (flow_id);
