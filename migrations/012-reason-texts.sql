-- 012-reason-texts: each sentence of a request's reasons is stored once, in `reason_texts`; the
-- request row keeps their ids in order, as a JSON array (`reasons` becomes `reason_ids`).
--
-- Classification explains every request in the same few sentences: the endpoint's role, how the
-- page was found, the tag id, the identifiers sent. They were most of each row (about 280 of 550
-- bytes for a tag beacon), so every insert wrote and committed them again. A sentence that names a
-- page or an identifier is shared by the requests that name the same one. `last_used` is the time
-- of the newest request listing the sentence: retention removes requests older than a cut-off, and
-- with them the sentences last used before it, so a forgotten page is not kept here either.
--
-- On an existing database every row's list is rewritten once; the order of each list is kept. A
-- list that is not valid JSON was shown as no reasons before and becomes `[]`.

CREATE TABLE reason_texts (
  id        INTEGER PRIMARY KEY,
  text      TEXT NOT NULL UNIQUE,
  last_used INTEGER NOT NULL           -- ms: time of the newest request listing it
);

INSERT INTO reason_texts (text, last_used)
  SELECT j.value, max(r.time) FROM requests r, json_each(r.reasons) j
  WHERE json_valid(r.reasons) AND j.type = 'text'
  GROUP BY j.value;

ALTER TABLE requests RENAME COLUMN reasons TO reason_ids;

UPDATE requests SET reason_ids = CASE WHEN json_valid(reason_ids) THEN (
    SELECT json_group_array((SELECT t.id FROM reason_texts t WHERE t.text = j.value))
    FROM json_each(requests.reason_ids) j WHERE j.type = 'text'
  ) ELSE '[]' END
  WHERE reason_ids <> '[]';
