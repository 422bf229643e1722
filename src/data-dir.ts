/**
 * The data directory of a running pinaudit: private to its owner (0700; the database files 0600
 * are the store's), and held by one process at a time. A lock file records the holder's pid and,
 * once they listen, its addresses, so a second `start` on the same folder stops with one line that
 * says where the running one answers; two processes would otherwise disagree on the block mode and
 * write one database side by side.
 */
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { messageOf, PinauditError } from './errors.js';
import { ensureWritableDir } from './fs-util.js';

const LOCK_FILE = 'pinaudit.lock';
/** Folders this process holds (a second app in one process is refused too). */
const heldHere = new Set<string>();

interface LockInfo {
  pid: number;
  proxy?: string;
  dashboard?: string;
}

export interface DataDirLock {
  /** Records the addresses the holder answers on (for the next `start` to name). */
  announce(proxy: string, dashboard: string): void;
  release(): void;
}

/** Creates the folder 0700, or tightens it to 0700 when it is readable by others. */
export function preparePrivateDir(dir: string): void {
  try {
    ensureWritableDir(dir, 0o700);
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (err) {
    throw new PinauditError('DIR_UNWRITABLE', `cannot write the data directory ${dir}: ${messageOf(err)}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

function inUse(dir: string, info: LockInfo): PinauditError {
  const where = info.proxy ? `proxy ${info.proxy}, dashboard ${info.dashboard ?? 'unknown'}` : 'still starting';
  return new PinauditError(
    'DATA_DIR_IN_USE',
    `the data directory ${dir} is in use by another pinaudit (pid ${info.pid}, ${where}); stop it first, or choose another --data-dir`,
  );
}

/** Takes the data directory for this process, or throws DATA_DIR_IN_USE naming the holder. */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  const key = resolve(dir);
  const write = (info: LockInfo, flag: 'wx' | 'w'): void => writeFileSync(path, `${JSON.stringify(info)}\n`, { mode: 0o600, flag });
  if (heldHere.has(key)) throw inUse(dir, readLock(path) ?? { pid: process.pid });
  try {
    write({ pid: process.pid }, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new PinauditError('DIR_UNWRITABLE', `cannot write the data directory ${dir}: ${messageOf(err)}`);
    }
    const holder = readLock(path);
    if (holder !== null && holder.pid !== process.pid && alive(holder.pid)) throw inUse(dir, holder);
    // Left by a process that is gone (killed, crashed): taken over. Two starts racing for a stale
    // lock both get here; the exclusive create below lets only one of them through.
    rmSync(path, { force: true });
    try {
      write({ pid: process.pid }, 'wx');
    } catch {
      throw inUse(dir, readLock(path) ?? { pid: 0 });
    }
  }
  heldHere.add(key);
  let held = true;
  return {
    announce: (proxy, dashboard) => {
      if (held) write({ pid: process.pid, proxy, dashboard }, 'w');
    },
    release: () => {
      if (!held) return;
      held = false;
      heldHere.delete(key);
      if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
