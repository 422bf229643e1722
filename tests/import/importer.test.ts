import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PinauditError } from '../../src/errors.js';
import { HarImportError, IMPORT_REASON, importHar, type ImportOptions } from '../../src/import/index.js';
import { openQueries } from '../../src/store/queries.js';
import { chromiumEntry, harText, shopSession, T0, writeHarFile } from './har-fixtures.js';

let dir: string;
let opts: ImportOptions;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-import-'));
  opts = { file: join(dir, 'session.har'), dataDir: join(dir, 'data'), dbPath: join(dir, 'data', 'pinaudit.db'), label: 'laptop', now: T0 };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function read() {
  const q = openQueries(opts.dbPath);
  try {
    const all = { from: 0, to: T0 + 86_400_000 };
    return { rows: [...q.iterate()], totals: q.totals(), visited: q.sitesVisited(all) };
  } finally {
    q.close();
  }
}

async function importError(o: ImportOptions): Promise<HarImportError> {
  try {
    await importHar(o);
  } catch (err) {
    if (err instanceof HarImportError) return err;
    throw err;
  }
  throw new Error('expected the import to fail');
}

describe('importHar', () => {
  test('entries that are not HTTP requests (data:, blob:, wss:) are skipped and counted; the rest imports', async () => {
    const session = shopSession();
    const odd = ['data:image/png;base64,iVBORw0KGgo=', 'blob:https://shop.example/5f1c2d', 'wss://ws.pinterest.com/socket?tid=1'].map((url, i) =>
      chromiumEntry(url, { time: T0 + 50 + i }),
    );
    writeHarFile(opts.file, [session[0]!, ...odd, ...session.slice(1)]);
    const summary = await importHar(opts);
    expect(summary).toMatchObject({ entries: 8, skipped: 3, pinterest: 3, added: 3, other: 2 });
    expect(read().rows).toHaveLength(3);
  });

  test('Pinterest entries are classified and recorded as the proxy would; the rest count as visits', async () => {
    writeHarFile(opts.file, shopSession());
    const summary = await importHar(opts);
    expect(summary).toMatchObject({ entries: 5, pinterest: 3, added: 3, other: 2, sitesVisited: 1, visitsAlreadyCounted: false, stageErrors: 0 });
    const { rows, visited } = read();
    expect(rows.map((r) => [r.host, r.category, r.pageSite, r.attributedBy, r.leakLevel, r.outcome])).toEqual([
      ['ct.pinterest.com', 'tag', 'shop.example', 'tag-payload', 'full-url', 'response'],
      ['i.pinimg.com', 'content', 'shop.example', 'referer', 'origin', 'response'],
      ['log.pinterest.com', 'telemetry', 'shop.example', 'referer', 'origin', 'error'],
    ]);
    for (const r of rows) {
      expect(r).toMatchObject({ source: 'har', client: 'laptop', decision: 'allow', decisionReason: IMPORT_REASON, blockMode: null });
      expect(r.flowId).toMatch(/^har:[0-9a-f]{32}:\d+$/);
    }
    expect(rows[0]!.time).toBe(T0 + 100);
    expect(rows[0]!.loggedIn).toBe(true);
    expect(rows[0]!.identifiers.map((i) => i.name).sort()).toEqual(['_pinterest_ct_ua', '_pinterest_sess']);
    expect(rows[2]).toMatchObject({ errorKind: 'client-aborted', errorMessage: 'net::ERR_BLOCKED_BY_CLIENT' });
    expect(visited).toMatchObject({ visited: 1, attempted: 1, reached: 1, visitedAndReached: 1, sites: [{ site: 'shop.example', visits: 2, attemptedLeaks: 3, reachedLeaks: 3 }] });
    // The session cookie is kept only as a keyed fingerprint.
    expect(readFileSync(opts.dbPath).includes('secret-session')).toBe(false);
  });

  test('re-importing the same file adds nothing twice, whatever the label', async () => {
    writeHarFile(opts.file, shopSession());
    await importHar(opts);
    const before = read();
    const again = await importHar({ ...opts, label: 'other label' });
    expect(again).toMatchObject({ pinterest: 3, added: 0, visitsAlreadyCounted: true });
    const after = read();
    expect(after.rows).toEqual(before.rows);
    expect(after.totals).toEqual(before.totals);
    expect(after.visited).toEqual(before.visited);
  });

  test('a file without any Pinterest request counts its visits once, and again after purge --all', async () => {
    const others = shopSession().filter((e) => !/pinterest|pinimg/.test(JSON.stringify(e)));
    expect(others.length).toBeGreaterThan(0);
    writeHarFile(opts.file, others);
    const first = await importHar(opts);
    expect(first).toMatchObject({ pinterest: 0, visitsAlreadyCounted: false });
    const visits = read().visited;
    const again = await importHar(opts);
    expect(again.visitsAlreadyCounted).toBe(true);
    expect(read().visited).toEqual(visits);
    const { createStore } = await import('../../src/store/writer.js');
    const store = createStore({ path: opts.dbPath });
    store.purge({ all: true });
    store.close();
    expect((await importHar(opts)).visitsAlreadyCounted).toBe(false);
    expect(read().visited).toEqual(visits);
  });

  test('a truncated file: the error names the entry and its URL, the entries before it are kept', async () => {
    const text = harText(shopSession());
    const cut = text.indexOf('"https://i.pinimg.com/236x/ab/cd/ef.jpg"') + 60;
    writeFileSync(opts.file, text.slice(0, cut));
    const err = await importError(opts);
    expect(err.entry).toBe(2);
    expect(err.message).toContain('log.entries[2] (https://i.pinimg.com/236x/ab/cd/ef.jpg)');
    expect(err.message).toMatch(/truncated/);
    expect(err.message).toContain('the 2 entries before it were imported');
    expect(err.summary).toMatchObject({ entries: 2, pinterest: 1, added: 1 });
    expect(read().rows.map((r) => r.host)).toEqual(['ct.pinterest.com']);
    expect(read().visited.visited).toBe(1);
    // The whole file afterwards adds only what was missing.
    writeFileSync(opts.file, text);
    expect(await importHar(opts)).toMatchObject({ pinterest: 3, added: 2 });
    expect(read().rows).toHaveLength(3);
  });

  test('an entry that is not a usable HAR entry stops the import there, naming it', async () => {
    const entries = shopSession();
    entries.splice(3, 0, { startedDateTime: new Date(T0).toISOString(), request: { method: 'GET', url: 'https://ct.pinterest.com/bad', headers: 'nope' } });
    writeHarFile(opts.file, entries);
    const err = await importError(opts);
    expect(err.entry).toBe(3);
    expect(err.message).toContain('log.entries[3] (https://ct.pinterest.com/bad): request.headers is not a list');
    expect(read().rows).toHaveLength(2);
  });

  test('a syntax error inside an entry names it', async () => {
    const text = harText(shopSession(), false).replace('"_priority":"Low"', '"_priority":Low');
    writeFileSync(opts.file, text);
    const err = await importError(opts);
    expect(err.entry).toBe(0);
    expect(err.message).toMatch(/log\.entries\[0\] \(https:\/\/shop\.example\/products\/42\?color=blue\)|log\.entries\[0\]: unexpected "Low"/);
    expect(err.message).toMatch(/\(at byte \d+\)/);
  });

  test('a missing file is a FILE_UNREADABLE error and creates nothing', async () => {
    await expect(importHar(opts)).rejects.toSatisfy((e: unknown) => e instanceof PinauditError && e.code === 'FILE_UNREADABLE');
  });

  test('old entries are counted against the retention period', async () => {
    writeHarFile(opts.file, shopSession(T0 - 100 * 86_400_000));
    expect(await importHar(opts)).toMatchObject({ pinterest: 3, beyondRetention: 3, retentionDays: 90 });
  });

  test('plain-HTTP page loads feed recent-navigation attribution, as in the proxy', async () => {
    writeHarFile(opts.file, [
      chromiumEntry('http://blog.example/post/7', { headers: { Accept: 'text/html' } }),
      chromiumEntry('https://ct.pinterest.com/v3/?tid=2612345678901', { time: T0 + 500 }),
    ]);
    await importHar(opts);
    const [row] = read().rows;
    expect(row).toMatchObject({ pageSite: 'blog.example', pageUrl: 'http://blog.example/post/7', attributedBy: 'recent-navigation', confidence: 'low' });
  });
});
