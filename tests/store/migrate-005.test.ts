import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { migrationsUpTo } from '../helpers/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-005-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = (day: number, hour: number): number => new Date(2025, 5, day, hour).getTime();

/**
 * A database as 004 left it: raw rows on 11 June (an allow, a strip and a block, with identifier
 * links, written the old way: page_prevented 0 on the strip although it listed the Referer), and a
 * pruned day (10 June) that only has its roll-up.
 */
function seed004(path: string): void {
  const upTo004 = migrationsUpTo(dir, 4);
  const { db } = openDatabase(path, { migrationsDir: upTo004 });
  db.prepare("INSERT INTO pages (id, url, site, first_seen, last_seen) VALUES (1, 'https://shop.example/p/1', 'shop.example', 0, 0)").run();
  db.prepare("INSERT INTO pages (id, url, site, first_seen, last_seen) VALUES (2, 'https://shop.example/', 'shop.example', 0, 0)").run();
  db.prepare("INSERT INTO identifiers (id, name, kind, value, first_seen, last_seen) VALUES (1, '_pinterest_ct_ua', 'tracking-id', 'U1', 0, 0), (2, 'epik', 'click-id', 'E1', 0, 0)").run();
  const put = db.prepare(
    `INSERT INTO requests (id, flow_id, time, client, source, method, host, path, category, third_party, page_site, page_id,
       attributed_by, leak_level, decision, stripped, block_mode)
     VALUES (?, ?, ?, 'c', 'proxy', 'GET', 'ct.pinterest.com', '/v3/', 'tag', 1, 'shop.example', ?, 'referer', ?, ?, ?, ?)`,
  );
  put.run(1, 'a', at(11, 9), 1, 'full-url', 'allow', '[]', 'off');
  put.run(2, 'b', at(11, 10), 1, 'full-url', 'strip', '["cookie","referer"]', 'strip');
  put.run(3, 'c', at(11, 11), 2, 'origin', 'block', '[]', 'all');
  const link = db.prepare("INSERT INTO request_identifiers (request_id, identifier_id, source) VALUES (?, ?, ?)");
  link.run(1, 1, 'cookie');
  link.run(2, 1, 'cookie');
  link.run(2, 2, 'query');
  link.run(3, 1, 'cookie');
  db.prepare(
    `INSERT INTO daily_rollup (day, page_site, category, decision, mode, requests, third_party, leaks, full_url, first_time, last_time)
     VALUES ('2025-06-10', 'shop.example', 'tag', ?, 'x', ?, ?, ?, ?, 1, 2)`,
  ).run('allow', 5, 5, 4, 4);
  db.prepare(
    `INSERT INTO daily_rollup (day, page_site, category, decision, mode, requests, third_party, leaks, full_url, first_time, last_time)
     VALUES ('2025-06-10', 'shop.example', 'tag', ?, 'x', ?, ?, ?, ?, 1, 2)`,
  ).run('block', 3, 3, 3, 3);
  db.close();
}

test('005 works out what reached Pinterest for stored rows, and what the old roll-ups allow for pruned days', () => {
  const path = join(dir, 'a.db');
  seed004(path);
  const { db, migrations } = openDatabase(path);
  try {
    expect(migrations.applied).toContain('005-attempted-reached.sql');
    expect(db.prepare('SELECT id, ids_attempted, ids_prevented, page_prevented, attempted, reached, page_reached FROM requests ORDER BY id').all()).toEqual([
      { id: 1, ids_attempted: 1, ids_prevented: 0, page_prevented: 0, attempted: 1, reached: 1, page_reached: 1 },
      // The strip listed cookie and referer: the cookie identifier and the page were prevented; epik reached.
      { id: 2, ids_attempted: 2, ids_prevented: 1, page_prevented: 1, attempted: 1, reached: 1, page_reached: 0 },
      { id: 3, ids_attempted: 1, ids_prevented: 1, page_prevented: 1, attempted: 1, reached: 0, page_reached: 0 },
    ]);
    expect(db.prepare('SELECT request_id, identifier_id, prevented FROM request_identifiers ORDER BY 1, 2').all()).toEqual([
      { request_id: 1, identifier_id: 1, prevented: 0 },
      { request_id: 2, identifier_id: 1, prevented: 1 },
      { request_id: 2, identifier_id: 2, prevented: 0 },
      { request_id: 3, identifier_id: 1, prevented: 1 },
    ]);
    expect(db.prepare('SELECT day, decision, requests, attempted, reached, full_url, full_url_reached FROM daily_totals ORDER BY day, decision').all()).toEqual([
      // Pruned day: allowed leaks reached, blocked ones did not.
      { day: '2025-06-10', decision: 'allow', requests: 5, attempted: 4, reached: 4, full_url: 4, full_url_reached: 4 },
      { day: '2025-06-10', decision: 'block', requests: 3, attempted: 3, reached: 0, full_url: 3, full_url_reached: 0 },
      { day: '2025-06-11', decision: 'allow', requests: 1, attempted: 1, reached: 1, full_url: 1, full_url_reached: 1 },
      { day: '2025-06-11', decision: 'block', requests: 1, attempted: 1, reached: 0, full_url: 0, full_url_reached: 0 },
      { day: '2025-06-11', decision: 'strip', requests: 1, attempted: 1, reached: 1, full_url: 1, full_url_reached: 0 },
    ]);
    expect(db.prepare('SELECT day, site, attempted, reached FROM site_days ORDER BY day').all()).toEqual([
      { day: '2025-06-10', site: 'shop.example', attempted: 7, reached: 4 },
      { day: '2025-06-11', site: 'shop.example', attempted: 3, reached: 2 },
    ]);
    // Pages are full URLs only: the origin-only page 2 is not in page_days.
    expect(db.prepare('SELECT page_id, requests, reached FROM page_days ORDER BY page_id').all()).toEqual([{ page_id: 1, requests: 2, reached: 1 }]);
    expect(db.prepare('SELECT identifier_id, requests, reached FROM identifier_days ORDER BY identifier_id').all()).toEqual([
      { identifier_id: 1, requests: 3, reached: 1 },
      { identifier_id: 2, requests: 1, reached: 1 },
    ]);
  } finally {
    db.close();
  }
});
