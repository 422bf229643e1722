/**
 * Bounded JSON parsing for attacker-controlled payloads. The text is size-capped and its nesting
 * depth is measured by a linear scan before `JSON.parse` sees it, so deeply nested input costs
 * one pass and never reaches a recursive walker. Truncated JSON (seen in real tag payloads) is
 * salvaged: complete `"key": "string"` pairs are still read.
 */
import { LIMITS } from './limits.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Outcome of parsing one JSON text. */
export type JsonResult =
  | { ok: true; value: Json }
  | { ok: false; why: 'too-large' | 'too-deep' | 'invalid'; salvaged: JsonObject };

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

/** Parses JSON within the caps; on failure returns what could be salvaged. Never throws. */
export function parseJson(text: string): JsonResult {
  if (text.length > LIMITS.jsonChars) return { ok: false, why: 'too-large', salvaged: salvage(text) };
  if (nestingDepth(text, LIMITS.jsonDepth) > LIMITS.jsonDepth) {
    return { ok: false, why: 'too-deep', salvaged: {} };
  }
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false, why: 'invalid', salvaged: salvage(text) };
  }
}

// Linear: a value cannot contain an unescaped quote, so each attempt stops at the next quote.
const PAIR = /"([A-Za-z_][\w.-]{0,63})"\s*:\s*"((?:[^"\\\n]|\\.){0,2048})"/g;

/**
 * Reads complete top-level-looking `"key": "string"` pairs out of broken JSON text, first
 * occurrence of each key winning. Looks at most `LIMITS.jsonChars` characters.
 */
export function salvage(text: string): JsonObject {
  const out: JsonObject = {};
  const slice = text.length > LIMITS.jsonChars ? text.slice(0, LIMITS.jsonChars) : text;
  let count = 0;
  for (const m of slice.matchAll(PAIR)) {
    const key = m[1];
    const raw = m[2];
    if (key === undefined || raw === undefined || Object.hasOwn(out, key)) continue;
    let value: string;
    try {
      value = JSON.parse(`"${raw}"`) as string;
    } catch {
      value = raw;
    }
    out[key] = value;
    if (++count >= LIMITS.params) break;
  }
  return out;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
