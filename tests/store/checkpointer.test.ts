import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startCheckpointer } from '../../src/store/checkpointer.js';
import { openRawConnection } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { makeFlow } from '../helpers/findings.js';

let dir: string;
let stores: Store[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-checkpoint-'));
  stores = [];
});
afterEach(() => {
  for (const s of stores) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const path = (): string => join(dir, 'p.db');
/** SQLite's own threshold: 1000 pages of 4 KiB. */
const HAND_OFF_BYTES = 1000 * 4096;

function open(): Store {
  const store = createStore({ path: path(), retentionDays: null, flushIntervalMs: 60_000 });
  stores.push(store);
  return store;
}

/** Records `n` flows, flushing every 500 and letting the event loop run between flushes. */
async function write(store: Store, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    store.record(makeFlow({ observation: { time: Date.UTC(2025, 5, 10, 12) + i } }));
    if (i % 500 === 499) {
      store.flush();
      await sleep(0);
    }
  }
  store.flush();
}

/** Requests stored, read on a connection of its own. */
function storedRequests(): number {
  const db = openRawConnection(path());
  try {
    return db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Writes until the log has reached SQLite's checkpoint size. */
async function growLog(store: Store): Promise<void> {
  while ((statSync(`${path()}-wal`, { throwIfNoEntry: false })?.size ?? 0) < HAND_OFF_BYTES) await write(store, 1000);
}

/**
 * Frames in the log and frames already copied into the database, from the WAL-index header in
 * `-shm` (SQLite's file format: `mxFrame` at byte 16, `nBackfill` at byte 96, native byte order).
 */
function logState(): { frames: number; copied: number } {
  const shm = readFileSync(`${path()}-shm`);
  const at = (offset: number): number => (endianness() === 'LE' ? shm.readUInt32LE(offset) : shm.readUInt32BE(offset));
  return { frames: at(16), copied: at(96) };
}

/** Waits until every frame of the log is in the database, or `ms` passed. */
async function copiedWithin(ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const s = logState();
    if (s.frames > 0 && s.copied === s.frames) return true;
  }
  return false;
}

describe('checkpoints off the event loop', () => {
  test('a store whose log reached the checkpoint size has it copied by a thread, with no commit to trigger it', async () => {
    const store = open();
    await growLog(store);
    await write(store, 300); // frames SQLite itself would leave until 1000 more pages
    expect(await copiedWithin(3_000)).toBe(true);
    // The event loop stayed free meanwhile: the copy needed no writes and no work here.
    await write(store, 300);
    expect(logState().copied).toBeLessThan(logState().frames);
    expect(await copiedWithin(3_000)).toBe(true);
  });

  test('a store that never wrote that much starts no thread: its last frames stay in the log', async () => {
    const store = open();
    await write(store, 500);
    await sleep(1_500);
    const s = logState();
    expect(s.frames).toBeGreaterThan(0);
    expect(s.copied).toBeLessThan(s.frames);
  });

  test('close stops the thread first, so the writer closes last and removes the log', async () => {
    const store = open();
    await growLog(store);
    expect(await copiedWithin(3_000)).toBe(true);
    const started = Date.now();
    store.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(existsSync(`${path()}-wal`)).toBe(false);
    expect(storedRequests()).toBeGreaterThanOrEqual(1000);
  });

  test('a purge while the thread runs still empties the log, and the store goes on writing', async () => {
    const store = open();
    await growLog(store);
    expect(await copiedWithin(3_000)).toBe(true);
    store.purge({ all: true });
    expect(statSync(`${path()}-wal`).size).toBe(0);
    await write(store, 10);
    store.close();
    expect(storedRequests()).toBe(10);
  });

  test('a thread that cannot open the database says so, and never says it is ready', async () => {
    const heard: string[] = [];
    const done = new Promise<void>((resolve) => {
      startCheckpointer(join(dir, 'missing.db'), { ready: () => heard.push('ready'), failed: (m) => { heard.push(m); resolve(); } });
    });
    await done;
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatch(/unable to open|does not exist|missing/i);
  });
});
