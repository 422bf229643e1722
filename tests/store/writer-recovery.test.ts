/**
 * The writer under deletions and backlogs: an outcome that arrives after a purge never lands on a
 * newer flow's row (SQLite reuses the ids of deleted rows), a backlog left by a locked or full disk
 * is written a bounded chunk per transaction, and damage found after opening names the file.
 */
import { mkdtempSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openRawConnection, type Database } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { makeFlow } from '../helpers/findings.js';

let dir: string;
let stores: Store[];
let raws: Database[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-recovery-'));
  stores = [];
  raws = [];
});
afterEach(() => {
  for (const r of raws) if (r.open) r.close();
  for (const s of stores) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const path = (): string => join(dir, 'p.db');
function open(): Store {
  const store = createStore({ path: path(), retentionDays: null });
  stores.push(store);
  return store;
}
function raw(): Database {
  const db = openRawConnection(path());
  raws.push(db);
  return db;
}

describe('purge under requests in flight', () => {
  test('a request started before a purge never writes its outcome onto a newer request’s row', async () => {
    const store = open();
    const old = makeFlow();
    store.record(old);
    store.flush();
    const oldId = raw().prepare('SELECT id FROM requests WHERE flow_id = ?').pluck().get(old.observation.id);
    store.purge({ all: true });
    const fresh = makeFlow();
    store.record(fresh);
    store.flush();
    const db = raw();
    const rowOf = (flowId: string): { id: number; outcome: string | null; status: number | null } | undefined =>
      db.prepare('SELECT id, outcome, status FROM requests WHERE flow_id = ?').get(flowId) as never;
    // The deleted row's id was handed to the new one: exactly the case that once misfiled outcomes.
    expect(rowOf(fresh.observation.id)?.id).toBe(oldId);
    store.complete(old, { kind: 'error', error: 'timeout', message: 'timeout' });
    store.flush();
    expect(rowOf(fresh.observation.id)?.outcome).toBeNull();
    store.complete(fresh, { kind: 'response', status: 200, bytes: 10 });
    store.flush();
    expect(rowOf(fresh.observation.id)).toMatchObject({ outcome: 'response', status: 200 });
    expect(rowOf(old.observation.id)).toBeUndefined();
  });
});

describe('a backlog', () => {
  test('is written in bounded transactions once the database is writable again', async () => {
    const store = open();
    const locker = raw();
    locker.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 5000; i++) store.record(makeFlow());
    store.flush();
    expect(store.health().lastError).not.toBeNull();
    locker.exec('COMMIT');
    store.flush();
    const count = (): number => raw().prepare('SELECT count(*) FROM requests').pluck().get() as number;
    const first = count();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(2000);
    // The rest follows on the next ticks, without anyone calling flush.
    const until = Date.now() + 5000;
    while (count() < 5000 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(count()).toBe(5000);
    expect(store.health()).toMatchObject({ pending: 0, lastError: null, dropped: 0 });
  });
});

describe('damage found after opening', () => {
  test('names the database file and what to do', () => {
    const first = open();
    first.record(makeFlow());
    first.close();
    stores.length = 0;
    const db = raw();
    const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'requests'").pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    // Overwrite the requests table's root page: the file still opens, writes to it fail.
    const fd = openSync(path(), 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
    closeSync(fd);
    const store = open();
    store.record(makeFlow());
    store.flush();
    const error = store.health().lastError ?? '';
    expect(error).toContain(path());
    expect(error).toMatch(/Move it aside, or choose another --data-dir/);
  });
});
