/**
 * A dashboard over a real, seeded SQLite database: the store (writer) records a small, known set
 * of flows; the dashboard reads through its own read-only connection, as in the app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Flow } from '../../src/pipeline.js';
import { openQueries, type Queries } from '../../src/store/queries.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { buildDashboard, type DashboardDeps } from '../../src/web/dashboard.js';
import { LiveFeed } from '../../src/web/live.js';
import { credentialFlow, fingerprint, makeFlow, makeTag } from '../helpers/findings.js';

export const XSS_URL = 'https://evil.example/"><img src=x onerror=alert(1)><script>alert(2)</script>';
export const FORMULA_URL = 'https://evil.example/=HYPERLINK("http://attacker.example","x")';
export const CA = {
  certPem: '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n',
  fingerprint: 'AB:CD:EF:01',
  certPath: '/tmp/pinaudit-ca/pinaudit-ca.pem',
  notAfter: new Date(Date.UTC(2035, 0, 1)),
};

const HOUR = 3_600_000;
const page = (site: string, url: string | null) => ({ site, url, attributedBy: 'referer' as const, confidence: 'high' as const });

/** Records the seed: shop.example (3 pages, checkout), news.example (blocked widget), evil.example (hostile URLs). */
export function seed(store: Store, now: number): void {
  const rec = (flow: Flow): void => {
    store.record(flow);
    store.complete(flow, { kind: 'response', status: 200, bytes: 43 });
  };
  const UA = { name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'UA-SHARED' } as const;
  rec(makeFlow({ observation: { time: now - 30 * 60_000 }, finding: { page: page('shop.example', 'https://shop.example/products/42'), identifiers: [UA] } }));
  rec(makeFlow({ observation: { time: now - 2 * HOUR }, finding: { page: page('shop.example', 'https://shop.example/cart'), identifiers: [UA] } }));
  rec(makeFlow({
    observation: { time: now - 3 * HOUR },
    finding: {
      page: page('shop.example', 'https://shop.example/checkout'),
      identifiers: [UA, { name: 'pd.em', kind: 'hashed-email', source: 'query', value: 'e'.repeat(64) }],
      tag: makeTag({ event: 'checkout', orderId: 'O-77', value: 59.9, currency: 'EUR', hashedEmail: { value: 'e'.repeat(64), algo: 'sha256' },
        lineItems: [{ id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 2 }] }),
    },
  }));
  rec(makeFlow({
    observation: { time: now - 3 * 86_400_000, host: 'widgets.pinterest.com', url: 'https://widgets.pinterest.com/v3/pidgets/count/' },
    finding: { category: 'widget', tag: null, page: page('news.example', 'https://news.example/article/1'), identifiers: [UA] },
    decision: { action: 'block', reason: 'trackers mode blocks widgets', stripped: [], prevented: { identifiers: [UA], page: true } },
  }));
  rec(makeFlow({ observation: { time: now - 10 * 60_000 }, finding: { page: page('evil.example', XSS_URL), identifiers: [] } }));
  rec(makeFlow({ observation: { time: now - 11 * 60_000 }, finding: { page: page('evil.example', FORMULA_URL), identifiers: [] } }));
  rec(credentialFlow('s3cret-session-value', now - 20 * 60_000));
  store.tunnel({ client: '127.0.0.1', host: 'www.shop.example', site: 'shop.example', url: null, time: now - HOUR });
  store.tunnel({ client: '127.0.0.1', host: 'www.bank.example', site: 'bank.example', url: null, time: now - HOUR + 60_000 });
  store.flush();
}

export const SESSION_FINGERPRINT = fingerprint('s3cret-session-value');

export interface TestDashboard {
  app: FastifyInstance;
  store: Store;
  queries: Queries;
  live: LiveFeed;
  deps: DashboardDeps;
  now: number;
  dbPath: string;
  /** The session token the page would use. */
  token(): Promise<string>;
  close(): Promise<void>;
}

/** Seeds a database in a temporary folder and builds the dashboard over it. */
export async function seededDashboard(options: { empty?: boolean; live?: LiveFeed } & Pick<DashboardDeps, 'caRejections'> = {}): Promise<TestDashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-web-'));
  const dbPath = join(dir, 'web.db');
  const now = Date.now();
  const store = createStore({ path: dbPath, retentionDays: null });
  if (!options.empty) seed(store, now);
  const queries = openQueries(dbPath);
  const live = options.live ?? new LiveFeed();
  const deps: DashboardDeps = {
    queries,
    settings: store.settings,
    purge: (o) => store.purge(o),
    live,
    proxy: { host: '127.0.0.1', port: 8080 },
    ca: CA,
    now: () => now,
    ...(options.caRejections ? { caRejections: options.caRejections } : {}),
  };
  const app = buildDashboard(deps);
  return {
    app, store, queries, live, deps, now, dbPath,
    token: async () => (await app.inject({ url: '/api/session', headers: { host: '127.0.0.1:8081' } })).json<{ token: string }>().token,
    close: async () => {
      await app.close();
      queries.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
