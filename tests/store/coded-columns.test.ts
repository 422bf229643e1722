/**
 * The insert binds the columns of CODED_COLUMNS as a value's position in its set. These tests hold
 * each set to the CHECK of its column, and show that every value, NULL and a value outside the set
 * are stored (or refused) exactly as when the text itself was bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { toPending, type PendingRequest } from '../../src/store/rows.js';
import { CODED_COLUMNS, prepareWriteStatements, writeBatch } from '../../src/store/write-batch.js';
import { makeFlow } from '../helpers/findings.js';

let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-coded-'));
  db = openDatabase(join(dir, 'p.db')).db;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const COLUMNS = Object.keys(CODED_COLUMNS) as Array<keyof typeof CODED_COLUMNS>;

/** The values the CHECK of `column` in the stored `requests` schema accepts (`column = '…'` terms). */
function checked(column: string): string[] {
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'requests'").pluck().get() as string;
  const definition = sql.split('\n').find((line) => line.trim().startsWith(`${column} `))!;
  const check = sql.slice(sql.indexOf(definition)).split(/\n\s*[a-z_]+\s+(TEXT|INTEGER|REAL)\b/)[0]!;
  return [...check.matchAll(new RegExp(`\\b${column} = '([^']*)'`, 'g'))].map((m) => m[1]!);
}

/** Writes one request whose columns are overridden, with `outcome` as its outcome column. */
function write(columns: Partial<PendingRequest['columns']>, outcome: string | null = null): void {
  const pending = toPending(makeFlow(), 'off');
  const row: PendingRequest = { ...pending, columns: { ...pending.columns, ...columns } };
  const o = { outcome, status: null, bytes: null, error_kind: null, error_message: null, completed_at: null };
  db.transaction(() => writeBatch(prepareWriteStatements(db), { inserts: [{ pending: row, outcome: outcome === null ? null : o as never }], updates: [], tunnels: [] }))();
}

const last = (column: string): unknown => db.prepare(`SELECT ${column} FROM requests ORDER BY id DESC LIMIT 1`).pluck().get();

test.each(COLUMNS)("the set of %s is the values its column's CHECK accepts", (column) => {
  expect(checked(column)).toEqual([...CODED_COLUMNS[column]]);
});

test.each(COLUMNS)('every value of %s, and NULL where allowed, reads back as written', (column) => {
  for (const value of CODED_COLUMNS[column]) {
    if (column === 'outcome') write({}, value);
    else write({ [column]: value });
    expect(last(column)).toBe(value);
  }
  if (column !== 'source') {
    write(column === 'outcome' ? {} : { [column]: null });
    expect(last(column)).toBeNull();
  }
});

test.each(COLUMNS)('a value outside the set of %s is refused by its CHECK, as before', (column) => {
  const before = db.prepare('SELECT count(*) FROM requests').pluck().get();
  expect(() => (column === 'outcome' ? write({}, 'maybe') : write({ [column]: 'maybe' }))).toThrow(/CHECK constraint failed/);
  expect(db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(before);
});
