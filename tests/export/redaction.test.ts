/**
 * A redacted export holds none of what it redacts: real requests through the real classifier and
 * store, exported with redaction, and the whole file searched for every identifier value, click id,
 * order id, hashed e-mail and credential fingerprint the database holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildObservation, classify, createFingerprinter } from '../../src/classify/index.js';
import { csvChunks, redactUrl } from '../../src/export/csv.js';
import { makePolicySettings, policyStage } from '../../src/policy/index.js';
import { createStore, openDatabase, openQueries } from '../../src/store/index.js';
import type { Flow } from '../../src/pipeline.js';

const CLICK = 'dj0yJnU9Q2xpY2tJZA';
const ORDER = 'ORDER-778899';
const HASH = 'b'.repeat(64);
const UNAUTH = 'dWlkPU5qZzJNVEV';
const SECRET = 'sess-secret-value';

let dir: string;
let dbPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-redact-'));
  dbPath = join(dir, 'r.db');
  const store = createStore({ path: dbPath, retentionDays: null });
  const fingerprint = createFingerprinter(Buffer.alloc(32, 9));
  const page = `https://shop.example/checkout?epik=${CLICK}&step=2#order-${ORDER}`;
  const requests = [
    // A checkout beacon: the page (with a click id), a hashed e-mail, a browser id, an order id.
    `https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&ed=${encodeURIComponent(JSON.stringify({ order_id: ORDER, value: 10, currency: 'EUR' }))}`
      + `&pd=${encodeURIComponent(JSON.stringify({ em: HASH, pin_unauth: UNAUTH }))}&ad=${encodeURIComponent(JSON.stringify({ loc: page }))}&epik=${CLICK}`,
    // A pin image with the landing page as Referer, and the login cookie.
    'https://i.pinimg.com/236x/aa/bb/cc.jpg',
  ];
  const policy = policyStage(() => makePolicySettings('off'));
  requests.forEach((url, i) => {
    const observation = buildObservation({
      id: `r${i}`, time: Date.now() - 1000 + i, url,
      headers: { referer: page, cookie: `_pinterest_sess=${SECRET}; _pinterest_ct_ua=${UNAUTH}` },
    });
    const flow: Flow = { observation, finding: classify(observation, { fingerprint, recentPage: null }), decision: null };
    policy.request?.(flow);
    store.record(flow);
  });
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the whole redacted file holds no identifier value, click id, order id, hashed e-mail or fingerprint', () => {
  const { db } = openDatabase(dbPath);
  const secrets = new Set<string>([
    ...(db.prepare('SELECT value FROM identifiers').pluck().all() as string[]),
    ...(db.prepare('SELECT tag_order_id FROM requests WHERE tag_order_id IS NOT NULL').pluck().all() as string[]),
    CLICK, ORDER, HASH, UNAUTH, SECRET,
  ]);
  db.close();
  // The database really holds them: fingerprints, the click id, the hashed e-mail, the order id.
  expect(secrets.size).toBeGreaterThanOrEqual(5);
  const q = openQueries(dbPath);
  try {
    const plain = [...csvChunks(q.iterate({}))].join('');
    const redacted = [...csvChunks(q.iterate({}), { redact: true })].join('');
    for (const value of [CLICK, ORDER, HASH]) expect(plain).toContain(value);
    for (const value of secrets) expect(redacted, value).not.toContain(value);
    // Page URLs keep scheme, host, path and parameter names.
    expect(redacted).toContain('https://shop.example/checkout?epik=redacted&step=redacted#redacted');
    // Reasons are kept, without their values.
    expect(redacted).toContain('order id redacted');
  } finally {
    q.close();
  }
});

test.each([
  ['https://shop.example/p?a=1&b=&c#frag', 'https://shop.example/p?a=redacted&b=redacted&c#redacted'],
  ['https://shop.example/', 'https://shop.example/'],
  ['https://shop.example/path/only', 'https://shop.example/path/only'],
])('redactUrl(%s)', (url, expected) => {
  expect(redactUrl(url)).toBe(expected);
});
