-- 004-har-imports: HAR files imported whole, by the SHA-256 of their content, so that importing the
-- same file again adds no "sites visited" counts a second time (its Pinterest rows are already
-- idempotent by flow id). Only the hash, a label and counts are kept: nothing of the browsing.
CREATE TABLE har_imports (
  sha256      TEXT PRIMARY KEY,
  label       TEXT NOT NULL,
  imported_at INTEGER NOT NULL,
  entries     INTEGER NOT NULL
);
