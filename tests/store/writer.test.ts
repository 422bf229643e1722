import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Pipeline } from '../../src/pipeline.js';
import { openRawConnection, type Database } from '../../src/store/db.js';
import { openQueries } from '../../src/store/queries.js';
import { createStore, recordStage, type Store, type StoreOptions } from '../../src/store/writer.js';
import { prepareWriteStatements } from '../../src/store/write-batch.js';
import { makeFlow, makeTag, nextFlowId } from '../helpers/findings.js';

let dir: string;
let stores: Store[];
let raws: Database[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-writer-'));
  stores = [];
  raws = [];
});
afterEach(() => {
  for (const r of raws) if (r.open) r.close();
  for (const s of stores) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(options: Partial<StoreOptions> = {}): Store {
  // The factories' fixed 2025 times would be pruned by the default 90-day retention.
  const store = createStore({ path: join(dir, 'p.db'), retentionDays: null, ...options });
  stores.push(store);
  return store;
}

function reader(): Database {
  const db = openRawConnection(join(dir, 'p.db'));
  raws.push(db);
  return db;
}

const count = (db: Database, sql = 'SELECT count(*) FROM requests'): number => db.prepare(sql).pluck().get() as number;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('writer', () => {
  test('queues without writing, then writes every row after the flush interval', async () => {
    const store = open({ flushIntervalMs: 50 });
    const db = reader();
    for (let i = 0; i < 120; i++) store.record(makeFlow());
    expect(count(db)).toBe(0);
    expect(store.health().pending).toBe(120);
    await sleep(200);
    expect(count(db)).toBe(120);
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
  });

  test('a full batch is written without waiting for the interval', async () => {
    const store = open({ flushIntervalMs: 60_000, maxBatch: 10 });
    const db = reader();
    for (let i = 0; i < 25; i++) store.record(makeFlow());
    await sleep(20);
    expect(count(db)).toBe(25);
  });

  test('a flow and its completion count once towards a full batch', async () => {
    const store = open({ flushIntervalMs: 60_000, maxBatch: 10 });
    const db = reader();
    const flows = Array.from({ length: 10 }, () => makeFlow());
    for (const f of flows.slice(0, 6)) {
      store.record(f);
      store.complete(f, { kind: 'response', status: 200, bytes: 1 });
    }
    await sleep(20);
    expect(count(db)).toBe(0);
    for (const f of flows.slice(6)) store.record(f);
    await sleep(20);
    expect(count(db, "SELECT count(*) FROM requests WHERE outcome = 'response'")).toBe(6);
    expect(count(db)).toBe(10);
  });

  test('close flushes everything: N recorded, N rows', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const flows = Array.from({ length: 1000 }, () => makeFlow());
    for (const f of flows) store.record(f);
    for (const f of flows.slice(0, 500)) store.complete(f, { kind: 'response', status: 200, bytes: 10 });
    expect(store.close()).toEqual({ pending: 0, lastError: null, dropped: 0 });
    const db = reader();
    expect(count(db)).toBe(1000);
    expect(count(db, "SELECT count(*) FROM requests WHERE outcome = 'response'")).toBe(500);
  });

  test.each([
    ['after its row was written', 'after'],
    ['in the same batch as its insert', 'same'],
    ['before the flow was recorded', 'before'],
  ])('a completion %s lands on the row', (_label, when) => {
    const store = open({ flushIntervalMs: 60_000 });
    const flow = makeFlow();
    const outcome = { kind: 'error', error: 'refused', message: 'connect ECONNREFUSED 127.0.0.1:9' } as const;
    if (when === 'before') {
      store.complete(flow, outcome);
      store.flush();
    }
    store.record(flow);
    if (when === 'after') store.flush();
    if (when !== 'before') store.complete(flow, outcome);
    store.flush();
    const row = reader().prepare('SELECT outcome, error_kind, error_message, completed_at FROM requests').all();
    expect(row).toEqual([
      { outcome: 'error', error_kind: 'refused', error_message: outcome.message, completed_at: expect.any(Number) },
    ]);
  });

  test('exactly one row per flow, and one outcome', () => {
    const store = open();
    const flow = makeFlow();
    store.record(flow);
    store.record(flow);
    store.flush();
    store.record(flow);
    store.complete(flow, { kind: 'blocked', status: 204 });
    store.complete(flow, { kind: 'response', status: 200, bytes: 1 });
    store.flush();
    const rows = reader().prepare('SELECT outcome, status FROM requests').all();
    expect(rows).toEqual([{ outcome: 'blocked', status: 204 }]);
  });

  test('the insert writes every column of a request row but its id', () => {
    const db = reader();
    open().flush();
    const insert = prepareWriteStatements(db).insertRequest.source;
    const listed = /INSERT INTO requests \(([^)]*)\)/.exec(insert)?.[1]?.split(',').map((c) => c.trim());
    const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('requests') as string[]).filter((c) => c !== 'id');
    expect(listed?.slice().sort()).toEqual(columns.sort());
    expect(new Set(listed).size).toBe(listed?.length);
  });

  test('texts that run together the same way stay apart: identifiers and roll-up keys', () => {
    const store = open();
    // Joined with a NUL these would read alike: "x\0tracking-id\0y\0tracking-id\0z".
    const tricky = makeFlow({
      finding: {
        tag: makeTag({ id: '26\u00001', event: 'pagevisit' }),
        identifiers: [
          { name: 'x', kind: 'tracking-id', source: 'query', value: 'y\u0000tracking-id\u0000z' },
          { name: 'x\u0000tracking-id\u0000y', kind: 'tracking-id', source: 'query', value: 'z' },
        ],
      },
    });
    store.record(tricky);
    store.record(makeFlow({ finding: { tag: makeTag({ id: '26', event: '1\u0000pagevisit' }) } }));
    store.flush();
    const db = reader();
    expect(count(db, "SELECT count(*) FROM identifiers WHERE name LIKE 'x%'")).toBe(2);
    const linked = "SELECT count(DISTINCT l.identifier_id) FROM request_identifiers l JOIN identifiers i ON i.id = l.identifier_id WHERE i.name LIKE 'x%'";
    expect(count(db, linked)).toBe(2);
    const details = db.prepare('SELECT tag_id, tag_event, requests FROM site_detail_days ORDER BY tag_id').all();
    expect(details).toEqual([
      { tag_id: '26', tag_event: '1\u0000pagevisit', requests: 1 },
      { tag_id: '26\u00001', tag_event: 'pagevisit', requests: 1 },
    ]);
  });

  test('re-importing the same HAR entries adds nothing twice', () => {
    const har = (id: string) => makeFlow({ observation: { id, source: 'har', client: 'import-a' } });
    const first = open();
    first.record(har('har:abc:1'));
    first.record(har('har:abc:2'));
    first.close();
    const second = open();
    const again = har('har:abc:1');
    second.record(again);
    second.record(har('har:abc:3'));
    second.complete(again, { kind: 'response', status: 200, bytes: 3 });
    second.flush();
    const db = reader();
    expect(count(db)).toBe(3);
    expect(count(db, 'SELECT sum(requests) FROM daily_rollup')).toBe(3);
  });

  test('stores the finding, the decision, identifiers, line items and the page', () => {
    const store = open();
    const flow = makeFlow({
      observation: { url: 'https://ct.pinterest.com/v3/?tid=2612345678901&pd=%7B%22em%22%3A%22x%22%7D' },
      finding: {
        tag: makeTag({
          event: 'checkout',
          value: 59.9,
          currency: 'EUR',
          orderId: 'A-17',
          hashedEmail: { value: 'a'.repeat(64), algo: 'sha256' },
          lineItems: [{ id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 2 }],
        }),
        identifiers: [
          { name: '_pin_unauth', kind: 'tracking-id', source: 'cookie', value: 'dWlkPU5qZz' },
          { name: 'epik', kind: 'click-id', source: 'query', value: 'dj0yJnU9' },
          { name: 'pd.em', kind: 'hashed-email', source: 'query', value: 'a'.repeat(64) },
        ],
      },
      decision: {
        action: 'strip', reason: 'strip mode', stripped: ['cookie', 'referer'],
        prevented: { identifiers: [{ name: '_pin_unauth', source: 'cookie' }], page: true },
      },
    });
    store.record(flow);
    store.flush();
    const db = reader();
    const row = db.prepare('SELECT * FROM requests').get() as Record<string, unknown>;
    expect(row).toMatchObject({
      path: '/v3/',
      category: 'tag',
      third_party: 1,
      page_site: 'shop.example',
      attributed_by: 'referer',
      leak_level: 'full-url',
      tag_event: 'checkout',
      tag_value: 59.9,
      tag_currency: 'EUR',
      tag_order_id: 'A-17',
      hashed_email: 1,
      hashed_email_algo: 'sha256',
      decision: 'strip',
      stripped: '["cookie","referer"]',
      block_mode: 'off',
      ids_attempted: 3,
      ids_prevented: 1,
      page_prevented: 1,
      attempted: 1,
      reached: 1,
      page_reached: 0,
      hashed_email_reached: 1,
    });
    const texts = db.prepare('SELECT id, text FROM reason_texts').all() as Array<{ id: number; text: string }>;
    const byId = new Map(texts.map((t) => [t.id, t.text]));
    expect((JSON.parse(row.reason_ids as string) as number[]).map((id) => byId.get(id))).toEqual(flow.finding?.reasons);
    expect(db.prepare('SELECT url FROM pages').pluck().all()).toEqual(['https://shop.example/products/42']);
    // The store copies what the policy said it prevented; it does not work it out again.
    expect(db.prepare('SELECT i.name, ri.source, ri.prevented FROM request_identifiers ri JOIN identifiers i ON i.id = ri.identifier_id ORDER BY i.name').all())
      .toEqual([
        { name: '_pin_unauth', source: 'cookie', prevented: 1 },
        { name: 'epik', source: 'query', prevented: 0 },
        { name: 'pd.em', source: 'query', prevented: 0 },
      ]);
    expect(db.prepare('SELECT item_id, name, price, quantity FROM purchase_items').all()).toEqual([
      { item_id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 2 },
    ]);
  });

  test('a sentence shared by requests is stored once; each request reads its own reasons back, in order', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const lists = [
      ['Referer names the page: https://shop.example/a.', 'Third party.'],
      ['Third party.', 'Referer names the page: https://shop.example/a.'],
      [],
      ['Third party.', 'Tag id 26 names the advertiser; event `pagevisit`.', 'Third party.'],
    ];
    // Out of order in the first batch: a sentence keeps its newest time, not its last written.
    const flows = lists.map((reasons, i) => makeFlow({ observation: { time: Date.UTC(2025, 5, 10, 12, 0, [3, 1, 2, 4][i]) }, finding: { reasons } }));
    store.record(flows[0]!);
    store.record(flows[1]!);
    store.flush();
    // The next batch finds the sentences the first one stored.
    store.record(flows[2]!);
    store.record(flows[3]!);
    store.flush();
    const db = reader();
    expect(count(db, 'SELECT count(*) FROM reason_texts')).toBe(3);
    // Each sentence remembers its newest request, across batches: retention removes it after that one.
    const lastUsed = Object.fromEntries(db.prepare('SELECT text, last_used FROM reason_texts').raw().all() as Array<[string, number]>);
    const at = (i: number): number => flows[i]!.observation.time;
    expect(lastUsed).toEqual({
      'Referer names the page: https://shop.example/a.': Math.max(at(0), at(1)),
      'Third party.': Math.max(at(0), at(1), at(3)),
      'Tag id 26 names the advertiser; event `pagevisit`.': at(3),
    });
    const queries = openQueries(join(dir, 'p.db'));
    try {
      const rows = queries.requests({}, { limit: 10 }).rows;
      const byFlow = new Map(rows.map((r) => [r.flowId, r.reasons]));
      expect(flows.map((f) => byFlow.get(f.observation.id))).toEqual(lists);
    } finally {
      queries.close();
    }
  });

  test('a batch that failed after adding sentences leaves no ids behind: the retry adds them again', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const db = reader();
    // Fails at the end of the batch, after the sentences and the request row were written.
    db.exec(`CREATE TRIGGER fail_tunnels BEFORE INSERT ON tunnel_days BEGIN SELECT RAISE(ABORT, 'disk is full'); END`);
    store.record(makeFlow({ finding: { reasons: ['Only this.'] } }));
    store.visit({ time: Date.now(), client: '127.0.0.1', host: 'shop.example', site: 'shop.example', url: null });
    store.flush();
    expect(store.health().lastError).toMatch(/disk is full/);
    expect(count(db, 'SELECT count(*) FROM reason_texts')).toBe(0);
    db.exec('DROP TRIGGER fail_tunnels');
    store.flush();
    expect(store.health().lastError).toBeNull();
    const ids = JSON.parse(db.prepare('SELECT reason_ids FROM requests').pluck().get() as string) as number[];
    expect(ids.map((id) => db.prepare('SELECT text FROM reason_texts WHERE id = ?').pluck().get(id))).toEqual(['Only this.']);
  });

  test('a flow the classifier failed on is still recorded, with category null', () => {
    const store = open();
    const pipeline = new Pipeline(
      [
        { name: 'classify', request() { throw new Error('boom'); } },
        recordStage(store),
      ],
      () => undefined,
    );
    const flow = pipeline.request(makeFlow().observation);
    pipeline.complete(flow, { kind: 'response', status: 200, bytes: 7 });
    pipeline.tunnel({ client: '127.0.0.1', host: 'www.bank.example', site: 'bank.example', url: null, time: Date.now() });
    store.flush();
    const db = reader();
    expect(db.prepare('SELECT category, third_party, decision, outcome FROM requests').all()).toEqual([
      { category: null, third_party: null, decision: null, outcome: 'response' },
    ]);
    expect(db.prepare('SELECT site, count FROM tunnel_days').all()).toEqual([{ site: 'bank.example', count: 1 }]);
  });

  test('tunnels are counted per day and site only, and not at all when counting is off', () => {
    const day = Date.UTC(2025, 5, 10, 12);
    const on = open();
    for (let i = 0; i < 3; i++) on.tunnel({ client: '10.0.0.2', host: `h${i}.news.example`, site: 'news.example', url: null, time: day + i });
    on.tunnel({ client: '10.0.0.2', host: '192.0.2.1', site: null, url: null, time: day });
    on.close();
    const db = reader();
    expect(db.prepare('SELECT * FROM tunnel_days').all()).toEqual([{ day: '2025-06-10', site: 'news.example', count: 3 }]);
    const off = open({ countTunnels: false });
    off.tunnel({ client: 'x', host: 'a.example', site: 'a.example', url: null, time: day });
    off.flush();
    off.settings.set({ tunnelCounting: false });
    off.close();
    const stored = open();
    stored.tunnel({ client: 'x', host: 'b.example', site: 'b.example', url: null, time: day });
    stored.flush();
    expect(count(db, 'SELECT count(*) FROM tunnel_days')).toBe(1);
  });

  test('settings survive a restart and are validated', () => {
    const a = open();
    a.settings.set({ blockMode: 'trackers', exceptions: ['myblog.example'], retentionDays: 30 });
    expect(() => a.settings.set({ blockMode: 'everything' as never })).toThrow(/blockMode/);
    a.close();
    const b = open();
    expect(b.settings.get()).toEqual({ blockMode: 'trackers', exceptions: ['myblog.example'], retentionDays: 30, tunnelCounting: true });
    b.record(makeFlow());
    b.flush();
    expect(reader().prepare('SELECT block_mode FROM requests').pluck().get()).toBe('trackers');
  });

  test('a failing flush keeps its rows and succeeds once the lock is gone', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const locker = reader();
    locker.exec('BEGIN EXCLUSIVE');
    const flows = Array.from({ length: 40 }, () => makeFlow());
    for (const f of flows) store.record(f);
    store.complete(flows[0]!, { kind: 'response', status: 200, bytes: 1 });
    store.flush();
    expect(store.health()).toMatchObject({ pending: 41, dropped: 0 });
    expect(store.health().lastError).toMatch(/locked|busy/i);
    locker.exec('ROLLBACK');
    store.flush();
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
    expect(count(locker)).toBe(40);
    expect(count(locker, "SELECT count(*) FROM requests WHERE outcome = 'response'")).toBe(1);
  });

  test('an outcome that came before its flow keeps its place through a failed flush', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const locker = reader();
    const flow = makeFlow();
    store.complete(flow, { kind: 'blocked', status: 204 });
    store.record(flow);
    expect(store.health().pending).toBe(2);
    locker.exec('BEGIN EXCLUSIVE');
    store.flush();
    expect(store.health()).toMatchObject({ pending: 2, dropped: 0 });
    locker.exec('ROLLBACK');
    store.flush();
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
    expect(locker.prepare('SELECT outcome, status FROM requests').all()).toEqual([{ outcome: 'blocked', status: 204 }]);
  });

  test('an outcome that came before its flow lands on the row even when the row is written first', () => {
    const store = open({ flushIntervalMs: 60_000 });
    const locker = reader();
    // More outcomes than one flush resolves, of flows never recorded, ahead of the one that matters.
    for (let i = 0; i < 2_000; i++) store.complete(makeFlow(), { kind: 'response', status: 200, bytes: 1 });
    const flow = makeFlow();
    store.complete(flow, { kind: 'blocked', status: 204 });
    store.record(flow);
    store.flush();
    expect(locker.prepare('SELECT outcome FROM requests').pluck().all()).toEqual([null]);
    // The next flush makes it an update; when that flush fails, the retry still finds the row.
    locker.exec('BEGIN EXCLUSIVE');
    store.flush();
    expect(store.health().lastError).toMatch(/locked|busy/i);
    locker.exec('ROLLBACK');
    store.flush();
    expect(locker.prepare('SELECT outcome, status FROM requests').all()).toEqual([{ outcome: 'blocked', status: 204 }]);
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
  });

  test('every written row waiting for its outcome gets it, however many wait', () => {
    const store = open({ flushIntervalMs: 60_000, maxPending: 2 });
    const flows = Array.from({ length: 10 }, () => makeFlow());
    for (const [i, f] of flows.entries()) {
      store.record(f);
      if (i % 2 === 1) store.flush();
    }
    for (const f of flows) {
      store.complete(f, { kind: 'response', status: 200, bytes: 1 });
      store.flush();
    }
    expect(count(reader(), "SELECT count(*) FROM requests WHERE outcome = 'response'")).toBe(10);
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
  });

  test('one flow recorded by two stores gets its row and its outcome in each', () => {
    const a = open({ flushIntervalMs: 60_000 });
    const b = open({ flushIntervalMs: 60_000, path: join(dir, 'b.db') });
    const flow = makeFlow();
    a.record(flow);
    a.flush();
    b.record(flow);
    a.record(flow);
    b.complete(flow, { kind: 'blocked', status: 204 });
    a.complete(flow, { kind: 'response', status: 200, bytes: 1 });
    a.flush();
    b.flush();
    expect(reader().prepare('SELECT outcome FROM requests').pluck().all()).toEqual(['response']);
    const other = openRawConnection(join(dir, 'b.db'));
    raws.push(other);
    expect(other.prepare('SELECT outcome FROM requests').pluck().all()).toEqual(['blocked']);
  });

  test('the timer retries a failed flush on its own', async () => {
    const store = open({ flushIntervalMs: 30 });
    const locker = reader();
    locker.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 5; i++) store.record(makeFlow());
    await sleep(120);
    expect(store.health().pending).toBe(5);
    locker.exec('ROLLBACK');
    await sleep(150);
    expect(store.health()).toEqual({ pending: 0, lastError: null, dropped: 0 });
    expect(count(locker)).toBe(5);
  });

  test('beyond maxPending new rows are dropped and counted', () => {
    const store = open({ flushIntervalMs: 60_000, maxPending: 5 });
    const locker = reader();
    locker.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 8; i++) store.record(makeFlow({ observation: { id: nextFlowId() } }));
    store.flush();
    expect(store.health()).toMatchObject({ pending: 5, dropped: 3 });
    locker.exec('ROLLBACK');
  });
});
