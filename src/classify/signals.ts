/**
 * Privacy signals a request carried: an opt-out (Sec-GPC, DNT) that the request is sent despite,
 * and high-entropy client hints that make a browser easier to single out.
 */
import type { Observation } from '../types.js';
import { AD_CLIENT_HINTS, CLIENT_HINT_HEADERS } from '../pinterest/params.js';
import { isJsonObject } from '../json.js';
import { pick, type Payload } from './payload.js';

export interface Signals {
  gpc: boolean;
  dnt: boolean;
  clientHints: boolean;
  /** Names of the client hints seen, for the reason. */
  hints: string[];
}

/** Reads the opt-out and client-hint signals of a request. */
export function readSignals(observation: Observation, payload: Payload): Signals {
  const headers = observation.headers;
  const flag = (name: string): boolean => typeof headers[name] === 'string' && headers[name]?.trim() === '1';
  const hints: string[] = [];
  const ad = pick(payload, 'ad')?.value;
  if (isJsonObject(ad)) {
    for (const name of AD_CLIENT_HINTS) if (Object.hasOwn(ad, name)) hints.push(`ad.${name}`);
  }
  for (const name of CLIENT_HINT_HEADERS) if (typeof headers[name] === 'string') hints.push(name);
  return { gpc: flag('sec-gpc'), dnt: flag('dnt'), clientHints: hints.length > 0, hints };
}
