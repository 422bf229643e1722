/**
 * `importHar`: a HAR file through the same classify → record path as live traffic. Pinterest
 * entries become Observations (source `har`, client = the label) and run through the pipeline's
 * classify stage, a decision stage and the record stage; other entries are what the proxy would
 * have tunnelled blind, so they only feed recent-navigation attribution and the "sites visited"
 * counts (by host, on the entry's own day).
 *
 * Decision: an imported entry happened in the past and nothing could block it, so it is recorded
 * as `allow` with the reason {@link IMPORT_REASON} and no block mode.
 *
 * Idempotence: a Pinterest entry's flow id is `har:<SHA-256 of the entry's bytes>:<index>`, and
 * the store keeps one row per HAR flow id, so a second import of the same file (or of a longer
 * save of the same session) adds no rows. Visit counts have no id: they are added only when the
 * file was never imported whole before (its content hash is not in the store's import ledger) and
 * its first Pinterest entry was not stored yet (a longer save of a session imported before).
 *
 * Failure: the entries before a malformed or truncated one are recorded and flushed, then a
 * HarImportError names the entry (index and, when it can be read, its URL).
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { classifyStage, createFingerprinter, loadOrCreateSecret } from '../classify/index.js';
import { messageOf, PinauditError } from '../errors.js';
import { ensureWritableDir } from '../fs-util.js';
import { Pipeline, type Stage, type TunnelEvent } from '../pipeline.js';
import { NOTHING_PREVENTED } from '../policy/index.js';
import { CHECK_HOST, hostOf, isPinterestHost, siteOf } from '../pinterest/domains.js';
import { createStore, dayKey, openQueries, recordStage, type Queries, type Store } from '../store/index.js';
import { HarEntryError, isNavigation, readHarEntry, toObservation } from './har-entry.js';
import { HarScanner, HarSyntaxError, type RawEntry } from './har-scanner.js';

/** The decision reason of every imported request. */
export const IMPORT_REASON = 'allowed: imported from a HAR file (observed in the past, not blocked)';

/** What {@link importHar} needs. */
export interface ImportOptions {
  file: string;
  /** The database file (created and migrated when missing). */
  dbPath: string;
  /** Data directory (holds the fingerprint key). */
  dataDir: string;
  /** Client name stored with each request. */
  label: string;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Read size (tests). Default 1 MiB. */
  chunkSize?: number;
  /** Clock for the retention check (tests). */
  now?: number;
}

/** What an import did. */
export interface ImportSummary {
  file: string;
  label: string;
  bytes: number;
  /** Entries read (up to the failing one). */
  entries: number;
  /** Pinterest requests read. */
  pinterest: number;
  /** Of those, rows the database did not have yet. */
  added: number;
  /** Other requests (counted toward sites visited). */
  other: number;
  /** Distinct sites among the other requests. */
  sitesVisited: number;
  /** True when the file's visits were already counted by an earlier import. */
  visitsAlreadyCounted: boolean;
  /** Pinterest requests older than the retention period (they go at the next prune). */
  beyondRetention: number;
  retentionDays: number | null;
  /** Entries whose pipeline stage failed (recorded anyway where possible). */
  stageErrors: number;
  /** Entries that were not HTTP requests (`data:`, `blob:`, `wss:` URLs), skipped. */
  skipped: number;
}

/** The HAR is malformed or truncated; `summary` says what was imported before it. */
export class HarImportError extends PinauditError {
  readonly entry: number | null;
  readonly summary: ImportSummary;

  constructor(message: string, entry: number | null, summary: ImportSummary, cause: unknown) {
    super('HAR_MALFORMED', message, { cause });
    this.name = 'HarImportError';
    this.entry = entry;
    this.summary = summary;
  }
}

