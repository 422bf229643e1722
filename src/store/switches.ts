/**
 * The history of the person's privacy switches (migration 008): written with the writer's flush,
 * read as one ordered list (it grows by a handful of rows each time the person opens Pinterest's
 * settings, so reading all of it is cheap and keeps the "since when" logic in plain code).
 */
import type { Database, Statement } from './db.js';

/** One switch reading to store (the advice stage's output). */
export interface SwitchRecord {
  time: number;
  flowId: string;
  client: string;
  /** Keyed fingerprint of the account's credential. */
  account: string;
  endpoint: string;
  field: string;
  state: boolean;
  how: 'read' | 'change';
}

/** One stored reading, oldest first. */
export interface SwitchHistoryRow {
  time: number;
  account: string;
  field: string;
  state: boolean;
  how: 'read' | 'change';
  endpoint: string;
}

/** Most readings returned by {@link readSwitchHistory}; the newest are kept when there are more. */
export const SWITCH_HISTORY_LIMIT = 10_000;

/** The insert statement (one per writer connection). */
export function prepareSwitchInsert(db: Database): Statement {
  return db.prepare(
    `INSERT INTO account_switches (time, account, field, state, how, endpoint, client, flow_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
}

/** Writes readings; call inside the writer's transaction. */
export function writeSwitches(insert: Statement, rows: readonly SwitchRecord[]): void {
  for (const r of rows) {
    insert.run(r.time, r.account, r.field, r.state ? 1 : 0, r.how, r.endpoint, r.client, r.flowId);
  }
}

/** Every reading up to `to` (exclusive; default: all), oldest first. */
export function readSwitchHistory(db: Database, to: number | null = null): SwitchHistoryRow[] {
  const rows = db
    .prepare(
      `SELECT time, account, field, state, how, endpoint FROM (
         SELECT * FROM account_switches WHERE time < @to ORDER BY time DESC, id DESC LIMIT @limit
       ) ORDER BY time, id`,
    )
    .all({ to: to ?? Number.MAX_SAFE_INTEGER, limit: SWITCH_HISTORY_LIMIT }) as Array<Omit<SwitchHistoryRow, 'state'> & { state: number }>;
  return rows.map((r) => ({ ...r, state: r.state === 1 }));
}
