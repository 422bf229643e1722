/**
 * The CSV audit export, shared by the dashboard (`/export.csv`) and the CLI (`pinaudit export`).
 *
 * Format: RFC 4180 (comma separated, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF; quotes doubled), UTF-8 without BOM. The first row is the header; every row's first
 * column, `schema_version`, carries {@link CSV_SCHEMA_VERSION} so a file stays self-describing
 * after it is cut, filtered or concatenated. Columns are only ever added at the end within a
 * version; renaming, removing or changing the meaning of a column bumps the version.
 *
 * Safety: page URLs, referrers and tag fields are written by websites, so every text cell that a
 * spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed
 * with `'`. Finite numbers are written as numbers (a number is never a formula). Credentials never
 * appear in clear: the store only has their keyed fingerprints, and that is what is written.
 *
 * Redaction (`redact: true`, for sharing an audit): every identifier value (tracking ids, click
 * ids, hashed e-mails, credential fingerprints) and the tag's order id are replaced by
 * `redacted:` + 12 hex digits of HMAC-SHA-256 under a random key made for this export and then
 * forgotten. The same value maps to the same placeholder within one export, so the reader can
 * still see that one identifier travelled across sites, but placeholders cannot be reversed
 * (not even by hashing guessed e-mails) nor linked across two exports. Page URLs keep scheme,
 * host and path; their query values and fragment are replaced by `redacted` (names kept), since a
 * landing page's query carries click ids (`epik=`). Reasons are written without values: URLs in
 * them are redacted the same way and any identifier value or order id of the row is cut out.
 *
 * Streaming: rows are formatted one by one and handed out in chunks of about 16 KiB; the file is
 * never built in memory.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestIdentifier, RequestRow } from '../store/index.js';

/** Version of the column set below. */
export const CSV_SCHEMA_VERSION = 2;

/** One column of the export. */
export interface CsvColumn {
  readonly name: string;
  readonly description: string;
}

type Cell = string | number | boolean | null | undefined;
type Redactor = (value: string) => string;
/** The state of "Use sites you visit" at a moment (src/advice/switch-periods.ts `stateLookup`). */
type SwitchStateAt = (time: number) => 'on' | 'off' | 'unknown';

