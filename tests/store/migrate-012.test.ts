import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { openQueries } from '../../src/store/queries.js';
import { migrationsUpTo } from '../helpers/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-012-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Reasons lists as 011 stored them, by flow id: shared sentences, an empty list, a broken one. */
const STORED: Record<string, string> = {
  'f-1': JSON.stringify(['Referer names the page: https://shop.example/a.', 'Third party.']),
  'f-2': JSON.stringify(['Third party.', 'Referer names the page: https://shop.example/a.', 'Quote " and \\ and ünïcode.']),
  'f-3': '[]',
  'f-4': '["not closed',
};

function seed011(path: string): void {
  const { db } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 11) });
  const insert = db.prepare(`INSERT INTO requests (flow_id, time, client, source, method, host, path, reasons)
    VALUES (?, ?, '127.0.0.1', 'proxy', 'GET', 'ct.pinterest.com', '/v3/', ?)`);
  Object.entries(STORED).forEach(([flow, reasons], i) => insert.run(flow, 1000 + i, reasons));
  db.close();
}

test('012 stores each sentence once and every request reads back the same reasons, in order', () => {
  const path = join(dir, 'a.db');
  seed011(path);
  const { db, migrations } = openDatabase(path);
  try {
    expect(migrations.applied[0]).toBe('012-reason-texts.sql');
    // Each sentence once, with the time of the newest request listing it (f-1 at 1000, f-2 at 1001).
    const texts = db.prepare('SELECT id, text, last_used AS lastUsed FROM reason_texts').all() as Array<{ id: number; text: string; lastUsed: number }>;
    expect(texts.map((t) => [t.text, t.lastUsed]).sort()).toEqual([
      ['Quote " and \\ and ünïcode.', 1001], ['Referer names the page: https://shop.example/a.', 1001], ['Third party.', 1001],
    ]);
    const text = new Map(texts.map((t) => [t.id, t.text]));
    const lists = db.prepare('SELECT reason_ids FROM requests ORDER BY id').pluck().all() as string[];
    expect(lists.map((l) => (JSON.parse(l) as number[]).map((id) => text.get(id)))).toEqual([
      JSON.parse(STORED['f-1']!), JSON.parse(STORED['f-2']!), [], [],
    ]);
  } finally {
    db.close();
  }
  const queries = openQueries(path);
  try {
    const rows = queries.requests({}, { limit: 10 }).rows;
    const byFlow = Object.fromEntries(rows.map((r) => [r.flowId, r.reasons]));
    expect(byFlow).toEqual({
      'f-1': JSON.parse(STORED['f-1']!),
      'f-2': JSON.parse(STORED['f-2']!),
      'f-3': [],
      // Not valid JSON: shown as no reasons before the upgrade, and after it.
      'f-4': [],
    });
  } finally {
    queries.close();
  }
});
