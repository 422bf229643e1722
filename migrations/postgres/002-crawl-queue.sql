-- 002-crawl-queue: one queue of sites shared by every crawl worker of the fleet.
--
-- A worker claims a pending site (or one whose lease ran out) with FOR UPDATE SKIP LOCKED, so two
-- workers never take the same row, and holds it by a lease it renews while it works. A worker that
-- dies stops renewing; once the lease has passed, the next claim hands the site to another worker.
-- `attempt` fences the end of a visit: only the worker holding the current attempt may end it.
-- Lease times are the server's clock (ms since the epoch), so workers' clocks do not matter.
CREATE TABLE crawl_queue (
  id          BIGSERIAL PRIMARY KEY,
  queue       TEXT NOT NULL,                       -- the crawl's name; many crawls share the table
  url         TEXT NOT NULL,
  site        TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempt     INTEGER NOT NULL DEFAULT 0,          -- claims so far
  worker      TEXT,                                -- instance id of the worker holding or ending it
  worker_name TEXT,
  lease_until BIGINT,                              -- running: the lease ends here
  enqueued_at BIGINT NOT NULL,
  started_at  BIGINT,
  finished_at BIGINT,
  error       TEXT,                                -- failed: what went wrong
  UNIQUE (queue, url)
);
-- Claims scan pending and expired rows of one queue in id order.
CREATE INDEX crawl_queue_claim ON crawl_queue (queue, state, id);