interface ColumnDef extends CsvColumn {
  readonly get: (row: RequestRow, redact: Redactor | null, switchAt: SwitchStateAt) => Cell;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const COLUMN_DEFS: readonly ColumnDef[] = [
  { name: 'schema_version', description: `Version of this column set (${CSV_SCHEMA_VERSION}).`, get: () => CSV_SCHEMA_VERSION },
  { name: 'id', description: 'Row id in the pinaudit database.', get: (r) => r.id },
  { name: 'time', description: 'When the request head arrived, ISO 8601 UTC.', get: (r) => iso(r.time) },
  { name: 'source', description: '`proxy` (live traffic) or `har` (imported file).', get: (r) => r.source },
  { name: 'client', description: 'Client address, or the HAR label for imports.', get: (r) => r.client },
  { name: 'method', description: 'HTTP method.', get: (r) => r.method },
  { name: 'host', description: 'Pinterest host the request went to.', get: (r) => r.host },
  { name: 'path', description: 'Path of the request, without the query (its meaningful parts are in the tag columns).', get: (r) => r.path },
  { name: 'category', description: 'tag, tag-script, telemetry, widget, content or first-party; empty when unclassified.', get: (r) => r.category },
  { name: 'third_party', description: 'true when the page belongs to a site other than Pinterest.', get: (r) => r.thirdParty },
  { name: 'page_site', description: 'Registrable domain of the page that caused the request.', get: (r) => r.pageSite },
  {
    name: 'page_url',
    description: 'URL of that page, as far as it was learned (with redact: query values and fragment redacted, names kept).',
    get: (r, red) => (red && r.pageUrl !== null ? redactUrl(r.pageUrl) : r.pageUrl),
  },
  { name: 'attributed_by', description: 'How the page was learned: tag-payload, referer, origin, recent-navigation, none.', get: (r) => r.attributedBy },
  { name: 'confidence', description: 'Confidence of the attribution: high, medium, low, none.', get: (r) => r.confidence },
  { name: 'leak_level', description: 'full-url, origin or none.', get: (r) => r.leakLevel },
  { name: 'tag_id', description: 'Pinterest tag id (the advertiser).', get: (r) => r.tagId },
  { name: 'tag_event', description: 'Tag event (pagevisit, checkout, …).', get: (r) => r.tagEvent },
  { name: 'tag_value', description: 'Value reported with the event.', get: (r) => r.tagValue },
  { name: 'tag_currency', description: 'Currency of the value.', get: (r) => r.tagCurrency },
  { name: 'tag_order_id', description: 'Order id reported with a purchase (redacted with redact).', get: (r, red) => (red && r.tagOrderId !== null ? red(`order\0${r.tagOrderId}`) : r.tagOrderId) },
  { name: 'tag_partner', description: 'Partner integration (gtm, woocommerce, …).', get: (r) => r.tagPartner },
  { name: 'hashed_email', description: 'true when a hashed e-mail address was sent.', get: (r) => r.hashedEmail },
  { name: 'hashed_email_algo', description: 'Hash of that address: sha256, sha1, md5 or clear-text?.', get: (r) => r.hashedEmailAlgo },
  { name: 'logged_in', description: "true when Pinterest's login cookie went along.", get: (r) => r.loggedIn },
  { name: 'gpc', description: 'true when the browser sent Global Privacy Control.', get: (r) => r.gpc },
  { name: 'dnt', description: 'true when the browser sent Do Not Track.', get: (r) => r.dnt },
  { name: 'identifier_count', description: 'Number of identifiers sent.', get: (r) => r.identifiers.length },
  {
    name: 'identifiers',
    description: '`kind:name=value` per identifier, separated by `; `. Credentials show their keyed fingerprint, never the value.',
    get: (r, red) => r.identifiers.map((i) => formatIdentifier(i, red)).join('; '),
  },
  { name: 'block_mode', description: 'Block mode in force: off, strip, trackers, all.', get: (r) => r.blockMode },
  { name: 'decision', description: 'allow, strip or block; empty when no decision was made.', get: (r) => r.decision },
  { name: 'decision_reason', description: 'Why that decision was made.', get: (r) => r.decisionReason },
  { name: 'stripped', description: 'What a strip withheld, separated by `; `.', get: (r) => r.stripped.join('; ') },
  { name: 'outcome', description: 'response, blocked or error; empty while pending.', get: (r) => r.outcome },
  { name: 'status', description: 'HTTP status returned to the browser.', get: (r) => r.status },
  { name: 'bytes', description: 'Response body bytes.', get: (r) => r.bytes },
  { name: 'error_kind', description: 'Kind of upstream failure (refused, timeout, tls, …).', get: (r) => r.errorKind },
  { name: 'error_message', description: 'Upstream failure message.', get: (r, red) => (red && r.errorMessage !== null ? redactText(r.errorMessage, r) : r.errorMessage) },
  {
    name: 'reasons',
    description: 'Why the request was classified as it was, separated by ` | ` (with redact: written without values).',
    get: (r, red) => (red ? r.reasons.map((text) => redactText(text, r)).join(' | ') : r.reasons.join(' | ')),
  },
  { name: 'malformed', description: 'Payload parts that failed to parse, separated by `; `.', get: (r) => r.malformed.join('; ') },
  // Schema version 2.
  {
    name: 'reached_pinterest',
    description: 'true when the page or an identifier this request carried reached Pinterest; false when the policy prevented all of it (every blocked request); empty when it carried neither.',
    get: (r) => (r.attemptedLeak ? r.reachedPinterest : null),
  },
  {
    name: 'use_sites_you_visit',
    description: 'State of your Pinterest switch "Use sites you visit" when the request was made, as last seen in your own traffic: on, off or unknown.',
    get: (r, _red, switchAt) => switchAt(r.time),
  },
];

/** The documented columns, in order (schema version {@link CSV_SCHEMA_VERSION}). */
export const CSV_COLUMNS: readonly CsvColumn[] = Object.freeze(
  COLUMN_DEFS.map(({ name, description }) => Object.freeze({ name, description })),
);

/** Options of {@link csvChunks} and {@link writeCsv}. */
export interface CsvOptions {
  /** Replace identifier values and order ids with per-export placeholders (see the module note). */
  redact?: boolean;
  /** The state of "Use sites you visit" at a moment; without it the column says `unknown`. */
  switchState?: SwitchStateAt;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, neutralised against formula injection and quoted per RFC 4180 when needed. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (with its CRLF) from already-computed cells. */
export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

const CHUNK_CHARS = 16 * 1024;

/** Lines gathered into chunks of about 16 KiB: `add` hands back a chunk when one is full. */
class Chunker {
  readonly #redact: Redactor | null;
  readonly #switchAt: SwitchStateAt;
  #chunk = csvLine(COLUMN_DEFS.map((c) => c.name));

