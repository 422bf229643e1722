/**
 * Reading the person's privacy switches out of their own traffic with Pinterest. Pure: the input is
 * one exchange with a settings endpoint (the bounded request and the already-decoded response
 * text), the output is the switches it showed, nothing else — no username, no e-mail, no body.
 *
 * Nothing is guessed. A switch counts only when a field of that exact name holds a boolean (or the
 * text `true`/`false`) where the endpoint is known to put it; a change counts only when Pinterest
 * answered it with success; a request that names a user (someone's profile, not the person's own
 * settings) and an answer that could not be read whole count for nothing.
 */
import { parseParams } from '../classify/decode.js';
import { parseJson } from '../classify/json-safe.js';
import { isJsonObject, parseBoundedJson, type Json, type JsonFailure, type JsonObject } from '../json.js';
import { SWITCHES, type SettingsEndpoint } from '../pinterest/account-settings.js';
import { RESPONSE_LIMIT } from './response-body.js';

/** One switch as one exchange showed it. */
export interface SwitchReading {
  /** The user field (`personalize_from_offsite_browsing`). */
  field: string;
  /** `true` = on. */
  state: boolean;
  /** `read`: Pinterest said so; `change`: the person set it (and Pinterest accepted). */
  how: 'read' | 'change';
}

/** One exchange with a settings endpoint. */
export interface SettingsExchange {
  endpoint: SettingsEndpoint;
  method: string;
  /** Absolute URL of the request (its query may carry `data=` or the switches). */
  url: string;
  /** The request body as observed (bounded), or null. */
  requestBody: Buffer | null;
  requestBodyTruncated: boolean;
  /** HTTP status of the answer. */
  status: number;
  /** The answer's body as text (decompressed, bounded), or null when it could not be read whole. */
  responseText: string | null;
}

/** What one exchange showed; `ignored` says why it showed nothing. */
export interface SettingsVerdict {
  readings: SwitchReading[];
  ignored: string | null;
}

/** Nesting depth accepted in an answer (a user object is a few levels deep). */
const RESPONSE_DEPTH = 64;

/** Why an answer was not read, per parse failure. */
const ANSWER_UNREAD: Readonly<Record<JsonFailure, string>> = {
  'too-large': 'the answer is too long',
  'too-deep': 'the answer is nested too deeply',
  invalid: 'the answer is not JSON',
};
/** Keys of `options` that make a resource request about a named user rather than the person. */
const USER_KEYS = ['username', 'user_id', 'userId', 'user', 'id'];

/** The switches one exchange showed. Never throws. */
export function readSettingsExchange(x: SettingsExchange): SettingsVerdict {
  const request = requestFields(x);
  if ('ignored' in request) return { readings: [], ignored: request.ignored };
  if (x.status < 200 || x.status > 299) return { readings: [], ignored: `Pinterest answered ${x.status}` };
  const answer = x.responseText === null ? null : answerData(x.endpoint, x.responseText);
  if (answer !== null && 'ignored' in answer) {
    // The change was still accepted (2xx) even when its answer is unreadable or says nothing.
    return request.changes.length > 0 && answer.fatal !== true
      ? { readings: request.changes, ignored: null }
      : { readings: [], ignored: answer.ignored };
  }
  const readings = [...request.changes];
  const changed = new Set(readings.map((r) => r.field));
  for (const r of answer === null ? [] : switchesIn(answer.data, 'read')) if (!changed.has(r.field)) readings.push(r);
  return { readings, ignored: readings.length === 0 ? 'no switch in this exchange' : null };
}

type RequestSide = { changes: SwitchReading[] } | { ignored: string };

/** What the request asked: for whom (only the person counts) and which switches it set. */
function requestFields(x: SettingsExchange): RequestSide {
  const query = queryOf(x.url);
  const body = x.requestBody === null ? '' : x.requestBody.toString('utf8');
  if (x.requestBodyTruncated) return { ignored: 'the request body was too long to read whole' };
  const params = new Map<string, string>();
  for (const source of [query, body]) {
    for (const p of parseParams(source).params) if (!params.has(p.key)) params.set(p.key, p.value);
  }
  const method = x.method.toUpperCase();
  const changing = x.endpoint.how === 'change' && method !== 'GET' && method !== 'HEAD';
  if (x.endpoint.protocol === 'api') {
    // The API path says `me`; a JSON body is how newer clients send a change.
    const fields: JsonObject = Object.fromEntries(params);
    if (changing && body.trimStart().startsWith('{')) {
      const parsed = parseJson(body);
      if (parsed.ok && isJsonObject(parsed.value)) Object.assign(fields, parsed.value);
    }
    return { changes: changing ? switchesIn(fields, 'change') : [] };
  }
  const dataText = params.get('data');
  if (dataText === undefined) return { changes: [] };
  const data = parseJson(dataText);
  if (!data.ok || !isJsonObject(data.value)) return { ignored: 'the request’s data= is not readable JSON' };
  const options = data.value.options;
  if (!isJsonObject(options)) return { changes: [] };
  const named = USER_KEYS.find((k) => options[k] !== undefined && options[k] !== null && options[k] !== '' && options[k] !== 'me');
  if (named !== undefined) return { ignored: `the request names a user (options.${named}): not the person's own settings` };
  return { changes: changing ? switchesIn(options, 'change') : [] };
}

type AnswerSide = { data: JsonObject } | { ignored: string; fatal?: boolean };

/** The user object of the answer, where the endpoint is known to put it. */
function answerData(endpoint: SettingsEndpoint, text: string): AnswerSide {
  const parsed = parseBoundedJson(text, { chars: RESPONSE_LIMIT, depth: RESPONSE_DEPTH });
  if (!parsed.ok) return { ignored: ANSWER_UNREAD[parsed.why] };
  const root = parsed.value;
  if (!isJsonObject(root)) return { ignored: 'the answer is not a JSON object' };
  const envelope = endpoint.protocol === 'resource' ? root.resource_response : root;
  if (!isJsonObject(envelope)) return { ignored: 'the answer has no resource_response' };
  if (typeof envelope.status === 'string' && envelope.status !== 'success') {
    return { ignored: `Pinterest answered status ${JSON.stringify(envelope.status.slice(0, 40))}`, fatal: true };
  }
  const data = envelope.data;
  if (!isJsonObject(data)) return { ignored: 'the answer has no data object' };
  return { data };
}

/** The switches present in an object, as booleans; any other value is not a state. */
function switchesIn(fields: JsonObject, how: SwitchReading['how']): SwitchReading[] {
  const out: SwitchReading[] = [];
  for (const { field } of SWITCHES) {
    const state = booleanOf(fields[field]);
    if (state !== null) out.push({ field, state, how });
  }
  return out;
}

function booleanOf(value: Json | undefined): boolean | null {
  if (value === true || value === false) return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}
