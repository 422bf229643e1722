/**
 * Identifiers a request carried: known cookies from the Cookie header, identity fields of the tag
 * payload (`pd.pin_unauth`, `pd.epik`, …), click ids, and the hashed e-mail. Credentials are only
 * ever fingerprinted here: their values do not leave this module.
 */
import type { Identifier, IdentifierKind, IdentifierSource } from '../types.js';
import { COOKIES, CREDENTIAL_NAMES } from '../pinterest/cookies.js';
import { HASH_LENGTHS, PD_IDENTIFIERS, TOP_LEVEL_IDENTIFIERS } from '../pinterest/params.js';
import type { Json } from '../json.js';
import { LIMITS } from './limits.js';
import { asList, asText, pick, type Payload } from './payload.js';

export type Fingerprint = (name: string, value: string) => string;

/** Collects identifiers without duplicates, up to `LIMITS.identifiers`. */
export class IdentifierList {
  readonly items: Identifier[] = [];
  readonly #seen = new Set<string>();
  readonly #fingerprint: Fingerprint;
  /** Set when a fingerprint could not be computed (the identifier is kept without a value). */
  fingerprintFailed = false;

  constructor(fingerprint: Fingerprint) {
    this.#fingerprint = fingerprint;
  }

  /** Adds one identifier; credentials are fingerprinted, everything else kept as seen. */
  add(name: string, kind: IdentifierKind, source: IdentifierSource, value: string): void {
    if (value === '' || this.items.length >= LIMITS.identifiers) return;
    const clipped = value.length > LIMITS.fieldChars ? value.slice(0, LIMITS.fieldChars) : value;
    const item: Identifier = { name, kind, source };
    if (kind === 'credential' || CREDENTIAL_NAMES.has(name)) {
      item.kind = 'credential';
      try {
        item.fingerprint = String(this.#fingerprint(name, value));
      } catch {
        this.fingerprintFailed = true;
      }
    } else {
      item.value = clipped;
    }
    const key = `${name}\0${source}\0${item.value ?? item.fingerprint ?? ''}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.items.push(item);
  }
}

/** Reads known cookies from a Cookie header (`a=1; b=2`), bounded; returns the names sent with a value. */
export function cookiesFrom(header: string | undefined, list: IdentifierList): { names: string[] } {
  const names: string[] = [];
  if (typeof header !== 'string' || header === '') return { names };
  const text = header.length > LIMITS.cookieChars ? header.slice(0, LIMITS.cookieChars) : header;
  let start = 0;
  let count = 0;
  while (start < text.length && count < LIMITS.cookies) {
    let end = text.indexOf(';', start);
    if (end === -1) end = text.length;
    const pair = text.slice(start, end);
    start = end + 1;
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    count++;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const info = COOKIES.get(name);
    if (info === undefined || value === '') continue;
    names.push(name);
    list.add(name, info.kind, 'cookie', value);
  }
  return { names };
}

/** Hex length → algorithm, anything else is possibly clear text. */
export function hashAlgo(value: string): 'sha256' | 'sha1' | 'md5' | 'clear-text?' {
  if (!/^[0-9a-fA-F]+$/.test(value)) return 'clear-text?';
  return HASH_LENGTHS.get(value.length) ?? 'clear-text?';
}

/** Values of an e-mail field: one string, or a list of them (enhanced match sends several). */
export function emailValues(value: Json | undefined): string[] {
  const single = asText(value);
  if (single !== null) return single.trim() === '' ? [] : [single.trim()];
  return asList(value)
    .slice(0, 8)
    .map((v) => asText(v)?.trim() ?? '')
    .filter((v) => v !== '');
}

/** Where a tag payload carries hashed e-mail addresses (the first two characters name the field). */
const EMAIL_PATHS = ['pd.em', 'ed.user_data.em'] as const;

/** Adds the identifiers a tag payload carries. */
export function payloadIdentifiers(payload: Payload, list: IdentifierList): void {
  // Most requests carry a handful of fields and no `pd`/`ed`: skip the lookups that cannot match.
  if (payload.fields.size === 0) return;
  for (const [name, kind] of TOP_LEVEL_IDENTIFIERS) {
    const field = payload.fields.get(name);
    const text = asText(field?.value);
    if (field && text !== null) list.add(name, kind, field.source, text);
  }
  for (const name of CREDENTIAL_NAMES) {
    const field = payload.fields.get(name);
    const text = asText(field?.value);
    if (field && text !== null) list.add(name, 'credential', field.source, text);
  }
  const hasPd = payload.fields.has('pd');
  for (const [name, kind] of hasPd ? PD_IDENTIFIERS : []) {
    const found = pick(payload, `pd.${name}`);
    const text = asText(found?.value);
    if (found && text !== null) list.add(name, kind, found.source, text);
  }
  for (const path of EMAIL_PATHS) {
    if (!payload.fields.has(path.slice(0, 2))) continue;
    const found = pick(payload, path);
    if (found === undefined) continue;
    for (const email of emailValues(found.value)) list.add(path, 'hashed-email', found.source, email);
  }
}
