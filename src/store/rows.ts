/**
 * Turning a flow into the plain values the writer stores. Done when the flow is recorded, so later
 * changes to the flow object cannot alter what is written. Credentials are reduced to their
 * fingerprint here; an identifier of kind `credential` without one is dropped, never stored raw.
 */
import type { Identifier, IdentifierKind, IdentifierSource, LineItem, Outcome, Prevented } from '../types.js';
import type { Flow } from '../pipeline.js';
import { splitUrl } from '../url.js';
import { dayKey } from './days.js';
import { leakFacts, type LeakFacts } from './rollups.js';

/** The `requests` columns of one flow as seen and decided (names match the SQL parameters). */
export interface RequestFacts {
  flow_id: string;
  time: number;
  client: string;
  source: string;
  method: string;
  host: string;
  connect_host: string | null;
  path: string;
  category: string | null;
  third_party: number | null;
  page_site: string | null;
  attributed_by: string | null;
  confidence: string | null;
  leak_level: string | null;
  tag_id: string | null;
  tag_event: string | null;
  tag_value: number | null;
  tag_currency: string | null;
  tag_order_id: string | null;
  tag_partner: string | null;
  hashed_email: number;
  hashed_email_algo: string | null;
  logged_in: number | null;
  gpc: number | null;
  dnt: number | null;
  client_hints: number | null;
  malformed: string;
  block_mode: string | null;
  decision: string | null;
  decision_reason: string | null;
  stripped: string;
  /** 1 when the browser labelled its traffic with a proxy user name (a crawl's); only these are found by flow id. */
  labelled: number;
}

/** The columns of one request row: what was seen, decided, and what of it reached Pinterest. */
export type RequestColumns = RequestFacts & LeakFacts;

/** An identifier as stored: `value` is the fingerprint for credentials. */
export interface StoredIdentifier {
  name: string;
  kind: IdentifierKind;
  source: IdentifierSource;
  value: string;
  /** The policy kept it from reaching Pinterest (copied from the decision). */
  prevented: boolean;
}

/** Everything the writer needs to insert one flow. */
export interface PendingRequest {
  columns: RequestColumns;
  day: string;
  pageUrl: string | null;
  /** The reasons' sentences, in order; the writer stores each once (reasons.ts). */
  reasons: readonly string[];
  identifiers: StoredIdentifier[];
  lineItems: LineItem[];
}

/** The outcome columns of a completed flow. */
export interface OutcomeColumns {
  outcome: Outcome['kind'];
  status: number | null;
  bytes: number | null;
  error_kind: string | null;
  error_message: string | null;
  completed_at: number;
}

/** Converts a recorded flow into its stored form. */
export function toPending(flow: Flow, blockMode: string | null): PendingRequest {
  const obs = flow.observation;
  const finding = flow.finding;
  const decision = flow.decision;
  const prevented = decision?.prevented ?? null;
  const identifiers = finding ? storableIdentifiers(finding.identifiers, prevented) : [];
  const tag = finding?.tag ?? null;
  const bool = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);
  const facts = leakFacts({
    thirdParty: finding?.thirdParty === true,
    carriesPage: finding !== null && finding.leakLevel !== 'none' && finding.page.url !== null,
    decision: decision?.action ?? null,
    pagePrevented: prevented?.page === true,
    identifiers,
    loggedIn: finding?.loggedIn === true,
  });
  const columns: RequestColumns = {
    flow_id: obs.id,
    time: obs.time,
    client: obs.client,
    source: obs.source,
    method: obs.method,
    host: obs.host,
    connect_host: obs.connectHost,
    path: pathOf(obs.url),
    category: finding?.category ?? null,
    third_party: bool(finding?.thirdParty),
    page_site: finding?.page.site ?? null,
    attributed_by: finding?.page.attributedBy ?? null,
    confidence: finding?.page.confidence ?? null,
    leak_level: finding?.leakLevel ?? null,
    tag_id: tag?.id ?? null,
    tag_event: tag?.event ?? null,
    tag_value: finiteOrNull(tag?.value),
    tag_currency: tag?.currency ?? null,
    tag_order_id: tag?.orderId ?? null,
    tag_partner: tag?.partner ?? null,
    hashed_email: tag?.hashedEmail ? 1 : 0,
    hashed_email_algo: tag?.hashedEmail?.algo ?? null,
    logged_in: bool(finding?.loggedIn),
    gpc: bool(finding?.signals.gpc),
    dnt: bool(finding?.signals.dnt),
    client_hints: bool(finding?.signals.clientHints),
    malformed: jsonList(finding?.malformed),
    block_mode: blockMode,
    decision: decision?.action ?? null,
    decision_reason: decision?.reason ?? null,
    stripped: jsonList(decision?.stripped),
    labelled: obs.proxyUser ? 1 : 0,
    // Named, not spread: a spread copies by name lookups, per request.
    ids_attempted: facts.ids_attempted,
    ids_prevented: facts.ids_prevented,
    page_prevented: facts.page_prevented,
    attempted: facts.attempted,
    reached: facts.reached,
    page_reached: facts.page_reached,
    logged_in_reached: facts.logged_in_reached,
    hashed_email_reached: facts.hashed_email_reached,
  };
  return {
    columns,
    day: dayKey(obs.time),
    pageUrl: finding?.page.url ?? null,
    reasons: finding ? finding.reasons.slice() : [],
    identifiers,
    lineItems: tag?.lineItems ?? [],
  };
}

/** The stored form of an outcome. */
export function toOutcomeColumns(outcome: Outcome, time: number): OutcomeColumns {
  switch (outcome.kind) {
    case 'response':
      return { outcome: 'response', status: outcome.status, bytes: outcome.bytes, error_kind: null, error_message: null, completed_at: time };
    case 'blocked':
      return { outcome: 'blocked', status: outcome.status, bytes: null, error_kind: null, error_message: null, completed_at: time };
    case 'error':
      return {
        outcome: 'error',
        status: null,
        bytes: null,
        error_kind: outcome.error,
        error_message: outcome.message.slice(0, 300),
        completed_at: time,
      };
  }
}

function storableIdentifiers(ids: readonly Identifier[], prevented: Prevented | null): StoredIdentifier[] {
  const out: StoredIdentifier[] = [];
  const gone = new Set((prevented?.identifiers ?? []).map((p) => `${p.name}\0${p.source}`));
  for (const id of ids) {
    // A credential is only ever kept as its keyed fingerprint.
    const value = id.kind === 'credential' ? id.fingerprint : (id.value ?? id.fingerprint);
    if (value === undefined) continue;
    out.push({ name: id.name, kind: id.kind, source: id.source, value, prevented: gone.has(`${id.name}\0${id.source}`) });
  }
  return out;
}

/** A path URL parsing returns unchanged: nothing to percent-encode, no backslash, no `%2e`. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
/** A `.` or `..` segment, which URL parsing resolves. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
const WHOLE = { pathChars: Infinity, queryChars: Infinity };

/** The path as URL parsing gives it (`pathname`); a plain path, the usual case, is read without parsing. */
function pathOf(url: string): string {
  const { path } = splitUrl(url, WHOLE);
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && url.includes('://')) return path;
  try {
    return new URL(url).pathname;
  } catch {
    const q = url.search(/[?#]/);
    return (q === -1 ? url : url.slice(0, q)).slice(0, 2048);
  }
}

/** A list as its JSON text; most lists are empty. */
function jsonList(list: readonly string[] | undefined): string {
  return list === undefined || list.length === 0 ? '[]' : JSON.stringify(list);
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
