-- 009-fleet-ship-marks: how far this instance has shipped its rows to each fleet database
-- (`--ship-to`), so a restart goes on where it stopped. One row per database and stream; the
-- database is named without credentials. Nothing of the browsing is kept here.
CREATE TABLE ship_marks (
  target TEXT NOT NULL,                -- postgres://user@host:port/database
  stream TEXT NOT NULL,                -- 'requests', 'account_switches', 'tunnel_days', 'rollups'
  upto   INTEGER NOT NULL DEFAULT 0,   -- highest local id shipped (streams), 1 once roll-ups are backfilled
  ref    TEXT NOT NULL DEFAULT '',     -- flow id of the row at `upto`, or the first tunnel day still sent
  base   INTEGER NOT NULL DEFAULT 0,   -- added to local ids once they were reused (all rows removed)
  PRIMARY KEY (target, stream)
) WITHOUT ROWID;
