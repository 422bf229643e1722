/**
 * The proxy's front door, and the only module that imports http-mitm-proxy. The library now only
 * listens on the plain port and forwards plain HTTP to hosts pinaudit does not intercept; the
 * decision at CONNECT (Pinterest → pinaudit's own TLS path in mitm.ts, anything else → blind
 * tunnel, invalid → 400), upgrades, malformed requests and shutdown are pinaudit's. Library traps
 * are described in reference/http-mitm-proxy.md.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Proxy as MitmProxy } from 'http-mitm-proxy';
import { PinauditError } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import { CHECK_HOST, isPinterestHost, siteOf } from '../pinterest/domains.js';
import type { Leaf } from '../ca/authority.js';
import { errorKindOf, sendPage, sendUpstreamError } from './error-page.js';
import { parseHostPort } from './hosts.js';
import { answerCheck, answerNotAProxyRequest, intercept, type InterceptDeps, type InterceptTarget } from './intercept.js';
import { PROXY_AUTH_REQUIRED, proxyUserOf } from './proxy-user.js';
import { answerClientError, createMitm, MAX_HEADER_BYTES, type MitmTarget } from './mitm.js';
import { CaRejections } from './ca-rejections.js';
import { ContextCache } from './contexts.js';
import { endWithResponse, interceptUpgrade } from './websocket.js';
import { resolveUpstream, type ResolverRule } from './resolver.js';
import { openTunnel, SocketRegistry } from './tunnel.js';

export interface ProxyOptions {
  port: number;
  host: string;
  pipeline: Pipeline;
  /** Issues the leaf certificate for an intercepted host. */
  leaf(host: string): Promise<Leaf>;
  rules: readonly ResolverRule[];
  /** Extra PEM roots trusted for upstream TLS, in addition to Node's. */
  upstreamCaPem: string | null;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Idle time after which a client connection or tunnel is closed. */
  clientIdleMs?: number;
  /** Time from an intercepted CONNECT to an established TLS session (default 10 s). */
  handshakeTimeoutMs?: number;
  /** An internal error ended an intercepted flow; given the error (log its name, not its text). */
  onInternalError?(flowId: string | null, err: unknown): void;
  onTunnelFailure?(host: string, reason: string): void;
  /** A client refused pinaudit's certificate for `host`, the first time for that host (ca-rejections.ts). */
  onCaRejected?(host: string): void;
  /**
   * Answer 407 to CONNECTs and plain-HTTP requests without Basic proxy credentials, and label the
   * traffic with the user name (see proxy-user.ts). Off by default: a person's browser is not asked.
   */
  requireProxyUser?: boolean;
}

export interface RunningProxy {
  readonly port: number;
  readonly host: string;
  /** Open client sockets and tunnels (for tests and shutdown). */
  openSockets(): number;
  /** Clients that refused pinaudit's certificate on an intercepted host, per host. */
  readonly caRejections: CaRejections;
  close(): Promise<void>;
}

/**
 * The parts of the library we use, typed as they really behave (its bundled types are wrong in
 * places: `connectRequest` is undefined for plain HTTP, callbacks take other shapes).
 */
interface LibraryContext {
  isSSL: boolean;
  clientToProxyRequest: IncomingMessage;
  proxyToClientResponse: ServerResponse;
  connectRequest?: IncomingMessage;
  proxyToServerRequestOptions?: { host: string; port: number };
}
type Callback = (err?: Error | null, value?: object) => void;
interface Library {
  onConnect(fn: (req: IncomingMessage, socket: Socket, head: Buffer, cb: Callback) => void): void;
  onRequest(fn: (ctx: LibraryContext, cb: Callback) => void): void;
  onError(fn: (ctx: LibraryContext | null, err?: Error, kind?: string) => void): void;
  listen(options: object, cb: (err?: Error | null) => void): void;
  close(): void;
  httpServer?: http.Server;
}

/** Deadlines no client may stretch: TLS set up after CONNECT, request head complete. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 30_000;

/** A path that never exists, so the library never finds (or writes) certificate files. */
const NO_FILE = '/dev/null/pinaudit-certificates-live-in-memory';

/**
 * http-mitm-proxy's `listen` always creates its own unconstrained RSA CA and writes its private key
 * to `sslCaDir`. We issue every certificate ourselves, so that CA is replaced by an inert object
 * before any proxy listens: no key is generated or written.
 */
function disableLibraryCa(): void {
  const require = createRequire(import.meta.url);
  const caModule = require('http-mitm-proxy/dist/lib/ca.js') as { default: { create: unknown } };
  caModule.default.create = (_dir: string, cb: (err: Error | null, ca: object) => void) => cb(null, {});
}

