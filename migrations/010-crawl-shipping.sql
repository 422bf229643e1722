-- 010-crawl-shipping: what a crawl needs to be shipped to a fleet database and to take part in a
-- shared crawl queue.
--   crawls.queue      the shared queue (`pinaudit crawl --worker --queue …`) this local crawl
--                     holds this instance's part of; NULL for a crawl of a local list.
--   crawl_sites.ended the order in which sites ended (done or failed), 1, 2, 3…: the shipper sends
--                     each ended site once, in this order, past its marker. Set in the same
--                     transaction that ends the site; NULL while a site is pending or running.
ALTER TABLE crawls ADD COLUMN queue TEXT;
ALTER TABLE crawl_sites ADD COLUMN ended INTEGER;

-- Sites that ended before this migration are numbered in the order they finished.
UPDATE crawl_sites SET ended = (
  SELECT count(*) FROM crawl_sites AS o
  WHERE o.state IN ('done', 'failed')
    AND (coalesce(o.finished_at, 0) < coalesce(crawl_sites.finished_at, 0)
      OR (coalesce(o.finished_at, 0) = coalesce(crawl_sites.finished_at, 0) AND o.id <= crawl_sites.id))
) WHERE state IN ('done', 'failed');

CREATE UNIQUE INDEX crawl_sites_ended ON crawl_sites (ended);
CREATE INDEX crawls_queue ON crawls (queue);
