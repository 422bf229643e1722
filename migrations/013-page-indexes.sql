-- 013-page-indexes: the two indexes that find a site's or a page's requests leave out the requests
-- with no site or no page.
--
-- Every query that reads them names a site (`page_site = ?`) or a page (`page_id = ?`, and the
-- foreign key from pages), so an entry for NULL was never read. Such requests are common (a beacon
-- sent with no Referer and no page parameter names no page), and each of them still wrote its
-- entries on insert, for every checkpoint to copy again. SQLite uses a
-- partial index `WHERE x IS NOT NULL` for any comparison `x = …`, so each query keeps its plan.

DROP INDEX requests_site_time;
CREATE INDEX requests_site_time ON requests (page_site, time) WHERE page_site IS NOT NULL;
DROP INDEX requests_page;
CREATE INDEX requests_page ON requests (page_id) WHERE page_id IS NOT NULL;
