/**
 * Merges everything a request says into one bounded view: query parameters, a form-urlencoded or
 * JSON body, JSON nested in `pd`/`ed`/`ad`, and bracket notation (`pd[em]=`,
 * `ed[line_items][0][product_id]=`). First occurrence wins (query before body). Failures are
 * recorded in `malformed`, never thrown.
 */
import type { IdentifierSource, Observation } from '../types.js';
import { JSON_PARAMS } from '../pinterest/params.js';
import { decodeBody, parseParams, type Param } from './decode.js';
import { isJsonObject, type Json, type JsonObject } from '../json.js';
import { parseJson } from './json-safe.js';
import { LIMITS } from './limits.js';

/** One top-level field and where it travelled. */
export interface Field {
  value: Json;
  source: IdentifierSource;
}

export interface Payload {
  fields: Map<string, Field>;
  /** Parts that failed to parse, in order of discovery, without duplicates. */
  malformed: string[];
  /** Short sentences about parsing problems, for reasons. */
  notes: string[];
}

// Keys that would reach an object's prototype if used as property names.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Builds the payload view of an observation; `query` is the raw query string (no `?`). */
export function readPayload(observation: Observation, query: string, queryClipped: boolean): Payload {
  const payload: Payload = { fields: new Map(), malformed: [], notes: [] };
  const bracketed: { param: Param; source: IdentifierSource }[] = [];

  const addParams = (params: Param[], source: IdentifierSource): void => {
    for (const param of params) {
      if (param.key.includes('[')) bracketed.push({ param, source });
      else setField(payload, param.key, param.value, source);
    }
  };

  const parsedQuery = parseParams(query);
  if (parsedQuery.badEncoding) flag(payload, 'query', 'The query string has invalid percent-encoding; decoded leniently.');
  if (parsedQuery.capped || queryClipped) {
    payload.notes.push(`The query string is very long; only its first ${LIMITS.params} parameters (${LIMITS.queryChars / 1024} KiB) were read.`);
  }
  addParams(parsedQuery.params, 'query');

  if (observation.body !== null && observation.body.length > 0) readBody(payload, observation, addParams);

  for (const { param, source } of bracketed) setBracketed(payload, param, source);
  for (const name of JSON_PARAMS) expandJson(payload, name);
  return payload;
}

function readBody(payload: Payload, observation: Observation, addParams: (p: Param[], s: IdentifierSource) => void): void {
  const body = observation.body;
  if (body === null) return;
  const { text, invalidUtf8 } = decodeBody(body);
  if (invalidUtf8) flag(payload, 'body', 'The body is not valid UTF-8.');
  if (observation.bodyTruncated) payload.notes.push('The body was longer than what is kept; only its start was read.');
  const type = (observation.headers['content-type'] ?? '').toLowerCase();
  const first = text.trimStart().charAt(0);
  const isJson = type.includes('json') || (!type.includes('form') && (first === '{' || first === '['));
  if (isJson) {
    const parsed = parseJson(text.trim());
    let value: Json | undefined = parsed.ok ? parsed.value : parsed.salvaged;
    if (!parsed.ok) flag(payload, 'body', `The JSON body is ${describe(parsed.why)}; read what could be salvaged.`);
    // A batch of events: the first one speaks for the request.
    if (Array.isArray(value)) value = value.find(isJsonObject);
    if (!isJsonObject(value)) return;
    let count = 0;
    for (const [key, v] of Object.entries(value)) {
      if (++count > LIMITS.params) break;
      setField(payload, key, v, 'body');
    }
  } else if (type.includes('form') || text.includes('=')) {
    const parsed = parseParams(text);
    if (parsed.badEncoding) flag(payload, 'body', 'The form body has invalid percent-encoding; decoded leniently.');
    addParams(parsed.params, 'body');
  }
}

function describe(why: 'too-large' | 'too-deep' | 'invalid'): string {
  return why === 'too-large' ? 'too large to parse' : why === 'too-deep' ? 'nested too deeply' : 'not valid JSON';
}

