-- 008-account-switches: the person's privacy switches on Pinterest, as their own traffic with
-- Pinterest's settings endpoints showed them. One row per switch per exchange; nothing else of the
-- exchange is kept (no username, no e-mail, no body). The account is known only by the keyed
-- fingerprint of the credential the request carried. A switch with no row is "not seen yet".
CREATE TABLE account_switches (
  id       INTEGER PRIMARY KEY,
  time     INTEGER NOT NULL,                               -- ms since the epoch, request head
  account  TEXT NOT NULL,                                  -- credential fingerprint (hex HMAC)
  field    TEXT NOT NULL,                                  -- user field, e.g. personalize_from_offsite_browsing
  state    INTEGER NOT NULL CHECK (state IN (0, 1)),       -- 1 = on
  how      TEXT NOT NULL CHECK (how IN ('read', 'change')),
  endpoint TEXT NOT NULL,                                  -- the lead it came from
  client   TEXT NOT NULL,
  flow_id  TEXT NOT NULL
);
-- "State at time t" is the latest row at or before t: one index seek per lookup.
CREATE INDEX account_switches_field_time ON account_switches (field, time);
