/**
 * One intercepted (Pinterest) request, from head to terminal event. pinaudit forwards these
 * itself instead of letting http-mitm-proxy do it: that is where the bounded body read, the
 * pipeline, local answers, timeouts, the 502 page and the exactly-one terminal event live.
 *
 * The upstream contacted is the CONNECT target (the name the TLS session was for), not the Host
 * header: a mismatched Host cannot steer pinaudit to a host it did not decide to intercept.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Pipeline, Flow } from '../pipeline.js';
import { blockedResponse, stripResponseHeaders } from '../policy/index.js';
import { errorNameOf } from '../errors.js';
import { BODY_LIMIT, type Observation, type Outcome } from '../types.js';
import { errorKindOf, sendPage, sendUpstreamError } from './error-page.js';
import { formatHostPort, parseHostPort, type HostPort } from './hosts.js';
import { flatHeaders, forwardHeaders, hasBody, readBodyPrefix, type BodyPrefix } from './messages.js';
import { resolveUpstream, type ResolverRule } from './resolver.js';
import { tapResponse } from './response-tap.js';

export interface InterceptDeps {
  pipeline: Pipeline;
  rules: readonly ResolverRule[];
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  nextId(): string;
  /** An internal error ended a flow (`null` before the flow started); given the error, not its text. */
  onInternalError?(flowId: string | null, err: unknown): void;
}

export interface InterceptTarget {
  tls: boolean;
  /** Host of the CONNECT, `null` for plain HTTP. */
  connectHost: string | null;
  /** Where the request goes (before resolver rules). */
  upstream: HostPort;
  client: string;
  /** The proxy user name that labels the client's traffic (proxy-user.ts), or `null`. */
  proxyUser?: string | null;
}

/**
 * The Observation of an intercepted request. Its host is the one pinaudit contacts (the CONNECT
 * target, or the absolute URL's host on plain HTTP), so a mismatched Host header can neither hide a
 * request from classification nor make a beacon look first-party; the header stays in `headers`.
 */
export function observe(deps: InterceptDeps, req: IncomingMessage, target: InterceptTarget, buffered: Buffer | null, truncated: boolean, scheme?: string): Observation {
  const defaultPort = target.tls ? 443 : 80;
  return {
    id: deps.nextId(),
    time: Date.now(),
    client: target.client,
    connectHost: target.connectHost,
    host: target.upstream.host,
    method: req.method ?? 'GET',
    url: `${scheme ?? (target.tls ? 'https' : 'http')}://${formatHostPort(target.upstream, defaultPort)}${req.url ?? '/'}`,
    headers: flatHeaders(req.headers),
    body: buffered && buffered.length > 0 ? buffered.subarray(0, BODY_LIMIT) : null,
    bodyTruncated: truncated,
    source: 'proxy',
    proxyUser: target.proxyUser ?? null,
  };
}

/** True when the Host header is absent or a valid host; a request with an invalid one is refused. */
export function validHostHeader(req: IncomingMessage): boolean {
  return req.headers.host === undefined || parseHostPort(req.headers.host, 80) !== null;
}

/**
 * Ends a flow exactly once. `complete` before `start` is ignored (there is no flow yet); an internal
 * error is reported by name with the flow id, and the flow ends as an internal error.
 */
export function flowEnder(deps: InterceptDeps): {
  start(observation: Observation): Flow;
  complete(outcome: Outcome): void;
  failed(err: unknown): void;
} {
  let flow: Flow | null = null;
  let completed = false;
  const complete = (outcome: Outcome): void => {
    if (completed || flow === null) return;
    completed = true;
    deps.pipeline.complete(flow, outcome);
  };
  return {
    start: (observation) => (flow = deps.pipeline.request(observation)),
    complete,
    failed: (err) => {
      deps.onInternalError?.(flow?.observation.id ?? null, err);
      complete({ kind: 'error', error: 'internal', message: `internal error (${errorNameOf(err)})` });
    },
  };
}

/** Handles one intercepted request end to end. Never throws. */
export function intercept(deps: InterceptDeps, req: IncomingMessage, res: ServerResponse, target: InterceptTarget): void {
  if (!validHostHeader(req)) {
    req.resume();
    sendPage(res, 400, 'Bad request', 'The Host header is not a valid host name.');
    return;
  }
  const ender = flowEnder(deps);
  const { complete } = ender;
  const start = (prefix: BodyPrefix | null): void => {
    const buffered = prefix ? Buffer.concat(prefix.chunks) : null;
    const flow = ender.start(observe(deps, req, target, buffered, prefix?.truncated ?? false));
    if (prefix?.aborted) {
      // Observed (and recorded), but never forwarded: half a request is not sent on.
      complete({ kind: 'error', error: 'client-aborted', message: 'client went away during the upload' });
      return;
    }
    if (flow.decision?.action === 'block') {
      answerBlocked(req, res, flow, complete);
      return;
    }
    forward(deps, req, res, target, flow, buffered, prefix, complete);
  };
  // A failure here must cost one request, never the proxy: answer 500 and end the flow.
  const guarded = (prefix: BodyPrefix | null): void => {
    try {
      start(prefix);
    } catch (err) {
      sendPage(res, 500, 'pinaudit failed on this request', 'An internal error stopped this request; other requests are not affected.');
      ender.failed(err);
    }
  };
  if (hasBody(req)) readBodyPrefix(req, guarded);
  else guarded(null);
}