function setField(payload: Payload, key: string, value: Json, source: IdentifierSource): void {
  if (key === '' || payload.fields.has(key)) return;
  payload.fields.set(key, { value, source });
}

/** Parses `ed[line_items][0][product_id]` into `['ed', 'line_items', '0', 'product_id']`. */
export function bracketPath(key: string): string[] | null {
  const open = key.indexOf('[');
  if (open <= 0) return null;
  const parts = [key.slice(0, open)];
  let i = open;
  while (i < key.length) {
    if (key.charCodeAt(i) !== 0x5b) return null;
    const close = key.indexOf(']', i);
    if (close === -1) return null;
    parts.push(key.slice(i + 1, close));
    if (parts.length > LIMITS.bracketParts + 1) return null;
    i = close + 1;
  }
  return parts;
}

function setBracketed(payload: Payload, param: Param, source: IdentifierSource): void {
  const path = bracketPath(param.key);
  if (path === null || path.some((p) => UNSAFE_KEYS.has(p))) {
    setField(payload, param.key, param.value, source);
    return;
  }
  const [base, ...rest] = path as [string, ...string[]];
  let field = payload.fields.get(base);
  if (field === undefined) {
    field = { value: {}, source };
    payload.fields.set(base, field);
  } else if (typeof field.value === 'string' && JSON_PARAMS.includes(base)) {
    expandJson(payload, base);
  }
  let node: Json = field.value;
  for (let i = 0; i < rest.length; i++) {
    if (!isJsonObject(node)) return;
    const part = rest[i] as string;
    if (/^\d+$/.test(part) && Number(part) > LIMITS.bracketIndex) return;
    if (i === rest.length - 1) {
      if (!Object.hasOwn(node, part)) node[part] = param.value;
      return;
    }
    const next: Json | undefined = node[part];
    if (next === undefined) node[part] = {};
    node = node[part] as Json;
  }
}

/** Replaces a JSON-text field (`pd={"em":…}`) by its parsed object; records failures. */
function expandJson(payload: Payload, name: string): void {
  const field = payload.fields.get(name);
  if (field === undefined || typeof field.value !== 'string') return;
  const text = field.value.trim();
  if (text === '') return;
  const parsed = parseJson(text);
  if (parsed.ok && isJsonObject(parsed.value)) {
    field.value = parsed.value;
    return;
  }
  const why = parsed.ok ? 'not a JSON object' : describe(parsed.why);
  flag(payload, name, `\`${name}\` is ${why}; read what could be salvaged.`);
  field.value = parsed.ok ? {} : parsed.salvaged;
}

function flag(payload: Payload, part: string, note: string): void {
  if (!payload.malformed.includes(part)) payload.malformed.push(part);
  payload.notes.push(note);
}

/** Reads a dotted path (`ad.loc`) from the payload; `undefined` when any step is missing. */
export function pick(payload: Payload, path: string): { value: Json; source: IdentifierSource } | undefined {
  // Most paths name a field that is absent: look it up before splitting anything.
  const dot = path.indexOf('.');
  const field = payload.fields.get(dot === -1 ? path : path.slice(0, dot));
  if (field === undefined) return undefined;
  let node: Json = field.value;
  if (dot !== -1) {
    for (const part of path.slice(dot + 1).split('.')) {
      if (!isJsonObject(node) || !Object.hasOwn(node, part)) return undefined;
      node = node[part] as Json;
    }
  }
  return { value: node, source: field.source };
}

/** A JSON value as a short string: strings as-is, numbers in decimal, anything else `null`. */
export function asText(value: Json | undefined): string | null {
  if (typeof value === 'string') return value.length > LIMITS.fieldChars ? value.slice(0, LIMITS.fieldChars) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** A JSON value as a list: arrays as-is, bracket-built objects (`{"0":…,"1":…}`) by index. */
export function asList(value: Json | undefined): Json[] {
  if (Array.isArray(value)) return value;
  if (!isJsonObject(value)) return [];
  return Object.keys(value)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => value[k] as Json);
}

export type { JsonObject };
