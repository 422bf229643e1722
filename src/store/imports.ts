/**
 * The ledger of HAR files imported whole (table `har_imports`). A file counts its visited sites
 * once: the importer asks `seen` before counting and calls `note` after a complete import.
 */
import type { Database } from './db.js';

export interface ImportLedger {
  /** True when a file with this content hash was imported completely before. */
  seen(sha256: string): boolean;
  /** Records a completed import (a second note of the same file is ignored). */
  note(record: { sha256: string; label: string; entries: number; time: number }): void;
  /** Forgets every import (after `purge --all`, a file may be imported and counted again). */
  clear(): void;
}

export function importLedger(db: Database): ImportLedger {
  const seen = db.prepare('SELECT 1 FROM har_imports WHERE sha256 = ?');
  const note = db.prepare('INSERT OR IGNORE INTO har_imports (sha256, label, imported_at, entries) VALUES (?, ?, ?, ?)');
  const clear = db.prepare('DELETE FROM har_imports');
  return {
    seen: (sha256) => seen.get(sha256) !== undefined,
    note: (r) => void note.run(r.sha256, r.label, r.time, r.entries),
    clear: () => void clear.run(),
  };
}
