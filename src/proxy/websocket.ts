/**
 * WebSocket upgrades to intercepted hosts go through pinaudit like any request: observed,
 * classified, decided and recorded once. A blocked upgrade gets the policy's HTTP answer and a
 * clean close before any upgrade happens; an allowed one is sent to the CONNECT target (through
 * resolver rules and the upstream CA, as every intercepted request), and once the upstream switches
 * protocols the two sockets are piped as they are. The flow ends when the upstream answers.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { blockedResponse } from '../policy/index.js';
import { errorKindOf } from './error-page.js';
import { flowEnder, observe, validHostHeader, type InterceptDeps, type InterceptTarget } from './intercept.js';
import { forwardHeaders } from './messages.js';
import { resolveUpstream } from './resolver.js';

/** Writes a complete HTTP/1.1 response on a raw socket and closes it. */
export function endWithResponse(socket: Duplex, status: number, headers: Record<string, string | string[] | number>, body: Buffer | string = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Status'}`];
  const all = { ...headers, 'content-length': Buffer.byteLength(body), connection: 'close' };
  for (const [name, value] of Object.entries(all)) {
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(v).replace(/[\r\n]/g, '')}`);
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body.toString()}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Raw header lines of an upstream `101`, as received (names and order kept). */
function rawHead(res: IncomingMessage): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Handles one upgrade request to an intercepted host. Never throws. */
export function interceptUpgrade(deps: InterceptDeps, req: IncomingMessage, socket: Duplex, head: Buffer, target: InterceptTarget): void {
  socket.on('error', () => socket.destroy());
  if (!validHostHeader(req)) {
    endWithResponse(socket, 400, { 'content-type': 'text/plain' }, 'invalid Host header\n');
    return;
  }
  const ender = flowEnder(deps);
  try {
    const flow = ender.start(observe(deps, req, target, null, false, target.tls ? 'wss' : 'ws'));
    if (flow.decision?.action === 'block') {
      const answer = blockedResponse(flow.observation, flow.finding, flow.decision.reason);
      endWithResponse(socket, answer.status, answer.headers, answer.body);
      ender.complete({ kind: 'blocked', status: answer.status });
      return;
    }
    const where = resolveUpstream(deps.rules, target.upstream.host, target.upstream.port);
    if ('notFound' in where) {
      endWithResponse(socket, 502, { 'x-pinaudit-error': 'dns' });
      ender.complete({ kind: 'error', error: 'dns', message: 'dns' });
      return;
    }
    const rewrite = flow.forward ?? null;
    const headers = forwardHeaders(rewrite ? rewrite.headers : req.headers);
    headers.connection = 'Upgrade';
    headers.upgrade = String(req.headers.upgrade ?? 'websocket');
    const options: https.RequestOptions = {
      method: 'GET',
      host: where.host,
      port: where.port,
      path: req.url ?? '/',
      headers,
      agent: target.tls ? deps.httpsAgent : deps.httpAgent,
    };
    if (target.tls && isIP(target.upstream.host) === 0) options.servername = target.upstream.host;
    const upstreamReq = (target.tls ? https : http).request(options);
    const timer = setTimeout(() => {
      upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'PINAUDIT_TIMEOUT' }));
    }, deps.connectTimeoutMs + deps.idleTimeoutMs);
    timer.unref();
    const fail = (err: unknown): void => {
      clearTimeout(timer);
      const kind = errorKindOf(err);
      endWithResponse(socket, kind === 'timeout' ? 504 : 502, { 'x-pinaudit-error': kind });
      ender.complete({ kind: 'error', error: kind, message: kind });
    };
    upstreamReq.once('error', fail);
    upstreamReq.once('upgrade', (res: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
      clearTimeout(timer);
      upstream.on('error', () => upstream.destroy());
      const teardown = (): void => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.once('close', teardown);
      socket.once('close', teardown);
      socket.write(rawHead(res));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      ender.complete({ kind: 'response', status: res.statusCode ?? 101, bytes: 0 });
    });
    upstreamReq.once('response', (res: IncomingMessage) => {
      // The upstream refused the upgrade: its answer goes back as it came, then both close.
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 64 * 1024) chunks.push(c);
      });
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 502;
        endWithResponse(socket, status, { 'content-type': res.headers['content-type'] ?? 'text/plain' }, body);
        ender.complete({ kind: 'response', status, bytes: size });
      });
      res.once('error', fail);
    });
    socket.once('close', () => {
      if (upstreamReq.destroyed) return;
      upstreamReq.destroy();
      ender.complete({ kind: 'error', error: 'client-aborted', message: 'client closed the connection' });
    });
    upstreamReq.end();
  } catch (err) {
    endWithResponse(socket, 500, {});
    ender.failed(err);
  }
}
