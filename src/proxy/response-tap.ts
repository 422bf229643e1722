/**
 * A bounded copy of an upstream answer for the pipeline's `response` hook, taken while the answer
 * is relayed to the client (never instead of it, never slowing it down). Only flows whose stages
 * asked for it (`flow.wantsResponse`) are copied, and at most RESPONSE_LIMIT bytes of them: the
 * copy is made of the bytes as they came off the wire and ends when the answer ends.
 */
import type { IncomingMessage } from 'node:http';
import { RESPONSE_LIMIT, type Flow, type Pipeline } from '../pipeline.js';

/** Starts copying `upstreamRes` for `flow` when a stage asked for it; call before relaying. */
export function tapResponse(pipeline: Pipeline, flow: Flow, upstreamRes: IncomingMessage): void {
  if (flow.wantsResponse !== true) return;
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const onData = (chunk: Buffer): void => {
    if (truncated) return;
    if (size + chunk.length > RESPONSE_LIMIT) {
      chunks.push(chunk.subarray(0, RESPONSE_LIMIT - size));
      size = RESPONSE_LIMIT;
      truncated = true;
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  };
  upstreamRes.on('data', onData);
  upstreamRes.once('end', () => {
    upstreamRes.off('data', onData);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(upstreamRes.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    pipeline.response(flow, { status: upstreamRes.statusCode ?? 0, headers }, { bytes: Buffer.concat(chunks, size), truncated });
  });
}
