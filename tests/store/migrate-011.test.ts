import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { migrationsUpTo } from '../helpers/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-011-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The tables 011 rebuilds, and those that point at them. */
const TABLES = ['requests', 'identifiers', 'request_identifiers', 'purchase_items', 'identifier_days', 'pages'];

/** A database as 010 left it, with a request of each kind pointing at pages, identifiers and line items. */
function seed010(path: string): void {
  const { db } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 10) });
  db.exec(`
    INSERT INTO pages (id, url, site, first_seen, last_seen) VALUES (1, 'https://shop.example/p/1', 'shop.example', 1, 2);
    INSERT INTO identifiers (id, name, kind, value, first_seen, last_seen)
      VALUES (1, '_pinterest_ct_ua', 'tracking-id', 'U1', 1, 2), (2, '_pinterest_sess', 'credential', 'ab12', 1, 1);
    INSERT INTO requests (id, flow_id, time, client, source, method, host, path, category, third_party, page_site, page_id,
        attributed_by, confidence, leak_level, tag_id, tag_event, tag_value, tag_currency, tag_order_id, hashed_email, hashed_email_algo,
        logged_in, gpc, dnt, client_hints, reasons, block_mode, decision, decision_reason, stripped, ids_attempted, ids_prevented,
        page_prevented, attempted, reached, page_reached, logged_in_reached, hashed_email_reached, outcome, status, bytes, completed_at)
      VALUES (10, 'f-a', 1000, '127.0.0.1', 'proxy', 'GET', 'ct.pinterest.com', '/v3/', 'tag', 1, 'shop.example', 1,
        'tag-payload', 'high', 'full-url', '2612345678901', 'checkout', 42.5, 'EUR', 'o-1', 1, 'sha256',
        1, 0, 1, 1, '["a reason"]', 'strip', 'strip', 'stripped: cookie', '["cookie"]', 2, 1,
        0, 1, 1, 1, 0, 1, 'response', 200, 11, 1010);
    INSERT INTO requests (id, flow_id, time, client, source, method, host, path)
      VALUES (11, 'har-1', 2000, 'capture.har', 'har', 'POST', 'www.pinterest.com', '/resource/');
    INSERT INTO request_identifiers (request_id, identifier_id, source, prevented) VALUES (10, 1, 'cookie', 1), (10, 2, 'cookie', 0);
    INSERT INTO purchase_items (request_id, position, item_id, name, price, quantity) VALUES (10, 0, 'sku', 'Thing', 42.5, 1);
    INSERT INTO identifier_days (identifier_id, page_site, day, requests, reached) VALUES (1, 'shop.example', '2025-06-11', 1, 0);
  `);
  db.close();
}

function dump(db: ReturnType<typeof openDatabase>['db']): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));
}

test('011 keeps every row, id and key of the rebuilt tables, and their constraints no longer build IN lists', () => {
  const path = join(dir, 'a.db');
  seed010(path);
  const before = (() => {
    const { db } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 10) });
    try {
      return dump(db);
    } finally {
      db.close();
    }
  })();
  const { db, migrations } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 11) });
  try {
    expect(migrations.applied).toEqual(['011-cheap-checks.sql']);
    // The log the rebuild wrote was copied into the database and emptied.
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect(dump(db)).toEqual(before);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    for (const table of ['requests', 'identifiers', 'request_identifiers']) {
      const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string;
      expect(sql, table).toMatch(/CHECK/);
      expect(sql, table).not.toMatch(/\bIN\s*\(/i);
    }
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['requests_flow', 'requests_har_flow', 'requests_page', 'requests_site_time', 'requests_time']);
    // The HAR re-import guard is still a unique index the writer's ON CONFLICT names.
    expect(() => db.prepare("INSERT INTO requests (flow_id, time, client, source, method, host, path) VALUES ('har-1', 1, 'x', 'har', 'GET', 'h', '/')").run())
      .toThrow(/UNIQUE constraint failed/);
    // Deleting a request still takes its links and line items along.
    db.prepare('DELETE FROM requests WHERE id = 10').run();
    expect(db.prepare('SELECT count(*) FROM request_identifiers').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM purchase_items').pluck().get()).toBe(0);
  } finally {
    db.close();
  }
});

test('the rewritten constraints refuse and accept exactly what the old ones did', () => {
  const { db } = openDatabase(join(dir, 'b.db'), { migrationsDir: migrationsUpTo(dir, 11) });
  try {
    const request = (column: string, value: unknown): (() => void) => () =>
      db.prepare(`INSERT INTO requests (flow_id, time, client, source, method, host, path, ${column}) VALUES ('f', 1, 'c', 'proxy', 'GET', 'h', '/', ?)`).run(value);
    for (const [column, good, bad] of [
      ['category', 'first-party', 'firstparty'],
      ['attributed_by', 'recent-navigation', 'recent'],
      ['confidence', 'low', 'LOW'],
      ['leak_level', 'origin', 'page'],
      ['decision', 'strip', 'allowed'],
      ['outcome', 'blocked', 'ok'],
      ['third_party', 1, 2],
      ['logged_in', 0, -1],
      ['gpc', 1, 0.5],
    ] as const) {
      expect(request(column, good), `${column} = ${good}`).not.toThrow();
      expect(request(column, null), `${column} = NULL`).not.toThrow();
      expect(request(column, bad), `${column} = ${bad}`).toThrow(/CHECK constraint failed/);
    }
    expect(() => db.prepare("INSERT INTO requests (flow_id, time, client, source, method, host, path) VALUES ('f', 1, 'c', 'file', 'GET', 'h', '/')").run())
      .toThrow(/CHECK constraint failed/);
    db.exec("INSERT INTO identifiers (id, name, kind, value, first_seen, last_seen) VALUES (1, 'epik', 'click-id', 'E', 0, 0)");
    expect(() => db.exec("INSERT INTO identifiers (name, kind, value, first_seen, last_seen) VALUES ('x', 'cookie', 'v', 0, 0)")).toThrow(/CHECK constraint failed/);
    expect(() => db.exec("INSERT INTO request_identifiers (request_id, identifier_id, source) VALUES (1, 1, 'header')")).toThrow(/CHECK constraint failed/);
    expect(() => db.exec("INSERT INTO request_identifiers (request_id, identifier_id, source, prevented) VALUES (1, 1, 'body', 2)")).toThrow(/CHECK constraint failed/);
  } finally {
    db.close();
  }
});
