/**
 * 014 keeps the flow-id index of `requests` for labelled requests only (a crawl's browser labels its
 * traffic with a proxy user name). Requests crawls filed before it are labelled by the upgrade, the
 * crawl joins still find them through the index, and the writer labels new rows from the flow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createStore } from '../../src/store/writer.js';
import { createCrawlQueries } from '../../src/store/crawl-queries.js';
import { indexEntries, migrationsUpTo } from '../helpers/migrations.js';
import { makeFlow } from '../helpers/findings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-014-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Four requests as 013 stored them; a crawl filed two of them. */
function seed013(path: string): void {
  const { db } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 13) });
  const insert = db.prepare(`INSERT INTO requests (flow_id, time, client, source, method, host, path)
    VALUES (?, ?, '127.0.0.1', 'proxy', 'GET', 'ct.pinterest.com', '/v3/')`);
  ['own-1', 'crawl-1', 'own-2', 'crawl-2'].forEach((flow, i) => insert.run(flow, 1000 + i));
  db.prepare("INSERT INTO crawls (id, key, options, created_at) VALUES (1, 'k', '{}', 1000)").run();
  db.prepare("INSERT INTO crawl_sites (id, crawl_id, position, input, url, site) VALUES (1, 1, 0, 'shop-a.test', 'https://shop-a.test/', 'shop-a.test')").run();
  const file = db.prepare("INSERT INTO crawl_requests (flow_id, crawl_site_id, mode, page_index, crawl_page, before_interaction) VALUES (?, 1, 'off', 0, 'https://shop-a.test/', 1)");
  file.run('crawl-1');
  file.run('crawl-2');
  db.close();
}


function upgraded(): Database {
  const path = join(dir, 'a.db');
  seed013(path);
  const { db, migrations } = openDatabase(path, { migrationsDir: migrationsUpTo(dir, 14) });
  expect(migrations.applied).toEqual(['014-labelled-flows.sql']);
  return db;
}

test('014 labels the requests a crawl filed, and indexes only those by flow id', () => {
  const db = upgraded();
  try {
    expect(db.prepare('SELECT flow_id FROM requests WHERE labelled = 1 ORDER BY id').pluck().all()).toEqual(['crawl-1', 'crawl-2']);
    expect(indexEntries(db, 'requests_flow')).toBe(2);
  } finally {
    db.close();
  }
});

test("a crawl's requests are still found by flow id through the index", () => {
  const db = upgraded();
  try {
    const join = `SELECT r.id FROM crawl_requests cr JOIN requests r ON r.flow_id = cr.flow_id AND r.labelled = 1 WHERE cr.crawl_site_id = 1`;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${join}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan).toMatch(/SEARCH r USING (COVERING )?INDEX requests_flow \(flow_id=\?\)/);
    expect(db.prepare(join).pluck().all()).toEqual([2, 4]);
  } finally {
    db.close();
  }
});

test("every crawl query that joins requests by flow id uses the index, never a scan of requests", () => {
  const db = upgraded();
  try {
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    createCrawlQueries(db);
    db.prepare = prepare;
    const joins = prepared.filter((sql) => /requests r2? ON r2?\.flow_id/.test(sql));
    expect(joins.length).toBeGreaterThanOrEqual(3);
    for (const sql of joins) {
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan.filter((d) => / r2? USING .*INDEX requests_flow/.test(d)).length, plan.join('; ')).toBeGreaterThan(0);
      expect(plan.filter((d) => /^SCAN r2?\b/.test(d)), plan.join('; ')).toEqual([]);
    }
  } finally {
    db.close();
  }
});

test('the writer labels the rows of traffic labelled with a proxy user name, and only those', () => {
  const path = join(dir, 'w.db');
  const store = createStore({ path, retentionDays: null });
  store.record(makeFlow({ observation: { id: 'crawl-3', proxyUser: 's1-a1-off' } }));
  store.record(makeFlow({ observation: { id: 'own-3' } }));
  store.close();
  const { db } = openDatabase(path);
  try {
    expect(db.prepare('SELECT flow_id, labelled FROM requests ORDER BY id').all()).toEqual([
      { flow_id: 'crawl-3', labelled: 1 },
      { flow_id: 'own-3', labelled: 0 },
    ]);
    expect(indexEntries(db, 'requests_flow')).toBe(1);
  } finally {
    db.close();
  }
});
