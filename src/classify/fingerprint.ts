/**
 * Keyed fingerprints of credentials. A per-install secret makes the fingerprint useless to anyone
 * without the data dir (a plain hash of a session cookie could be brute-forced or matched), while
 * the same session still gets the same fingerprint on every site that leaked it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LruCache } from '../lru.js';

/** Size of the fingerprint secret in bytes. */
export const SECRET_BYTES = 32;
/** File name of the secret inside the data dir. */
export const SECRET_FILE = 'fingerprint.key';

/** Fingerprints remembered per (name, value): a browser sends the same session cookie on every request. */
export const FINGERPRINT_CACHE_ENTRIES = 1024;
/** Longer values are fingerprinted every time, so the cache stays within entries × this many characters. */
const CACHED_VALUE_CHARS = 4096;

/** A keyed fingerprinter, with the number of fingerprints it currently remembers. */
export type Fingerprinter = ((name: string, value: string) => string) & { readonly cached: () => number };

/**
 * Returns `(name, value) → hex HMAC-SHA-256(secret, name + "\0" + value)`. Results are kept in a
 * bounded least-recently-used cache: the HMAC is the same for the same value,
 * and the same few credential cookies arrive on every request, so each is hashed once. The cache
 * holds only what the process already holds while classifying, and is never written anywhere.
 */
export function createFingerprinter(secret: Buffer, entries = FINGERPRINT_CACHE_ENTRIES): Fingerprinter {
  const key = Buffer.from(secret);
  const cache = new LruCache<string>(entries);
  const hmac = (input: string): string => createHmac('sha256', key).update(input, 'utf8').digest('hex');
  const fingerprint = (name: string, value: string): string => {
    const input = `${name}\0${value}`;
    return value.length <= CACHED_VALUE_CHARS ? cache.get(input, hmac) : hmac(input);
  };
  return Object.assign(fingerprint, { cached: () => cache.size });
}

/**
 * Reads the fingerprint secret from `<dataDir>/fingerprint.key`, creating it (32 random bytes,
 * mode 0600) when missing. Creation is atomic: the bytes are written to a private temporary file
 * (opened with `wx`) and hard-linked into place, which fails if another process won the race —
 * so no reader ever sees a half-written key. Throws an Error naming the file when it exists with
 * the wrong size or cannot be read.
 */
export function loadOrCreateSecret(dataDir: string): Buffer {
  const file = join(dataDir, SECRET_FILE);
  const existing = readSecret(file);
  if (existing !== null) return existing;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeExclusive(tmp, secret);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if (code(err) === 'EEXIST') return mustRead(file);
    // Some file systems have no hard links: fall back to an exclusive create of the file itself.
    try {
      writeExclusive(file, secret);
    } catch (inner) {
      if (code(inner) === 'EEXIST') return mustRead(file);
      throw new Error(`cannot create ${file}: ${message(inner)}`);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // The temporary file is ours and harmless; a failed unlink must not lose the key.
    }
  }
  return secret;
}

function writeExclusive(path: string, data: Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** The secret, `null` when the file does not exist; throws when it is unusable. */
function readSecret(file: string): Buffer | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    if (code(err) === 'ENOENT') return null;
    throw new Error(`cannot read ${file}: ${message(err)}`);
  }
  if (data.length !== SECRET_BYTES) {
    throw new Error(`${file} holds ${data.length} bytes, expected ${SECRET_BYTES}: remove it to create a new key`);
  }
  try {
    chmodSync(file, 0o600);
  } catch {
    // Tightening the mode is best effort (the file may belong to another user yet be readable).
  }
  return data;
}

function mustRead(file: string): Buffer {
  const data = readSecret(file);
  if (data === null) throw new Error(`cannot read ${file}: it vanished while being created`);
  return data;
}

function code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
