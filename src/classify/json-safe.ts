/**
 * JSON of tag payloads, parsed within classification's caps (src/json.ts). Truncated JSON (seen in
 * real tag payloads) is salvaged: complete `"key": "string"` pairs are still read.
 */
import { parseBoundedJson, type Json, type JsonFailure, type JsonObject } from '../json.js';
import { LIMITS } from './limits.js';

/** Outcome of parsing one JSON text. */
export type JsonResult = { ok: true; value: Json } | { ok: false; why: JsonFailure; salvaged: JsonObject };

/** Parses JSON within classification's caps; on failure returns what could be salvaged. Never throws. */
export function parseJson(text: string): JsonResult {
  const parsed = parseBoundedJson(text, { chars: LIMITS.jsonChars, depth: LIMITS.jsonDepth });
  if (parsed.ok) return parsed;
  // Deeply nested text is refused whole: the pairs found in it would not be the payload's top level.
  return { ok: false, why: parsed.why, salvaged: parsed.why === 'too-deep' ? {} : salvage(text) };
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
