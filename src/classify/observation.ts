/**
 * Builds an `Observation` from loose request parts (a command line, a fixture, a HAR entry):
 * header names lower-cased and repeated headers joined the way the proxy joins them, the host
 * taken from the URL, the body capped at `BODY_LIMIT`.
 */
import { BODY_LIMIT, type Observation, type ObservationSource } from '../types.js';
import { hostOf } from '../pinterest/domains.js';

export interface ObservationInput {
  url: string;
  method?: string;
  /** Header pairs in order; names in any case. */
  headers?: Iterable<readonly [string, string]> | Readonly<Record<string, string>>;
  body?: Buffer | string | null;
  id?: string;
  time?: number;
  client?: string;
  source?: ObservationSource;
}

/** Joins repeated headers (`, `; Cookie with `; `) into the Observation's header record. */
export function joinHeaders(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [rawName, value] of pairs) {
    const name = rawName.trim().toLowerCase();
    if (name === '') continue;
    const before = out[name];
    out[name] = before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** Creates an Observation; the URL is used as given (it need not be valid). */
export function buildObservation(input: ObservationInput): Observation {
  const pairs = input.headers === undefined
    ? []
    : Symbol.iterator in input.headers
      ? (input.headers as Iterable<readonly [string, string]>)
      : Object.entries(input.headers);
  const raw = input.body === undefined || input.body === null
    ? null
    : typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const host = hostOf(input.url) ?? '';
  return {
    id: input.id ?? 'inspect',
    time: input.time ?? Date.now(),
    client: input.client ?? '127.0.0.1',
    connectHost: /^https:/i.test(input.url) ? host : null,
    host,
    method: (input.method ?? (raw === null ? 'GET' : 'POST')).toUpperCase(),
    url: input.url,
    headers: joinHeaders(pairs),
    body: raw === null ? null : raw.subarray(0, BODY_LIMIT),
    bodyTruncated: raw !== null && raw.length > BODY_LIMIT,
    source: input.source ?? 'proxy',
  };
}
