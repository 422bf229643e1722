/**
 * Request messages as the intercepted path reads them: headers for the next hop and for the
 * Observation, and the bounded body prefix (at most BODY_LIMIT bytes read before a decision).
 */
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { BODY_LIMIT } from '../types.js';

/** Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus proxy credentials. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Copies request headers for the next hop, dropping hop-by-hop ones and those `Connection` names. */
export function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Flattens Node's header object for the Observation (Cookie joined with `; `). */
export function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  return out;
}

export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

export interface BodyPrefix {
  chunks: Buffer[];
  truncated: boolean;
  ended: boolean;
  /** The client went away before the body was complete. */
  aborted: boolean;
}

/** Reads at most BODY_LIMIT bytes of the body, then pauses the stream with the rest unread. */
export function readBodyPrefix(req: IncomingMessage, done: (b: BodyPrefix) => void): void {
  const prefix: BodyPrefix = { chunks: [], truncated: false, ended: false, aborted: false };
  let size = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
    done(prefix);
  };
  const onData = (chunk: Buffer): void => {
    prefix.chunks.push(chunk);
    size += chunk.length;
    if (size > BODY_LIMIT) {
      prefix.truncated = true;
      req.pause();
      finish();
    }
  };
  const onEnd = (): void => {
    prefix.ended = true;
    finish();
  };
  const onClose = (): void => {
    prefix.aborted = !prefix.ended;
    finish();
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
  req.on('error', () => undefined); // reported through 'close'
  req.resume();
}

