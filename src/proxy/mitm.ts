/**
 * The intercepted TLS path, served by pinaudit itself rather than by http-mitm-proxy (whose own
 * path keeps a TLS context per name for ever, leaves half-open CONNECTs in CLOSE-WAIT, answers
 * malformed requests with silence and sends WebSockets where the Host header says).
 *
 * After the `200` to a CONNECT for an intercepted host, the client's socket is wrapped in TLS with
 * the leaf for the CONNECT target (whatever SNI the client sends) and handed to one internal HTTP
 * server that never listens. Every state has a deadline: no TLS bytes or no finished handshake
 * within `handshakeTimeoutMs`, an idle keep-alive connection after `idleMs`, request heads after
 * `headersTimeoutMs`. Whichever side closes first, both are destroyed.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { isCertificateAlert } from './ca-rejections.js';
import type { ContextCache } from './contexts.js';
import type { HostPort } from './hosts.js';
import type { SocketRegistry } from './tunnel.js';

/** Largest request head accepted, on the plain port and inside intercepted TLS alike. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** What pinaudit knows about an intercepted connection: the CONNECT target and the client. */
export interface MitmTarget extends HostPort {
  client: string;
  /** False when the client spoke plain HTTP inside the tunnel. */
  tls: boolean;
  /** The proxy user name of the CONNECT (proxy-user.ts), or `null`. */
  proxyUser?: string | null;
}

export interface MitmOptions {
  contexts: ContextCache;
  registry: SocketRegistry;
  handshakeTimeoutMs: number;
  idleMs: number;
  headersTimeoutMs: number;
  onRequest(req: IncomingMessage, res: ServerResponse, target: MitmTarget): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: MitmTarget): void;
  /** The client refused pinaudit's certificate for `host` (see ca-rejections.ts); at most once per connection. */
  onCertificateRefused?(host: string): void;
}

export interface Mitm {
  /** Answers the CONNECT with `200` and serves TLS on `socket`; never throws. */
  accept(socket: Socket, head: Buffer, target: MitmTarget): void;
  close(): void;
}

const ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * One answer for a request Node's parser refused (too large a head, conflicting lengths, bare LF,
 * an HTTP/2 preface…), then close: `431`/`408`/`400`, unless a response is already on the wire
 * (then only the close). Used on the plain port too, so both answer alike.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own fallback answers only on a socket that never wrote a byte; here a keep-alive
  // connection gets its answer too, unless a response has already begun on the wire.
  const current = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  const busy = current?.headersSent === true;
  const code = err.code ?? '';
  if (!socket.writable || busy || !(code.startsWith('HPE_') || code in ANSWERS)) {
    socket.destroy();
    return;
  }
  const status = ANSWERS[code] ?? '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  // A client that never reads must not keep the socket: the answer gets a second, then it goes.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** A timer that can be stopped and started again with its full time. */
class Deadline {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  start(): void {
    this.stop();
    this.#timer = setTimeout(this.onExpire, this.ms);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

export function createMitm(opts: MitmOptions): Mitm {
  const targets = new WeakMap<Duplex, MitmTarget>();
  const server = http.createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    keepAliveTimeout: Math.min(opts.idleMs, 5000),
    headersTimeout: opts.headersTimeoutMs,
    requestTimeout: 0,
  });
  server.timeout = opts.idleMs;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = targets.get(req.socket);
    if (target) opts.onRequest(req, res, target);
    else res.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = targets.get(socket);
    if (target) opts.onUpgrade(req, socket, head, target);
    else socket.destroy();
  });
  server.on('clientError', answerClientError);
  // Node enforces headersTimeout from a timer it starts when a server begins listening; this
  // server never listens (connections are handed to it), so the timer is started here.
  server.emit('listening');

  const serveTls = (socket: Socket, target: MitmTarget, deadline: Deadline): void => {
    // The handshake deadline is the client's time: it stops while pinaudit makes the certificate
    // and starts again once it is ready, so a burst of new names queued behind signing does not
    // use it up. (A client that leaves meanwhile closes the socket, which clears everything.)
    deadline.stop();
    opts.contexts.get(target.host).then(
      (secureContext) => {
        if (socket.destroyed) return;
        deadline.start();
        // The leaf is for the CONNECT target, whatever name the client's SNI asks for.
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
        opts.registry.add(secure);
        targets.set(secure, target);
        // Until the handshake is done, a certificate alert, or a hang-up once our certificate has
        // gone out (bytes written since the `200`), is the client refusing the certificate.
        const writtenBefore = socket.bytesWritten;
        let settled = false;
        const refused = (): void => {
          if (settled) return;
          settled = true;
          opts.onCertificateRefused?.(target.host);
        };
        secure.on('error', (err) => {
          if (isCertificateAlert(err)) refused();
          secure.destroy();
        });
        secure.once('end', () => {
          if (socket.bytesWritten > writtenBefore) refused();
        });
        secure.once('close', () => socket.destroy());
        socket.once('close', () => secure.destroy());
        secure.once('secure', () => {
          settled = true;
          deadline.stop();
          server.emit('connection', secure);
        });
      },
      () => socket.destroy(),
    );
  };

  const accept = (socket: Socket, head: Buffer, target: MitmTarget): void => {
    opts.registry.add(socket);
    // Until the TLS session is up: a deadline, and a client that closes is gone (no CLOSE-WAIT).
    const deadline = new Deadline(opts.handshakeTimeoutMs, () => socket.destroy());
    deadline.start();
    socket.once('close', () => deadline.stop());
    const onEnd = (): void => void socket.destroy();
    socket.once('end', onEnd);
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const first = (chunk: Buffer): void => {
      socket.pause();
      if (chunk[0] === 0x16) {
        // A TLS handshake record: the TLS socket reads these bytes again from the buffer.
        socket.unshift(chunk);
        serveTls(socket, target, deadline);
        return;
      }
      // Plain HTTP inside the tunnel (browsers tunnel ws:// this way): served the same, unencrypted.
      deadline.stop();
      socket.off('end', onEnd);
      targets.set(socket, { ...target, tls: false });
      server.emit('connection', socket);
      socket.emit('data', chunk);
      socket.resume();
    };
    if (head.length > 0) first(head);
    else socket.once('data', first);
  };

  return {
    accept,
    close: () => {
      server.closeAllConnections();
      server.close(); // stops the headers-timeout timer; the server was never listening
    },
  };
}
