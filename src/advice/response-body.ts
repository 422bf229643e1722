/**
 * Reading a Pinterest answer without trusting it: the proxy hands over at most
 * {@link RESPONSE_LIMIT} bytes of the body as it came off the wire, and decompression stops as soon
 * as the output would pass the same bound. A compression bomb therefore costs one bounded inflate,
 * and an answer that was cut anywhere is reported as such and never half-read.
 */
import { RESPONSE_LIMIT } from '../pipeline.js';
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';

export { RESPONSE_LIMIT };

/** Why a body could not be read as text. */
export type BodyProblem = 'truncated' | 'too-large' | 'unsupported-encoding' | 'corrupt';

export type BodyText = { ok: true; text: string } | { ok: false; why: BodyProblem };

/**
 * The body as text. `encoding` is the Content-Encoding header (one coding, or none); `truncated`
 * says the proxy kept only the first {@link RESPONSE_LIMIT} bytes. Never throws.
 */
export function decodeResponseBody(encoding: string | undefined, body: Buffer, truncated: boolean): BodyText {
  if (truncated || body.length > RESPONSE_LIMIT) return { ok: false, why: 'truncated' };
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return { ok: true, text: body.toString('utf8') };
  const bounded: ZlibOptions = { maxOutputLength: RESPONSE_LIMIT };
  try {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return { ok: true, text: gunzipSync(body, bounded).toString('utf8') };
      case 'br':
        return { ok: true, text: brotliDecompressSync(body, { maxOutputLength: RESPONSE_LIMIT }).toString('utf8') };
      case 'deflate':
        return { ok: true, text: inflateDeflate(body, bounded) };
      default:
        return { ok: false, why: 'unsupported-encoding' };
    }
  } catch (err: unknown) {
    return { ok: false, why: tooLarge(err) ? 'too-large' : 'corrupt' };
  }
}

/** `deflate` is meant to be zlib-wrapped, but some servers send raw deflate: accept both. */
function inflateDeflate(body: Buffer, options: ZlibOptions): string {
  try {
    return inflateSync(body, options).toString('utf8');
  } catch (err: unknown) {
    if (tooLarge(err)) throw err;
    return inflateRawSync(body, { ...options, finishFlush: constants.Z_FINISH }).toString('utf8');
  }
}

function tooLarge(err: unknown): boolean {
  return err instanceof RangeError || (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ERR_BUFFER_TOO_LARGE');
}