function answerBlocked(req: IncomingMessage, res: ServerResponse, flow: Flow, complete: (o: Outcome) => void): void {
  // Nothing goes upstream. Drain what the client still sends so the connection stays usable.
  req.resume();
  const answer = blockedResponse(flow.observation, flow.finding, flow.decision?.reason ?? 'blocked');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
  complete({ kind: 'blocked', status: answer.status });
}

function forward(
  deps: InterceptDeps,
  req: IncomingMessage,
  res: ServerResponse,
  target: InterceptTarget,
  flow: Flow,
  buffered: Buffer | null,
  prefix: BodyPrefix | null,
  complete: (o: Outcome) => void,
): void {
  const host = target.upstream.host;
  const fail = (err: unknown): void => {
    const kind = errorKindOf(err);
    sendUpstreamError(res, host, kind);
    complete({ kind: 'error', error: kind, message: kind });
  };
  const where = resolveUpstream(deps.rules, host, target.upstream.port);
  if ('notFound' in where) {
    req.resume();
    fail({ code: 'PINAUDIT_NOTFOUND' });
    return;
  }
  // A strip decision comes with the rewritten request; otherwise the client's goes as it came.
  const rewrite = flow.forward ?? null;
  const options: https.RequestOptions = {
    method: req.method,
    host: where.host,
    port: where.port,
    path: rewrite ? pathOf(rewrite.url) : req.url,
    headers: forwardHeaders(rewrite ? rewrite.headers : req.headers),
    agent: target.tls ? deps.httpsAgent : deps.httpAgent,
  };
  if (target.tls && isIP(host) === 0) options.servername = host;
  const upstreamReq = (target.tls ? https : http).request(options);
  upstreamReq.setTimeout(deps.idleTimeoutMs, () => {
    upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'PINAUDIT_TIMEOUT' }));
  });
  upstreamReq.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => {
      upstreamReq.destroy(Object.assign(new Error('connect timed out'), { code: 'PINAUDIT_TIMEOUT' }));
    }, deps.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
  upstreamReq.once('error', (err) => {
    if (!res.headersSent) fail(err);
    else {
      res.destroy();
      complete({ kind: 'error', error: errorKindOf(err), message: 'upstream failed mid-response' });
    }
  });
  upstreamReq.once('response', (upstreamRes) => {
    try {
      tapResponse(deps.pipeline, flow, upstreamRes);
      relayResponse(req, res, upstreamRes, rewrite !== null, complete);
    } catch (err) {
      upstreamRes.destroy();
      res.destroy();
      complete({ kind: 'error', error: 'internal', message: `could not relay the response (${err instanceof Error ? err.name : 'error'})` });
    }
  });
  res.once('close', () => {
    if (!res.writableFinished) {
      upstreamReq.destroy();
      complete({ kind: 'error', error: 'client-aborted', message: 'client closed the connection' });
    }
  });
  if (rewrite) {
    // The stripped body replaces the observed one (the policy blocks bodies it could not read whole).
    req.resume();
    upstreamReq.end(rewrite.body ?? undefined);
    return;
  }
  if (buffered && buffered.length > 0) upstreamReq.write(buffered);
  if (prefix && !prefix.ended) {
    req.pipe(upstreamReq);
    req.resume();
  } else {
    upstreamReq.end();
  }
}

/** Copies the upstream's answer to the client, counting bytes; ends the flow once. */
function relayResponse(req: IncomingMessage, res: ServerResponse, upstreamRes: IncomingMessage, stripped: boolean, complete: (o: Outcome) => void): void {
  let headers = forwardHeaders(upstreamRes.headers);
  if (stripped) {
    // Pinterest may not set cookies through a stripped request; CORS is answered for the page.
    const origin = req.headers.origin;
    headers = stripResponseHeaders(headers as Record<string, string | string[]>, { requestOrigin: typeof origin === 'string' ? origin : null }).headers;
  }
  res.writeHead(upstreamRes.statusCode ?? 502, headers);
  let bytes = 0;
  upstreamRes.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  upstreamRes.once('aborted', () => {
    res.destroy();
    complete({ kind: 'error', error: 'reset', message: 'upstream closed mid-response' });
  });
  upstreamRes.once('error', () => {
    res.destroy();
    complete({ kind: 'error', error: 'reset', message: 'upstream closed mid-response' });
  });
  res.once('finish', () => complete({ kind: 'response', status: upstreamRes.statusCode ?? 0, bytes }));
  upstreamRes.pipe(res);
}

/** Path and query of an absolute URL (what goes on the request line). */
function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}

/** The answer of the setup check host: proof that the browser goes through pinaudit. */
export function answerCheck(res: ServerResponse, tls: boolean): void {
  const body = JSON.stringify({ pinaudit: true, tls });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Answer for a request addressed to the proxy itself rather than through it. */
export function answerNotAProxyRequest(res: ServerResponse): void {
  sendPage(res, 400, 'This is a proxy', 'pinaudit is an HTTP proxy: set it as your browser\'s proxy instead of opening it as a page. The dashboard has its own address.');
}