  constructor(options: CsvOptions) {
    this.#redact = options.redact ? makeRedactor() : null;
    this.#switchAt = options.switchState ?? (() => 'unknown' as const);
  }

  add(row: RequestRow): string | null {
    this.#chunk += csvLine(COLUMN_DEFS.map((c) => c.get(row, this.#redact, this.#switchAt)));
    if (this.#chunk.length < CHUNK_CHARS) return null;
    const full = this.#chunk;
    this.#chunk = '';
    return full;
  }

  /** What is left (the header alone for no rows). */
  rest(): string | null {
    return this.#chunk.length > 0 ? this.#chunk : null;
  }
}

/** The header line and then one line per row, gathered into chunks of about 16 KiB. */
export function* csvChunks(rows: Iterable<RequestRow>, options: CsvOptions = {}): Generator<string> {
  const c = new Chunker(options);
  for (const row of rows) {
    const chunk = c.add(row);
    if (chunk !== null) yield chunk;
  }
  const rest = c.rest();
  if (rest !== null) yield rest;
}

/** {@link csvChunks} of rows read over the network (the fleet's database). */
export async function* csvChunksOf(rows: Iterable<RequestRow> | AsyncIterable<RequestRow>, options: CsvOptions = {}): AsyncGenerator<string> {
  const c = new Chunker(options);
  for await (const row of rows) {
    const chunk = c.add(row);
    if (chunk !== null) yield chunk;
  }
  const rest = c.rest();
  if (rest !== null) yield rest;
}

/**
 * Writes the export through `write`, chunk by chunk. When `write` returns `false` (a stream's
 * buffer is full) and `drain` is given, waits for it before the next chunk. Resolves with the
 * number of characters written.
 */
export async function writeCsv(
  rows: Iterable<RequestRow> | AsyncIterable<RequestRow>,
  write: (chunk: string) => boolean | void,
  options: CsvOptions & { drain?: () => Promise<unknown> } = {},
): Promise<number> {
  let written = 0;
  for await (const chunk of csvChunksOf(rows, options)) {
    written += chunk.length;
    if (write(chunk) === false && options.drain) await options.drain();
  }
  return written;
}

function formatIdentifier(id: RequestIdentifier, redact: Redactor | null): string {
  const value = redact ? redact(`${id.kind}\0${id.name}\0${id.value}`) : id.value;
  return `${id.kind}:${id.name}=${value}`;
}

function makeRedactor(): Redactor {
  // The key lives only as long as this export: placeholders are stable within it, unlinkable across.
  const key = randomBytes(32);
  return (value) => `redacted:${createHmac('sha256', key).update(value).digest('hex').slice(0, 12)}`;
}

/** A URL with scheme, host and path kept and every query value and the fragment redacted. */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const bare = hash === -1 ? url : url.slice(0, hash);
  const q = bare.indexOf('?');
  const base = q === -1 ? bare : bare.slice(0, q);
  const query = q === -1 ? null : bare.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq === -1 ? pair : `${pair.slice(0, eq)}=redacted`;
  }).join('&');
  return `${base}${query === null ? '' : `?${query}`}${hash === -1 ? '' : '#redacted'}`;
}

const URL_IN_TEXT = /https?:\/\/[^\s`'"<>]+/gi;

/** A reason without values: URLs redacted, and every identifier value and the order id of the row cut out. */
function redactText(text: string, row: RequestRow): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  const values = [...row.identifiers.map((i) => i.value), row.tagOrderId].filter((v): v is string => v !== null && v.length >= 3);
  for (const value of values) out = out.replaceAll(value, 'redacted');
  return out;
}