/** Imports one HAR file. Throws PinauditError (unreadable file, database) or HarImportError. */
export async function importHar(options: ImportOptions): Promise<ImportSummary> {
  let size: number;
  try {
    const st = statSync(options.file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err: unknown) {
    throw new PinauditError('FILE_UNREADABLE', `cannot read ${options.file}: ${messageOf(err)}`, { cause: err });
  }
  try {
    ensureWritableDir(options.dataDir);
  } catch (err: unknown) {
    throw new PinauditError('DIR_UNWRITABLE', `cannot write the data directory ${options.dataDir}: ${messageOf(err)}`);
  }
  const fingerprint = createFingerprinter(loadOrCreateSecret(options.dataDir));
  // No pruning while importing (old files stay until the next prune), no block mode: nothing was blocked.
  const store = createStore({ path: options.dbPath, retentionDays: null, blockMode: () => null });
  let queries: (Queries & { close(): void }) | null = null;
  let ok = false;
  try {
    queries = openQueries(options.dbPath);
    const summary = await run(options, size, store, queries, fingerprint);
    ok = true;
    return summary;
  } finally {
    queries?.close();
    const health = store.close();
    // A failure already in flight says more than this one.
    if (ok && (health.pending > 0 || health.dropped > 0)) {
      throw new PinauditError('INTERNAL', `could not write ${health.pending + health.dropped} findings: ${health.lastError ?? 'unknown error'}`);
    }
  }
}

async function run(
  options: ImportOptions,
  size: number,
  store: Store,
  queries: Queries,
  fingerprint: (name: string, value: string) => string,
): Promise<ImportSummary> {
  const retentionDays = store.settings.get().retentionDays;
  const cutoff = retentionDays === null ? -Infinity : (options.now ?? Date.now()) - retentionDays * 86_400_000;
  const summary: ImportSummary = {
    file: options.file, label: options.label, bytes: 0, entries: 0, pinterest: 0, added: 0, other: 0, sitesVisited: 0,
    visitsAlreadyCounted: false, beyondRetention: 0, retentionDays, stageErrors: 0, skipped: 0,
  };
  const before = queries.totals().requests;
  const visits = new Map<string, { event: TunnelEvent; count: number }>();
  const record = recordStage(store);
  const stages: Stage[] = [
    classifyStage({ fingerprint }),
    {
      name: 'decision',
      request(flow) {
        if (flow.decision === null) flow.decision = { action: 'allow', reason: IMPORT_REASON, stripped: [], prevented: NOTHING_PREVENTED };
      },
    },
    // Rows now; visit counts later, once we know whether this file was imported before.
    { name: 'record', request: record.request!, complete: record.complete! },
    {
      name: 'visits',
      tunnel(event) {
        if (event.site === null) return;
        const key = `${dayKey(event.time)}\0${event.site}`;
        const seen = visits.get(key);
        if (seen) seen.count += 1;
        else visits.set(key, { event, count: 1 });
      },
    },
  ];
  const pipeline = new Pipeline(stages, () => void (summary.stageErrors += 1));
  // A file imported whole before has had its visits counted: its hash is in the ledger.
  const sha256 = await hashFile(options.file);
  summary.visitsAlreadyCounted = store.imports.seen(sha256);
  let firstPinterest = true;

  const onEntry = (raw: RawEntry): void => {
    const entry = parseEntry(raw);
    summary.entries = raw.index + 1;
    if (entry === null) {
      summary.skipped += 1;
      return;
    }
    const host = hostOf(entry.url) ?? '';
    if (host !== CHECK_HOST && isPinterestHost(host)) {
      const id = `har:${createHash('sha256').update(raw.bytes).digest('hex').slice(0, 32)}:${raw.index}`;
      if (firstPinterest) {
        firstPinterest = false;
        // A longer save of a session imported before (or the whole file after a truncated one).
        summary.visitsAlreadyCounted ||= isStored(queries, id, entry.time);
      }
      const flow = pipeline.request(toObservation(entry, id, options.label));
      pipeline.complete(flow, entry.outcome);
      summary.pinterest += 1;
      if (entry.time < cutoff) summary.beyondRetention += 1;
    } else {
      const plainPage = /^http:/i.test(entry.url) && isNavigation(entry);
      pipeline.tunnel({ client: options.label, host, site: siteOf(host), url: plainPage ? entry.url : null, time: entry.time });
      summary.other += 1;
    }
  };

  const scanner = new HarScanner(onEntry);
  let failure: HarImportError | null = null;
  try {
    const stream = createReadStream(options.file, { highWaterMark: options.chunkSize ?? 1024 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      scanner.push(chunk);
      summary.bytes += chunk.length;
      options.onProgress?.(summary.bytes, size);
      // Write as we go: memory stays flat and a later failure keeps what came before.
      if (store.health().pending >= 2000) store.flush();
    }
    scanner.end();
  } catch (err: unknown) {
    failure = toImportError(err, summary, options.file);
  }

  summary.sitesVisited = new Set([...visits.values()].map((v) => v.event.site)).size;
  if (!summary.visitsAlreadyCounted) {
    for (const { event, count } of visits.values()) for (let i = 0; i < count; i++) store.visit(event);
  }
  store.flush();
  const health = store.health();
  if (health.pending > 0) {
    throw new PinauditError('INTERNAL', `cannot write the database ${options.dbPath}: ${health.lastError ?? 'unknown error'}`);
  }
  summary.added = Math.max(0, Math.min(summary.pinterest, queries.totals().requests - before));
  if (failure) throw failure;
  store.imports.note({ sha256, label: options.label, entries: summary.entries, time: options.now ?? Date.now() });
  return summary;
}

/** JSON.parse + readHarEntry, with errors that name the entry. */
function parseEntry(raw: RawEntry): ReturnType<typeof readHarEntry> {
  let value: unknown;
  const text = raw.bytes.toString('utf8');
  try {
    value = JSON.parse(text);
  } catch (err: unknown) {
    throw new EntryFailure(raw.index, urlIn(text), `not valid JSON (${messageOf(err)})`, err);
  }
  try {
    return readHarEntry(value);
  } catch (err: unknown) {
    if (!(err instanceof HarEntryError)) throw err;
    throw new EntryFailure(raw.index, urlIn(text), err.message, err);
  }
}

class EntryFailure extends Error {
  constructor(
    readonly index: number,
    readonly url: string | null,
    message: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** SHA-256 of a file, read as a stream (a HAR may be hundreds of MB). */
async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Whether a HAR flow id is already stored (looked up among the rows at its millisecond). */
function isStored(queries: Queries, id: string, time: number): boolean {
  for (const row of queries.iterate({ from: time, to: time + 1 })) if (row.flowId === id) return true;
  return false;
}

function toImportError(err: unknown, summary: ImportSummary, file: string): HarImportError {
  const kept = summary.entries === 1 ? '; the entry before it was imported' : `; the ${summary.entries} entries before it were imported`;
  if (err instanceof EntryFailure) {
    return new HarImportError(`${file}: ${entryName(err.index, err.url)}: ${err.message}${kept}`, err.index, summary, err);
  }
  if (err instanceof HarSyntaxError) {
    const name = err.entry === null ? null : entryName(err.entry, urlIn(err.partial?.toString('utf8') ?? ''));
    const message = name === null ? err.message : `${name}: ${err.message.replace(/^log\.entries\[\d+\]: /, '')}`;
    return new HarImportError(`${file}: ${message} (at byte ${err.offset})${err.entry === null ? '' : kept}`, err.entry, summary, err);
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && code.startsWith('E')) {
    throw new PinauditError('FILE_UNREADABLE', `cannot read ${file}: ${messageOf(err)}`, { cause: err });
  }
  throw err;
}

function entryName(index: number, url: string | null): string {
  return url === null ? `log.entries[${index}]` : `log.entries[${index}] (${printable(url)})`;
}

/** The request URL of a (possibly partial) entry's text, when it can be found. */
function urlIn(text: string): string | null {
  const m = /"request"\s*:\s*\{[^{}[\]]*?"url"\s*:\s*"((?:[^"\\]|\\.){1,4000})"/.exec(text);
  if (!m) return null;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return null;
  }
}

/** Short and free of control characters: it goes to a terminal. */
function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 119)}…` : clean;
}
