/**
 * Retention and purge. Pruning removes raw rows (requests, their identifier links and line items,
 * the per-day identifier and page tables, and identifiers, pages and reason sentences nobody
 * refers to any more)
 * older than the retention period, and keeps the roll-ups (rollups.ts), tunnel counts and the
 * history of the person's privacy switches (account_switches: a few rows, no browsing, and what
 * "since when" is read from). Purge is the
 * user's explicit "forget": it removes everything before a date (roll-ups and tunnel counts too),
 * or everything, with secure_delete on so the freed pages are overwritten.
 */
import type { Database } from './db.js';
import { importLedger } from './imports.js';
import { dayKey, startOfDay } from './days.js';
import { removeReasonsBefore } from './reasons.js';
import { DAILY_ROLLUP, ROLLUPS } from './rollups.js';

/** How many rows a prune or purge removed. */
export interface PruneReport {
  /** Rows older than this time (ms) were removed. */
  cutoff: number;
  requests: number;
  identifiers: number;
  pages: number;
  /** Rows of the daily roll-up (purge only; the other roll-ups go with it), and tunnel-count rows. */
  rollups: number;
  tunnels: number;
}

/** Requests deleted per transaction, so a large prune does not hold the write lock for long. */
const CHUNK = 5000;

/**
 * Removes raw rows from before local midnight `retentionDays` days ago. Roll-ups are kept.
 */
export function prune(db: Database, options: { retentionDays: number; now?: number }): PruneReport {
  const now = options.now ?? Date.now();
  const d = new Date(now);
  const cutoff = startOfDay(new Date(d.getFullYear(), d.getMonth(), d.getDate() - options.retentionDays).getTime());
  return removeBefore(db, cutoff, false);
}

/** What to purge: everything before a date, or all data. Settings are kept. */
export type PurgeOptions = { before: Date; all?: false } | { all: true; before?: undefined };

/** How many recorded requests a purge with these options would remove. */
export function countPurgeable(db: Database, options: PurgeOptions): number {
  return db.prepare('SELECT count(*) FROM requests WHERE time < ?').pluck().get(purgeCutoff(options)) as number;
}

function purgeCutoff(options: PurgeOptions): number {
  return options.all ? Number.MAX_SAFE_INTEGER : startOfDay(options.before.getTime());
}

/** Removes data at the user's request (see the module note). */
export function purge(db: Database, options: PurgeOptions): PruneReport {
  db.pragma('secure_delete = ON');
  const report = options.all ? removeAll(db) : removeBefore(db, purgeCutoff(options), true);
  // After forgetting everything, a HAR file imported before may be imported (and counted) again.
  if (options.all) importLedger(db).clear();
  try {
    // Move the overwritten pages out of the WAL into the main file; best effort (a reader may hold it).
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Checkpointing later is equally correct; only the timing of the overwrite changes.
  }
  return report;
}

function removeBefore(db: Database, cutoff: number, includeRollups: boolean): PruneReport {
  const report: PruneReport = { cutoff, requests: 0, identifiers: 0, pages: 0, rollups: 0, tunnels: 0 };
  const day = dayKey(cutoff);
  const chunk = db.prepare(
    'DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE time < ? ORDER BY time LIMIT ?)',
  );
  for (;;) {
    const n = db.transaction(() => chunk.run(cutoff, CHUNK).changes).immediate();
    report.requests += n;
    if (n < CHUNK) break;
  }
  db.transaction(() => {
    db.prepare('DELETE FROM identifier_days WHERE day < ?').run(day);
    db.prepare('DELETE FROM page_days WHERE day < ?').run(day);
    if (includeRollups) {
      for (const r of ROLLUPS) {
        const n = db.prepare(`DELETE FROM ${r.table} WHERE ${r.cutoffColumn} < ?`).run(r.cutoffColumn === 'day' ? day : cutoff).changes;
        if (r === DAILY_ROLLUP) report.rollups = n;
      }
      report.tunnels = db.prepare('DELETE FROM tunnel_days WHERE day < ?').run(day).changes;
      db.prepare('DELETE FROM account_switches WHERE time < ?').run(cutoff);
    }
    removeOrphans(db, report);
    // A sentence can name a page or an identifier: it goes with the last request that used it.
    removeReasonsBefore(db, cutoff);
  }).immediate();
  return report;
}

function removeAll(db: Database): PruneReport {
  const report: PruneReport = {
    cutoff: Number.MAX_SAFE_INTEGER,
    requests: 0,
    identifiers: 0,
    pages: 0,
    rollups: 0,
    tunnels: 0,
  };
  db.transaction(() => {
    db.exec('DELETE FROM request_identifiers; DELETE FROM purchase_items; DELETE FROM identifier_days; DELETE FROM page_days');
    report.requests = db.prepare('DELETE FROM requests').run().changes;
    report.identifiers = db.prepare('DELETE FROM identifiers').run().changes;
    report.pages = db.prepare('DELETE FROM pages').run().changes;
    db.exec('DELETE FROM reason_texts');
    for (const r of ROLLUPS) {
      const n = db.prepare(`DELETE FROM ${r.table}`).run().changes;
      if (r === DAILY_ROLLUP) report.rollups = n;
    }
    report.tunnels = db.prepare('DELETE FROM tunnel_days').run().changes;
    db.exec('DELETE FROM account_switches');
  }).immediate();
  return report;
}

function removeOrphans(db: Database, report: PruneReport): void {
  report.identifiers = db
    .prepare(
      `DELETE FROM identifiers WHERE
         NOT EXISTS (SELECT 1 FROM request_identifiers ri WHERE ri.identifier_id = identifiers.id) AND
         NOT EXISTS (SELECT 1 FROM identifier_days d WHERE d.identifier_id = identifiers.id)`,
    )
    .run().changes;
  report.pages = db
    .prepare(
      `DELETE FROM pages WHERE
         NOT EXISTS (SELECT 1 FROM requests r WHERE r.page_id = pages.id) AND
         NOT EXISTS (SELECT 1 FROM page_days d WHERE d.page_id = pages.id)`,
    )
    .run().changes;
}
