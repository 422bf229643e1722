/**
 * Bounded, never-throwing decoding of query strings, form bodies and percent-encoding. Real
 * payloads contain invalid `%` sequences and non-UTF-8 bytes; they decode leniently (valid
 * sequences decoded, the rest kept as text) and are reported, never thrown.
 */
import { LIMITS } from './limits.js';

/** One decoded `key=value` pair. */
export interface Param {
  key: string;
  value: string;
}

/** Parsed parameters plus what went wrong while parsing them. */
export interface ParsedParams {
  params: Param[];
  /** Some `%` sequence was invalid; lenient decoding was used. */
  badEncoding: boolean;
  /** The input had more parameters or characters than the caps allow. */
  capped: boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes `application/x-www-form-urlencoded` text (`+` is a space). Never throws: an invalid
 * `%` sequence is kept verbatim and `onBad` is called.
 */
export function decodeComponent(raw: string, onBad?: () => void): string {
  const text = raw.length > LIMITS.valueChars ? raw.slice(0, LIMITS.valueChars) : raw;
  const plus = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    onBad?.();
    return lenientDecode(plus);
  }
}

/** Decodes every valid `%XX` as a byte, keeps other characters, then reads the bytes as UTF-8. */
function lenientDecode(text: string): string {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      out.push(c);
    } else {
      // Non-ASCII text characters go back through UTF-8 so they survive the byte decode.
      const end = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? i + 2 : i + 1;
      for (const b of Buffer.from(text.slice(i, end), 'utf8')) out.push(b);
      i = end - 1;
    }
  }
  return UTF8.decode(Uint8Array.from(out));
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Splits a query string or form body into decoded parameters, at most `LIMITS.params` of them
 * from at most `LIMITS.queryChars` characters. A leading `?` is ignored.
 */
export function parseParams(input: string): ParsedParams {
  let capped = false;
  let text = input.startsWith('?') ? input.slice(1) : input;
  if (text.length > LIMITS.queryChars) {
    text = text.slice(0, LIMITS.queryChars);
    capped = true;
  }
  const result: ParsedParams = { params: [], badEncoding: false, capped };
  const onBad = (): void => {
    result.badEncoding = true;
  };
  let start = 0;
  while (start <= text.length) {
    if (result.params.length >= LIMITS.params) {
      result.capped = true;
      break;
    }
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const pair = text.slice(start, end);
      const eq = pair.indexOf('=');
      const rawKey = eq === -1 ? pair : pair.slice(0, eq);
      const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
      result.params.push({ key: decodeComponent(rawKey, onBad), value: decodeComponent(rawValue, onBad) });
    }
    start = end + 1;
  }
  return result;
}

/** Decodes a body as UTF-8 (invalid bytes become U+FFFD); reports whether any were invalid. */
export function decodeBody(body: Buffer): { text: string; invalidUtf8: boolean } {
  const slice = body.length > LIMITS.jsonChars * 4 ? body.subarray(0, LIMITS.jsonChars * 4) : body;
  const text = UTF8.decode(slice);
  // U+FFFD in the text but not as its UTF-8 bytes (EF BF BD) in the input means invalid bytes.
  const invalidUtf8 = text.includes('\uFFFD') && !slice.includes(Buffer.from([0xef, 0xbf, 0xbd]));
  return { text, invalidUtf8 };
}

/** Shortens text for quoting in a reason, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max;
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}
