import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDatabase, openRawConnection, type Database } from '../../src/store/db.js';
import { openQueries } from '../../src/store/queries.js';
import { purge } from '../../src/store/retention.js';
import { createStore } from '../../src/store/writer.js';
import { makeFlow } from '../helpers/findings.js';

const at = (day: number, hour = 12): number => new Date(2025, 5, day, hour).getTime();
const OLD_ONLY = { name: '_pin_unauth', kind: 'tracking-id', source: 'cookie', value: 'only-on-day-1' } as const;
const EVERY_DAY = { name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'every-day' } as const;

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-retention-'));
  path = join(dir, 'r.db');
  // One request per day on 1–5 June; the first day's carries an identifier nobody else sent.
  const store = createStore({ path, retentionDays: null });
  for (let day = 1; day <= 5; day++) {
    store.record(makeFlow({
      observation: { time: at(day) },
      finding: {
        page: { site: 'shop.example', url: `https://shop.example/day-${day}-page`, attributedBy: 'referer', confidence: 'high' },
        identifiers: day === 1 ? [OLD_ONLY, EVERY_DAY] : [EVERY_DAY],
        // A sentence of its own naming the page, and one every request shares.
        reasons: [`Referer names https://shop.example/day-${day}-page.`, 'Third party.'],
      },
    }));
    store.tunnel({ client: 'c', host: 'www.news.example', site: 'news.example', url: null, time: at(day) });
  }
  store.settings.set({ blockMode: 'strip' });
  store.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const count = (db: Database, table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('retention', () => {
  test('prunes raw rows older than N days on open, keeps the roll-ups, cleans links, orphans and unused reason sentences', () => {
    const store = createStore({ path, retentionDays: 2, now: () => at(5, 15) });
    const db = openRawConnection(path);
    try {
      // Cut-off is local midnight starting 3 June.
      expect(db.prepare('SELECT time FROM requests ORDER BY time').pluck().all()).toEqual([at(3), at(4), at(5)]);
      expect(db.prepare('SELECT value FROM identifiers').pluck().all()).toEqual(['every-day']);
      expect(db.prepare('SELECT url FROM pages ORDER BY url').pluck().all()).toEqual([
        'https://shop.example/day-3-page', 'https://shop.example/day-4-page', 'https://shop.example/day-5-page',
      ]);
      expect(count(db, 'request_identifiers')).toBe(3);
      expect(db.prepare('SELECT text FROM reason_texts ORDER BY text').pluck().all()).toEqual([
        'Referer names https://shop.example/day-3-page.', 'Referer names https://shop.example/day-4-page.',
        'Referer names https://shop.example/day-5-page.', 'Third party.',
      ]);
      expect(db.prepare('SELECT min(day) FROM identifier_days').pluck().get()).toBe('2025-06-03');
      expect(db.prepare('SELECT sum(requests) FROM daily_rollup').pluck().get()).toBe(5);
      expect(count(db, 'tunnel_days')).toBe(5);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
      store.close();
    }
    const q = openQueries(path);
    // Overview counts still cover the pruned days (from the roll-ups); raw lists do not.
    expect(q.totals({}).requests).toBe(5);
    expect(q.requests({}).total).toBe(3);
    q.close();
  });

  test('the stored retention setting is used when no override is given', () => {
    const first = createStore({ path, retentionDays: null });
    first.settings.set({ retentionDays: 1 });
    first.close();
    const store = createStore({ path, now: () => at(5, 15) });
    const report = store.prune();
    store.close();
    expect(report?.cutoff).toBe(at(4, 0));
    const db = openRawConnection(path);
    expect(count(db, 'requests')).toBe(2);
    db.close();
  });

  test('purge before a date removes roll-ups and tunnel counts too, keeps settings', () => {
    const { db } = openDatabase(path);
    const report = purge(db, { before: new Date(2025, 5, 3) });
    expect(report).toMatchObject({ requests: 2, identifiers: 1, pages: 2, rollups: 2, tunnels: 2 });
    expect(db.prepare('SELECT min(day) FROM daily_rollup').pluck().get()).toBe('2025-06-03');
    expect(db.prepare("SELECT value FROM settings WHERE key = 'block_mode'").pluck().get()).toBe('"strip"');
    db.close();
  });

  test('the store purges on its own connection after flushing what it queued', () => {
    const store = createStore({ path, retentionDays: null });
    store.record(makeFlow({ observation: { time: at(6) } }));
    expect(store.purge({ before: new Date(2025, 5, 6) })).toMatchObject({ requests: 5 });
    store.close();
    const db = openRawConnection(path);
    expect(db.prepare('SELECT time FROM requests').pluck().all()).toEqual([at(6)]);
    db.close();
  });

  test('purge --all leaves no trace of a page URL in the files', () => {
    const before = readFileSync(path);
    expect(before.includes('day-1-page')).toBe(true);
    const { db } = openDatabase(path);
    expect(purge(db, { all: true })).toMatchObject({ requests: 5, identifiers: 2, pages: 5, rollups: 5, tunnels: 5 });
    for (const t of ['requests', 'identifiers', 'pages', 'reason_texts', 'daily_rollup', 'tunnel_days', 'identifier_days', 'page_days']) {
      expect(count(db, t)).toBe(0);
    }
    const bytes = Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
    expect(bytes.includes('day-1-page')).toBe(false);
    expect(bytes.includes('only-on-day-1')).toBe(false);
    db.close();
  });
});
