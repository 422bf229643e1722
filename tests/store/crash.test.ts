/**
 * kill -9 in the middle of a load: the database must open cleanly and hold every row the writer
 * had flushed. The child runs the compiled writer (`npm test` builds `dist/` before vitest runs).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase } from '../../src/store/db.js';

const WRITER_JS = fileURLToPath(new URL('../../dist/src/store/writer.js', import.meta.url));

const CHILD = `
import { createStore } from ${JSON.stringify(pathToFileURL(WRITER_JS).href)};
const store = createStore({ path: process.argv[2], flushIntervalMs: 50, retentionDays: null });
let recorded = 0;
setInterval(() => {
  for (let k = 0; k < 40; k++) {
    const id = 'crash-' + recorded;
    const time = Date.now();
    const flow = {
      observation: { id, time, client: '127.0.0.1', connectHost: 'ct.pinterest.com', host: 'ct.pinterest.com',
        method: 'GET', url: 'https://ct.pinterest.com/v3/?tid=1', headers: {}, body: null, bodyTruncated: false,
        source: 'proxy' },
      finding: { pinterest: true, host: 'ct.pinterest.com', category: 'tag', thirdParty: true,
        page: { site: 'site' + (recorded % 50) + '.example', url: 'https://site' + (recorded % 50) + '.example/p/' + recorded,
          attributedBy: 'referer', confidence: 'high' },
        leakLevel: 'full-url', tag: null,
        identifiers: [{ name: '_pin_unauth', kind: 'tracking-id', source: 'cookie', value: 'u' + (recorded % 7) }],
        loggedIn: false, signals: { gpc: false, dnt: false, clientHints: false }, malformed: [], reasons: ['r'] },
      decision: { action: 'allow', reason: 'off', stripped: [] },
    };
    store.record(flow);
    if (recorded % 3 === 0) store.complete(flow, { kind: 'response', status: 200, bytes: 10 });
    recorded += 1;
  }
  process.stdout.write(JSON.stringify({ recorded, pending: store.health().pending }) + '\\n');
}, 2);
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('after SIGKILL mid-load the database is intact and only the last flush window is missing', async () => {
  if (!existsSync(WRITER_JS)) {
    throw new Error(`${WRITER_JS} is missing: build first (npm test runs tsc before vitest; or run npm run build)`);
  }
  const script = join(dir, 'child.mjs');
  const dbPath = join(dir, 'crash.db');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buffered = '';
  let last: { recorded: number; pending: number } | null = null;
  let maxPending = 0;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      last = JSON.parse(line) as { recorded: number; pending: number };
      maxPending = Math.max(maxPending, last.pending);
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // 1.5 s of load once the child is writing (starting it can take seconds on a loaded machine).
  const started = Date.now();
  while (last === null && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(stderr).toBe('');
  const final = last as { recorded: number; pending: number } | null;
  expect(final).not.toBeNull();
  if (!final) return;
  expect(final.recorded).toBeGreaterThan(1000);

  const { db } = openDatabase(dbPath);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const rows = db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
    const rolled = db.prepare('SELECT sum(requests) FROM daily_rollup').pluck().get() as number;
    // Everything the child had flushed when it last reported is there...
    expect(rows).toBeGreaterThanOrEqual(final.recorded - final.pending);
    // ...the loss is at most what one flush window held (the child may have recorded a little more
    // after its last report)...
    expect(final.recorded - rows).toBeLessThanOrEqual(final.pending);
    expect(maxPending).toBeLessThan(5000);
    // ...and the roll-ups were written in the same transactions as the rows.
    expect(rolled).toBe(rows);
  } finally {
    db.close();
  }
});
