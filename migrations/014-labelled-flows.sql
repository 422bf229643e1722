-- 014-labelled-flows: the flow-id index of `requests` keeps only the requests whose browser labelled
-- its traffic with a proxy user name, as each browser context of `pinaudit crawl` does.
--
-- Requests are looked up by flow id only to join a crawl's `crawl_requests` to them (its report, the
-- requests of one crawl). Every other request still wrote an entry on insert, for every checkpoint
-- to copy again: the index cost about as much as a tenth of recording. `labelled` says which rows
-- the index holds; the crawl queries name it, so SQLite keeps using the index for them.
--
-- The requests crawls already filed are labelled here; rows of labelled traffic outside a crawl
-- (a browser that sent Proxy-Authorization to a plain `pinaudit start`) stay 0, which changes nothing
-- anyone reads.

ALTER TABLE requests ADD COLUMN labelled INTEGER NOT NULL DEFAULT 0 CHECK (labelled = 0 OR labelled = 1);
UPDATE requests SET labelled = 1 WHERE flow_id IN (SELECT flow_id FROM crawl_requests);
DROP INDEX requests_flow;
CREATE INDEX requests_flow ON requests (flow_id) WHERE labelled = 1;
