/**
 * The history of the person's privacy switches (migration 008): written with the writer's flush,
 * read as one ordered list (it grows by a handful of rows each time the person opens Pinterest's
 * settings, so reading all of it is cheap and keeps the "since when" logic in plain code).
 */
import type { Database, Statement } from './db.js';
import { runSync, SQLITE } from './plan.js';
import { switchHistory } from './query-advice.js';
import { sqlParts, sqliteExecutor } from './query-sql.js';

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

/** Every reading, oldest first (the read side's plan, query-advice.ts, on this connection). */
export function readSwitchHistory(db: Database): SwitchHistoryRow[] {
  return runSync(sqliteExecutor(db), switchHistory(sqlParts(SQLITE)));
}
