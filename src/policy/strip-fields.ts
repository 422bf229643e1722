/**
 * What a strip withholds, and the editing of query strings, form bodies and JSON that does it.
 * The vocabulary comes from src/pinterest (the one place that knows Pinterest's parameters):
 * - whole top-level parameters: page URLs (`via`, `url`), click and browser ids (`epik`,
 *   `pin_unauth`, …) and any Pinterest cookie name sent as a parameter;
 * - fields of the JSON objects `pd` (every identity and personal field), `ad` (`loc`, `ref`: the
 *   page and the page before it) and `ed` (`user_data`, which may carry e-mail or phone).
 * Everything else (`tid`, `event`, `cb`, order data) is forwarded untouched, in its original
 * encoding. A JSON parameter that cannot be parsed is withheld whole: forwarding text we could not
 * read might forward the very identifiers we mean to remove.
 */
import { isJsonObject, parseBoundedJson, type Json, type JsonObject } from '../json.js';
import { COOKIES } from '../pinterest/cookies.js';
import { PAGE_PARAMS, PD_IDENTIFIERS, PD_PERSONAL_FIELDS, TOP_LEVEL_IDENTIFIERS } from '../pinterest/params.js';

/** Caps that keep one strip bounded whatever the input. */
export const STRIP_LIMITS = Object.freeze({
  /** Parameters kept from one query string or form body; the rest is withheld. */
  params: 1024,
  /** Characters of a query string or form body that are edited; the rest is withheld. */
  paramChars: 128 * 1024,
  /** Characters of one JSON text (a parameter or a body) that are parsed; longer is withheld. */
  jsonChars: 256 * 1024,
  /** Bracket nesting of a JSON text; deeper is withheld. */
  jsonDepth: 32,
  /** Events in one JSON batch body that are edited; the rest is withheld. */
  batchItems: 100,
  /** Names listed in `stripped`. */
  listed: 64,
});

/** Top-level parameters withheld whole (lower case). */
export const STRIP_TOP_LEVEL: ReadonlySet<string> = new Set<string>([
  ...PAGE_PARAMS.filter((p) => !p.path.includes('.')).map((p) => p.path),
  ...TOP_LEVEL_IDENTIFIERS.keys(),
  ...[...COOKIES.keys()].map((name) => name.toLowerCase()),
  'derived_epik',
]);

/** Fields withheld inside the JSON parameters (lower case). */
export const STRIP_NESTED: ReadonlyMap<string, ReadonlySet<string>> = new Map<string, ReadonlySet<string>>([
  ['pd', new Set(['em', ...PD_IDENTIFIERS.keys(), ...PD_PERSONAL_FIELDS])],
  ['ad', new Set([...PAGE_PARAMS.filter((p) => p.path.startsWith('ad.')).map((p) => p.path.slice(3)), 'ref'])],
  ['ed', new Set(['user_data'])],
]);

/** Where in a request a strip removed something. */
export type StripPart = 'header' | 'query' | 'body';

/**
 * One thing a strip removed, named as it sat in the request: a header (`cookie`, `referer`), a
 * parameter (`epik`, `via`), a field of a JSON parameter (`pd.em`, `ad.loc`), a whole JSON
 * parameter (`pd`, `ad`), or the whole part (`name` equal to `part`: the body or query withheld).
 */
export interface Removal {
  part: StripPart;
  name: string;
}

/**
 * What was withheld: `names` is the ordered, de-duplicated, capped list shown to people;
 * `removed` says where each removal sat, so the policy can tell exactly which identifiers and
 * page carriers did not reach Pinterest. A part cut short at a cap is listed by name only
 * (`partial`): what lay beyond the cap was never read, so no identifier is claimed for it.
 */
export class Withheld {
  readonly names: string[] = [];
  readonly removed: Removal[] = [];
  /** The part the next removals sit in; the strip sets it before each part. */
  part: StripPart = 'header';

  add(name: string): void {
    this.partial(name);
    const part = this.part;
    if (this.removed.length < REMOVALS_KEPT && !this.removed.some((r) => r.part === part && r.name === name)) {
      this.removed.push({ part, name });
    }
  }

  partial(name: string): void {
    if (this.names.length < STRIP_LIMITS.listed && !this.names.includes(name)) this.names.push(name);
  }
}

/** Removals remembered per request (more than any real tag sends; the rest is still removed). */
const REMOVALS_KEPT = 256;

/** What a parameter key addresses: `pd[em]` and `pd.em` → `pd` + `em`; `tid` → `tid`. */
function keyPath(key: string): { base: string; field: string | null } {
  const bracket = key.indexOf('[');
  if (bracket > 0) {
    const close = key.indexOf(']', bracket);
    const field = close === -1 ? key.slice(bracket + 1) : key.slice(bracket + 1, close);
    return { base: key.slice(0, bracket).toLowerCase(), field: field.toLowerCase() };
  }
  const dot = key.indexOf('.');
  if (dot > 0) return { base: key.slice(0, dot).toLowerCase(), field: key.slice(dot + 1).toLowerCase() };
  return { base: key.toLowerCase(), field: null };
}

