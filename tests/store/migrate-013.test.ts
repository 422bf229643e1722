/**
 * 013 makes the site and page indexes of `requests` leave out requests with no site or page. The
 * queries that name a site or a page still use them, rows without one write no entry, and the
 * foreign key from pages still finds the requests that use a page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { indexEntries, migrationsUpTo } from '../helpers/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-013-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Six requests as 012 stored them: two on a page of shop-a.test, one on blog-b.test's origin, three with no page. */
function seed012(path: string): void {
  const { db } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 12) });
  const page = db.prepare("INSERT INTO pages (url, site, first_seen, last_seen) VALUES ('https://shop-a.test/cart', 'shop-a.test', 1000, 1000) RETURNING id").get() as { id: number };
  const insert = db.prepare(`INSERT INTO requests (flow_id, time, client, source, method, host, path, page_site, page_id)
    VALUES (?, ?, '127.0.0.1', 'proxy', 'GET', 'ct.pinterest.com', '/v3/', ?, ?)`);
  insert.run('f-1', 1000, 'shop-a.test', page.id);
  insert.run('f-2', 1001, 'shop-a.test', page.id);
  insert.run('f-3', 1002, 'blog-b.test', null);
  for (let i = 4; i <= 6; i++) insert.run(`f-${i}`, 1000 + i, null, null);
  db.close();
}

const plan = (db: Database, sql: string): string =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1)) as Array<{ detail: string }>)
    .map((r) => r.detail).join('; ');


function upgraded(): Database {
  const path = join(dir, 'a.db');
  seed012(path);
  const { db, migrations } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 13) });
  expect(migrations.applied).toEqual(['013-page-indexes.sql']);
  return db;
}

test('013 keeps entries only for requests that have a site or a page', () => {
  const db = upgraded();
  try {
    expect(indexEntries(db, 'requests_site_time')).toBe(3);
    expect(indexEntries(db, 'requests_page')).toBe(2);
    // New rows without a site or page write no entry either.
    db.prepare("INSERT INTO requests (flow_id, time, client, source, method, host, path) VALUES ('f-7', 2000, '127.0.0.1', 'proxy', 'GET', 'ct.pinterest.com', '/v3/')").run();
    expect(indexEntries(db, 'requests_site_time')).toBe(3);
    expect(indexEntries(db, 'requests_page')).toBe(2);
  } finally {
    db.close();
  }
});

test("a site's and a page's requests are still found through the indexes", () => {
  const db = upgraded();
  try {
    expect(plan(db, 'SELECT * FROM requests r WHERE r.page_site = ? AND r.time >= ? AND r.time < ?')).toContain('USING INDEX requests_site_time (page_site=? AND time>? AND time<?)');
    expect(plan(db, 'SELECT 1 FROM requests r WHERE r.page_id = ?')).toContain('USING COVERING INDEX requests_page (page_id=?)');
    expect(db.prepare("SELECT flow_id FROM requests WHERE page_site = 'shop-a.test' AND time >= 0 AND time < 5000 ORDER BY time").pluck().all()).toEqual(['f-1', 'f-2']);
    expect(db.prepare('SELECT count(*) FROM requests WHERE page_id = 1').pluck().get()).toBe(2);
  } finally {
    db.close();
  }
});

test('a page that requests still use cannot be deleted; an unused one can', () => {
  const db = upgraded();
  try {
    expect(() => db.prepare('DELETE FROM pages WHERE id = 1').run()).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM requests WHERE page_id = 1').run();
    expect(db.prepare('DELETE FROM pages WHERE id = 1').run().changes).toBe(1);
  } finally {
    db.close();
  }
});
