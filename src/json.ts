/**
 * Bounded JSON parsing for attacker-controlled text (tag payloads, request bodies a strip edits,
 * Pinterest's answers). The text is size-capped and its nesting depth measured by a linear scan
 * before `JSON.parse` sees it, so deeply nested input costs one pass and never reaches a recursive
 * walker. Each caller passes its own caps.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Why a text was not parsed. */
export type JsonFailure = 'too-large' | 'too-deep' | 'invalid';

/** Outcome of {@link parseBoundedJson}. */
export type BoundedJson = { ok: true; value: Json } | { ok: false; why: JsonFailure };

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deepest bracket nesting outside strings, stopping early once it exceeds `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

/** Parses `text` if it has at most `caps.chars` characters and `caps.depth` nesting. Never throws. */
export function parseBoundedJson(text: string, caps: { chars: number; depth: number }): BoundedJson {
  if (text.length > caps.chars) return { ok: false, why: 'too-large' };
  if (nestingDepth(text, caps.depth) > caps.depth) return { ok: false, why: 'too-deep' };
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false, why: 'invalid' };
  }
}
