import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openQueries } from '../../src/store/queries.js';
import { createStore } from '../../src/store/writer.js';
import { credentialFlow, fingerprint } from '../helpers/findings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-cred-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every byte pinaudit wrote for this database. */
function fileBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((p) => readFileSync(p)));
}

test('a session cookie seen in clear is stored only as its fingerprint (db and WAL scanned)', () => {
  const path = join(dir, 'c.db');
  const secret = `sess-${randomUUID()}-SECRET`;
  const flow = credentialFlow(secret);
  // The observation really carried the raw cookie: the test would be meaningless otherwise.
  expect(flow.observation.headers.cookie).toContain(secret);

  const store = createStore({ path, retentionDays: null });
  store.record(flow);
  store.complete(flow, { kind: 'response', status: 200, bytes: 10 });
  store.flush();

  const whileOpen = fileBytes(path);
  expect(whileOpen.includes(fingerprint(secret))).toBe(true);
  expect(whileOpen.includes(secret)).toBe(false);
  expect(whileOpen.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
  expect(whileOpen.includes('_pinterest_sess=')).toBe(false);

  const q = openQueries(path);
  const [row] = [...q.iterate({})];
  q.close();
  expect(row?.identifiers.find((i) => i.kind === 'credential')?.value).toBe(fingerprint(secret));

  store.close();
  const afterClose = fileBytes(path);
  expect(afterClose.includes(secret)).toBe(false);
  expect(afterClose.includes(fingerprint(secret))).toBe(true);
});

test('a credential that arrives without a fingerprint is dropped, never stored raw', () => {
  const path = join(dir, 'c.db');
  const secret = `raw-${randomUUID()}`;
  const flow = credentialFlow(secret);
  flow.finding?.identifiers.push({ name: 'csrftoken', kind: 'credential', source: 'cookie', value: secret });
  const store = createStore({ path, retentionDays: null });
  store.record(flow);
  store.close();
  expect(fileBytes(path).includes(secret)).toBe(false);
});
