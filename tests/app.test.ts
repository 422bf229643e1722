/**
 * The composition root: the data directory is private and held by one process, a start-up that
 * fails part-way unwinds what it had started, every intercepted flow ends in one terminal event
 * even on an internal error, and failures are logged by error name with the flow id.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../bench/test-pki.js';
import { startApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/db.js';
import { findMigrationsDir, loadMigrations } from '../src/store/migrate.js';
import type { Stage } from '../src/pipeline.js';
import { makeSink } from './helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from './helpers/upstream.js';
import { migrationsUpTo } from './helpers/migrations.js';

let root: string;
let pki: TestPki;
let upstream: Upstream;
let n = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-app-'));
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
});
afterAll(async () => {
  await upstream?.close();
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

function config(extra: Record<string, string> = {}, dataDir = join(root, `data-${++n}`)): Config {
  return loadConfig(
    {
      'proxy-port': '0',
      'dashboard-port': '0',
      'ca-dir': join(root, 'ca'),
      'data-dir': dataDir,
      'upstream-ca': pki.caPath,
      'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${upstream.port}`,
      ...extra,
    },
    {},
  );
}

/** A logger whose JSON lines land in `lines`. */
function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger('trace', stream), lines };
}

const mode = (path: string): number => statSync(path).mode & 0o777;

/** The data directory is 0700 and the database with its -wal and -shm 0600. */
function expectPrivate(dataDir: string): void {
  expect(mode(dataDir)).toBe(0o700);
  for (const f of ['pinaudit.db', 'pinaudit.db-wal', 'pinaudit.db-shm']) expect(mode(join(dataDir, f)), f).toBe(0o600);
}

describe('the data directory', () => {
  test('is created 0700 with the database, -wal and -shm 0600', async () => {
    const c = config();
    const app = await startApp(c, createLogger('silent'));
    try {
      expectPrivate(c.dataDir);
    } finally {
      await app.close();
    }
  });

  test('a database made by an older pinaudit is upgraded at start, and the log says so first; a new one is not announced', async () => {
    const old = config();
    const upTo010 = migrationsUpTo(join(root, `upto-${n}`), 10);
    mkdirSync(old.dataDir, { recursive: true, mode: 0o700 });
    openDatabase(join(old.dataDir, 'pinaudit.db'), { migrationsDir: upTo010 }).db.close();
    for (const c of [old, config()]) {
      const { log, lines } = capture();
      const app = await startApp(c, log);
      await app.close();
      const upgrades = lines.map((l) => JSON.parse(l) as { msg: string; migrations?: string[] }).filter((l) => l.msg.startsWith('upgrading the database'));
      expect(upgrades.map((l) => l.migrations)).toEqual(c === old ? [loadMigrations(findMigrationsDir()).filter((m) => m.id > 10).map((m) => m.name)] : []);
    }
  });

  test('left readable by others by an older run is tightened at start', async () => {
    const c = config();
    const first = await startApp(c, createLogger('silent'));
    await first.close();
    chmodSync(c.dataDir, 0o755);
    chmodSync(join(c.dataDir, 'pinaudit.db'), 0o644);
    const app = await startApp(c, createLogger('silent'));
    try {
      expectPrivate(c.dataDir);
    } finally {
      await app.close();
    }
  });

  test('is held by one app: a second start stops with one line naming the running one’s addresses', async () => {
    const c = config();
    const app = await startApp(c, createLogger('silent'));
    try {
      const err = await startApp({ ...c }, createLogger('silent')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DATA_DIR_IN_USE' });
      const message = (err as Error).message;
      expect(message).toContain(c.dataDir);
      expect(message).toContain(`proxy http://127.0.0.1:${app.proxy.port}`);
      expect(message).toContain(`dashboard ${app.dashboardUrl}`);
      expect(message).not.toContain('\n');
    } finally {
      await app.close();
    }
    // Released on close: the next start gets it.
    const next = await startApp(c, createLogger('silent'));
    await next.close();
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const c = config();
    mkdirSync(c.dataDir, { recursive: true });
    writeFileSync(join(c.dataDir, 'pinaudit.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, proxy: 'http://127.0.0.1:1' }));
    const app = await startApp(c, createLogger('silent'));
    expect(JSON.parse(readFileSync(join(c.dataDir, 'pinaudit.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await app.close();
  });
});

describe('a start-up that fails part-way', () => {
  test('closes the proxy it had started and releases the data directory', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const c = config({ 'dashboard-port': String(port) });
    const err = await startApp(c, createLogger('silent')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PORT_IN_USE' });
    busy.close();
    // The data directory is free again: nothing of the failed start is left holding it.
    const app = await startApp(c, createLogger('silent'));
    await app.close();
  });
});

describe('flows and logs', () => {
  test('an internal error answers 500, ends the flow once and is logged by name with the flow id', async () => {
    const sink = makeSink();
    // A later stage that breaks the flow the proxy then forwards (headers it cannot iterate).
    const breaker: Stage = {
      name: 'breaker',
      request: (flow) => {
        flow.forward = { url: 'https://ct.pinterest.com/x', headers: null as never, body: null };
      },
    };
    const { log, lines } = capture();
    const app = await startApp(config(), log, { extraStages: [breaker, sink] });
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${app.proxy.port}`, requestTls: { ca: app.ca.certPem } });
    try {
      const res = await request('https://ct.pinterest.com/v3/?tid=2612345678901&secret=QUERYSECRET', { dispatcher: agent });
      expect(res.statusCode).toBe(500);
      await res.body.dump();
      await sink.waitForCompletions(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(sink.completions).toHaveLength(1);
      expect(sink.completions[0]!.outcome).toMatchObject({ kind: 'error', error: 'internal' });
      const flowId = sink.requests[0]!.observation.id;
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.flowId === flowId);
      expect(line).toMatchObject({ level: 50, flowId, err: 'TypeError' });
    } finally {
      await agent.close();
      await app.close();
    }
  });

  test('a failing stage is logged by error name only, never by its message', async () => {
    const thrower: Stage = {
      name: 'thrower',
      request: (flow) => {
        throw new RangeError(`bad value in ${flow.observation.url} with cookie ${flow.observation.headers.cookie ?? ''}`);
      },
    };
    const { log, lines } = capture();
    const app = await startApp(config(), log, { extraStages: [thrower] });
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${app.proxy.port}`, requestTls: { ca: app.ca.certPem } });
    try {
      const res = await request('https://ct.pinterest.com/v3/?tid=2612345678901&pd=STAGESECRET', { dispatcher: agent, headers: { cookie: 'x=COOKIESECRET' } });
      await res.body.dump();
      await new Promise((r) => setTimeout(r, 100));
      const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.stage === 'thrower');
      expect(failed).toMatchObject({ err: 'RangeError', hook: 'request' });
      expect(lines.join('\n')).not.toMatch(/STAGESECRET|COOKIESECRET/);
    } finally {
      await agent.close();
      await app.close();
    }
  });
});