function upstreamAgents(opts: ProxyOptions): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const common = { keepAlive: true, maxFreeSockets: 256, timeout: opts.idleTimeoutMs, scheduling: 'lifo' as const };
  // One secure context built once: an agent `ca` list would rebuild it for every connection.
  const secureContext = opts.upstreamCaPem
    ? tls.createSecureContext({ ca: [...tls.rootCertificates, opts.upstreamCaPem] })
    : undefined;
  return {
    httpAgent: new http.Agent(common),
    httpsAgent: new https.Agent({ ...common, ...(secureContext ? { secureContext } : {}), rejectUnauthorized: true }),
  };
}

function clientAddress(socket: Socket | undefined): string {
  return socket?.remoteAddress?.replace(/^::ffff:/, '') ?? 'unknown';
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  disableLibraryCa();
  const proxy = new MitmProxy() as unknown as Library;
  const registry = new SocketRegistry();
  const { httpAgent, httpsAgent } = upstreamAgents(opts);
  const originalUrls = new WeakMap<IncomingMessage, string>();
  let counter = 0;
  const idBase = `${Date.now().toString(36)}-${process.pid.toString(36)}`;
  const deps: InterceptDeps = {
    pipeline: opts.pipeline,
    rules: opts.rules,
    httpAgent,
    httpsAgent,
    connectTimeoutMs: opts.connectTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    nextId: () => `${idBase}-${(++counter).toString(36)}`,
    ...(opts.onInternalError ? { onInternalError: opts.onInternalError } : {}),
  };
  const clientIdleMs = opts.clientIdleMs ?? 120_000;
  const caRejections = new CaRejections({ pinned: [CHECK_HOST], onFirst: (host) => opts.onCaRejected?.(host) });
  const interceptTarget = (t: MitmTarget): InterceptTarget => ({ tls: t.tls, connectHost: t.host, upstream: { host: t.host, port: t.port }, client: t.client, proxyUser: t.proxyUser ?? null });
  const mitm = createMitm({
    contexts: new ContextCache(opts.leaf),
    registry,
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    idleMs: clientIdleMs,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    onRequest: (req, res, t) => {
      if (!t.tls && t.port === 443) return sendPage(res, 400, 'Expected TLS', 'This tunnel was opened for HTTPS.');
      return t.host === CHECK_HOST ? answerCheck(res, t.tls) : intercept(deps, req, res, interceptTarget(t));
    },
    onUpgrade: (req, socket, head, t) => interceptUpgrade(deps, req, socket, head, interceptTarget(t)),
    onCertificateRefused: (host) => caRejections.record(host),
  });

  proxy.onConnect((req: IncomingMessage, socket: Socket, head: Buffer) => {
    // The library's own CONNECT handling is never used (its callback is never called): pinaudit
    // serves intercepted TLS itself (mitm.ts) and tunnels the rest (tunnel.ts).
    registry.add(socket);
    const target = parseHostPort(req.url ?? '');
    if (!target) {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ninvalid CONNECT target\n');
      return;
    }
    const proxyUser = proxyUserOf(req.headers);
    if (opts.requireProxyUser && proxyUser === null) {
      socket.end(PROXY_AUTH_REQUIRED);
      return;
    }
    const client = clientAddress(req.socket);
    if (target.host === CHECK_HOST || isPinterestHost(target.host)) {
      mitm.accept(socket, head, { ...target, client, tls: true, proxyUser });
      return;
    }
    opts.pipeline.tunnel({ client, host: target.host, site: siteOf(target.host), url: null, time: Date.now(), proxyUser });
    const where = resolveUpstream(opts.rules, target.host, target.port);
    if ('notFound' in where) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    openTunnel(socket, head, where, registry, {
      connectTimeoutMs: opts.connectTimeoutMs,
      idleTimeoutMs: opts.clientIdleMs ?? 600_000,
      onFailure: (reason) => opts.onTunnelFailure?.(target.host, reason),
    });
  });

  proxy.onRequest((ctx: LibraryContext, callback: Callback) => {
    const req = ctx.clientToProxyRequest;
    const res = ctx.proxyToClientResponse;
    const original = originalUrls.get(req) ?? req.url ?? '';
    if (!/^http:\/\//i.test(original)) return answerNotAProxyRequest(res);
    const options = ctx.proxyToServerRequestOptions;
    // The host of the absolute URL is the one contacted (the library takes it from there, not from Host).
    const target = parseHostPort(`${options?.host ?? ''}:${options?.port ?? 80}`);
    if (!target || !options) return sendPage(res, 400, 'Bad request', 'The request names no valid host.');
    if (target.host === CHECK_HOST) return answerCheck(res, false);
    const client = clientAddress(req.socket);
    const proxyUser = proxyUserOf(req.headers);
    if (opts.requireProxyUser && proxyUser === null) {
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="pinaudit"', 'content-length': '0', connection: 'close' });
      res.end();
      return;
    }
    if (isPinterestHost(target.host)) {
      return intercept(deps, req, res, { tls: false, connectHost: null, upstream: target, client, proxyUser });
    }
    // The label is ours: the site is not told what the proxy calls its client.
    delete req.headers['proxy-authorization'];
    const navigation = req.headers['sec-fetch-dest'] === 'document' || /text\/html/.test(String(req.headers.accept ?? ''));
    opts.pipeline.tunnel({ client, host: target.host, site: siteOf(target.host), url: navigation ? original : null, time: Date.now(), proxyUser });
    const where = resolveUpstream(opts.rules, target.host, target.port);
    if ('notFound' in where) return sendUpstreamError(res, target.host, 'dns');
    options.host = where.host;
    options.port = where.port;
    return callback(); // plain HTTP to anyone else: forwarded untouched by the library.
  });

  // Runs before the library writes its own 504 with raw error text: answer with our page first.
  proxy.onError((ctx: LibraryContext | null, err?: Error, kind?: string) => {
    if (ctx?.proxyToClientResponse) {
      const host = String(ctx.clientToProxyRequest?.headers.host ?? 'the upstream').replace(/:\d+$/, '');
      sendUpstreamError(ctx.proxyToClientResponse, host, errorKindOf(err));
    } else if (kind === 'HTTP_SERVER_ERROR') {
      listenError?.(err);
    }
  });

  let listenError: ((err?: Error) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    listenError = (err) => {
      proxy.httpServer?.close();
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      reject(
        code === 'EADDRINUSE'
          ? new PinauditError('PORT_IN_USE', `port ${opts.port} on ${opts.host} is already in use; choose another with --proxy-port`)
          : new PinauditError('LISTEN_FAILED', `cannot listen on ${opts.host}:${opts.port}: ${err?.message ?? 'unknown error'}`),
      );
    };
    // No forceSNI: the library's internal HTTPS server is not needed, pinaudit terminates TLS itself.
    proxy.listen(
      { host: opts.host, port: opts.port, keepAlive: true, sslCaDir: NO_FILE, httpAgent, httpsAgent, timeout: clientIdleMs },
      (err?: Error | null) => (err ? reject(err) : resolve()),
    );
  });
  listenError = undefined;

  const server = proxy.httpServer!;
  server.on('connection', (s: Socket) => registry.add(s));
  // Read when each connection starts: the same head limit and answers as inside intercepted TLS.
  (server as { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_BYTES;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.on('clientError', answerClientError);
  routeUpgrades(server, deps);
  // Remember the request line's URL before the library rewrites absolute-form to a path.
  server.prependListener('request', (req: IncomingMessage) => originalUrls.set(req, req.url ?? ''));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;

  return {
    port,
    host: opts.host,
    openSockets: () => registry.size,
    caRejections,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      proxy.close();
      mitm.close();
      registry.destroyAll();
      server.closeAllConnections();
      httpAgent.destroy();
      httpsAgent.destroy();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    },
  };
}

/**
 * Plain-HTTP upgrades: to an intercepted host through pinaudit's own path (the library would send
 * them, unrecorded, wherever the Host header says); to anyone else through the library as before.
 * An upgrade that is not a proxy request (no absolute URL) is refused.
 */
function routeUpgrades(server: http.Server, deps: InterceptDeps): void {
  const library = server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const absolute = /^(?:http|ws):\/\/([^/?#]+)/i.exec(req.url ?? '');
    const target = absolute ? parseHostPort(absolute[1]!, 80) : null;
    if (!target) {
      endWithResponse(socket, 400, { 'content-type': 'text/plain' }, 'pinaudit is an HTTP proxy; this is not a proxy request\n');
      return;
    }
    if (target.host === CHECK_HOST || isPinterestHost(target.host)) {
      req.url = (req.url ?? '').slice(absolute![0].length) || '/';
      interceptUpgrade(deps, req, socket, head, { tls: false, connectHost: null, upstream: target, client: clientAddress(req.socket as Socket) });
      return;
    }
    for (const listener of library) listener.call(server, req, socket, head);
  });
}