/**
 * The name under which a key is withheld, or `null` to keep it. Top-level names are matched
 * before dotted ones so that `url.x` style keys of a withheld parameter go too.
 */
export function withheldName(key: string): string | null {
  const whole = key.toLowerCase();
  if (STRIP_TOP_LEVEL.has(whole)) return whole;
  const { base, field } = keyPath(key);
  if (STRIP_TOP_LEVEL.has(base)) return base;
  if (field !== null && STRIP_NESTED.get(base)?.has(field)) return `${base}.${field}`;
  return null;
}

/** Percent-decoding for form text (`+` is a space); `null` when the encoding is invalid. */
function decode(raw: string): string | null {
  const text = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * Edits `a=1&b=2` text (a query string without `?`, or a form body). Kept pairs keep their
 * original bytes; an edited JSON parameter is re-encoded with `encodeURIComponent`.
 */
export function editParams(input: string, withheld: Withheld, part: 'query' | 'body'): { text: string; changed: boolean } {
  let text = input;
  let changed = false;
  if (text.length > STRIP_LIMITS.paramChars) {
    // Cut at a pair boundary so no half parameter is forwarded.
    const cut = text.lastIndexOf('&', STRIP_LIMITS.paramChars);
    text = cut === -1 ? '' : text.slice(0, cut);
    withheld.partial(part);
    changed = true;
  }
  const kept: string[] = [];
  let start = 0;
  let count = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    const pair = text.slice(start, end);
    start = end + 1;
    if (pair === '') continue;
    if (++count > STRIP_LIMITS.params) {
      withheld.partial(part);
      changed = true;
      break;
    }
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decode(rawKey) ?? rawKey;
    const name = withheldName(key);
    if (name !== null) {
      withheld.add(name);
      changed = true;
      continue;
    }
    const base = key.toLowerCase();
    if (!STRIP_NESTED.has(base) || rawValue === '') {
      kept.push(pair);
      continue;
    }
    const value = decode(rawValue);
    const edited = value === null ? null : editJsonText(base, value, withheld);
    if (edited === null) {
      withheld.add(base);
      changed = true;
    } else if (edited.changed) {
      kept.push(`${rawKey}=${encodeURIComponent(edited.text)}`);
      changed = true;
    } else {
      kept.push(pair);
    }
  }
  return { text: changed ? kept.join('&') : input, changed };
}

/** Parses JSON within the strip's caps; `undefined` when it is too large, too deep or invalid. */
export function parseBounded(text: string): Json | undefined {
  const parsed = parseBoundedJson(text, { chars: STRIP_LIMITS.jsonChars, depth: STRIP_LIMITS.jsonDepth });
  return parsed.ok ? parsed.value : undefined;
}

/**
 * Removes the withheld fields of one JSON parameter (`pd`, `ad`, `ed`) given as text. `null`
 * when the text is not a JSON object: the caller withholds the whole parameter.
 */
export function editJsonText(base: string, text: string, withheld: Withheld): { text: string; changed: boolean } | null {
  const value = parseBounded(text.trim());
  if (!isJsonObject(value)) return null;
  const changed = removeFields(base, value, withheld);
  return { text: changed ? JSON.stringify(value) : text, changed };
}

/** Deletes the withheld fields of `base` from a parsed object, in place; true when any went. */
function removeFields(base: string, object: JsonObject, withheld: Withheld): boolean {
  const fields = STRIP_NESTED.get(base);
  if (fields === undefined) return false;
  let changed = false;
  for (const key of Object.keys(object)) {
    const lower = key.toLowerCase();
    if (!fields.has(lower)) continue;
    delete object[key];
    withheld.add(`${base}.${lower}`);
    changed = true;
  }
  return changed;
}

/**
 * Edits one event of a JSON body in place: withheld top-level keys go, `pd`/`ad`/`ed` lose their
 * withheld fields whether they are objects or JSON text. True when anything changed.
 */
export function editJsonEvent(event: JsonObject, withheld: Withheld): boolean {
  let changed = false;
  for (const key of Object.keys(event)) {
    const name = withheldName(key);
    if (name !== null) {
      delete event[key];
      withheld.add(name);
      changed = true;
      continue;
    }
    const base = key.toLowerCase();
    if (!STRIP_NESTED.has(base)) continue;
    const value = event[key];
    if (isJsonObject(value)) {
      if (removeFields(base, value, withheld)) changed = true;
    } else if (typeof value === 'string' && value.trim() !== '') {
      const edited = editJsonText(base, value, withheld);
      if (edited === null) {
        delete event[key];
        withheld.add(base);
        changed = true;
      } else if (edited.changed) {
        event[key] = edited.text;
        changed = true;
      }
    } else if (Array.isArray(value)) {
      // Not a shape the tag sends; we cannot tell which entries identify the person.
      delete event[key];
      withheld.add(base);
      changed = true;
    }
  }
  return changed;
}
