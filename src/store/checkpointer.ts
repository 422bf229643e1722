/**
 * Copies the write-ahead log into the database file on a thread of its own. SQLite does this
 * itself at the end of the commit that grows the log past 1000 pages, on the thread that commits:
 * the proxy's event loop, which then waits while the file is synced twice (10–20 ms here, a quarter
 * of the time recording takes with real traffic). Here a worker thread with its own connection
 * runs a passive checkpoint once a second (a passive checkpoint never waits for the writer or a
 * reader; what it cannot copy yet waits for the next one), and the writer's connection turns its
 * own checkpoints off only once the thread is ready, and on again if the thread fails.
 */
import { Worker } from 'node:worker_threads';
import { DRIVER_PATH } from './db.js';
import { messageOf } from './errors.js';

/** What the writer hears from its checkpoint thread. */
export interface CheckpointHooks {
  /** The thread has its connection: the writer may stop checkpointing. */
  ready(): void;
  /** The thread stopped on its own (it could not open the database, or a checkpoint failed). */
  failed(message: string): void;
}

/** A running checkpoint thread. */
export interface Checkpointer {
  /**
   * Stops the thread and waits (at most 2 s) until it has closed its connection, so that the
   * writer's connection, closed next, is the last one and removes the log.
   */
  stop(): void;
}

/** How long `stop` waits for the thread to close its connection. */
const STOP_WAIT_MS = 2_000;

// CommonJS, run with `eval`: the same from the sources (tests) and the build. `done` is set once the
// connection is closed, on every way out, for `stop`, which waits for it with the event loop halted.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const done = new Int32Array(workerData.done);
let db = null;
let timer = null;
const finish = () => {
  if (timer !== null) clearInterval(timer);
  timer = null;
  try { if (db !== null && db.open) db.close(); } catch {}
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
};
const fail = (err) => {
  parentPort.postMessage({ failed: String((err && err.message) || err) });
  finish();
  parentPort.close();
};
process.on('exit', finish);
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.path, { fileMustExist: true });
  timer = setInterval(() => {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { fail(err); }
  }, workerData.intervalMs);
  parentPort.on('message', () => { finish(); parentPort.close(); });
  parentPort.postMessage({ ready: true });
} catch (err) {
  fail(err);
}
`;

/** Starts a checkpoint thread for the database at `path` (which must exist and be in WAL mode). */
export function startCheckpointer(path: string, hooks: CheckpointHooks, intervalMs = 1_000): Checkpointer {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { driver: DRIVER_PATH, path, intervalMs, done: done.buffer },
  });
  // The thread never keeps the process alive; `stop` ends it on a normal close.
  worker.unref();
  let over = false;
  const failed = (message: string): void => {
    if (over) return;
    over = true;
    hooks.failed(message);
  };
  worker.on('message', (m: { ready?: true; failed?: string }) => {
    if (over) return;
    if (m.ready) hooks.ready();
    else if (m.failed !== undefined) failed(m.failed);
  });
  worker.on('error', (err) => failed(messageOf(err)));
  worker.on('exit', () => failed('the checkpoint thread exited'));
  return {
    stop() {
      if (over) return;
      over = true;
      worker.postMessage('stop');
      Atomics.wait(done, 0, 0, STOP_WAIT_MS);
      void worker.terminate();
    },
  };
}
