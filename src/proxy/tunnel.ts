/**
 * Blind tunnels for every CONNECT that is not Pinterest's: the bytes pass through untouched; we
 * learn only the host name and the time. Bytes the client sent before our `200` (the CONNECT
 * `head`) are forwarded first. Either side closing or failing tears down both.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorKindOf } from './error-page.js';

export interface TunnelTarget {
  host: string;
  port: number;
}

export interface TunnelOptions {
  connectTimeoutMs: number;
  /** Idle time after which both sides are closed. */
  idleTimeoutMs: number;
  /** Called with a short reason when the upstream cannot be reached before the `200`. */
  onFailure(kind: string): void;
}

/** Tracks open sockets so shutdown can end them. */
export class SocketRegistry {
  readonly #sockets = new Set<Duplex>();

  add(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  get size(): number {
    return this.#sockets.size;
  }

  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
}

/**
 * Opens `target`, answers the client's CONNECT with `200` once connected (or `502` if not), and
 * pipes both ways.
 */
export function openTunnel(client: Duplex, head: Buffer, target: TunnelTarget, registry: SocketRegistry, opts: TunnelOptions): void {
  const upstream: Socket = connect({ host: target.host, port: target.port });
  registry.add(upstream);
  let established = false;
  const teardown = (): void => {
    client.destroy();
    upstream.destroy();
  };
  const refuse = (status: string, kind: string, reason: string): void => {
    opts.onFailure(reason);
    if (client.writable) {
      client.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\nx-pinaudit-error: ${kind}\r\n\r\n`);
    }
    upstream.destroy();
  };
  upstream.setTimeout(opts.connectTimeoutMs, () => {
    // Before the 200 the client still waits for an answer to its CONNECT: it gets one.
    if (!established) refuse('504 Gateway Timeout', 'timeout', 'timeout');
    else teardown();
  });
  upstream.once('connect', () => {
    established = true;
    upstream.setTimeout(opts.idleTimeoutMs);
    // Small writes (TLS records, HTTP heads) go out at once on both sides: no Nagle delay.
    upstream.setNoDelay(true);
    if ('setNoDelay' in client && typeof client.setNoDelay === 'function') client.setNoDelay(true);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.once('error', (err: NodeJS.ErrnoException) => {
    if (!established) {
      refuse('502 Bad Gateway', errorKindOf(err), err.code ?? 'error');
      return;
    }
    teardown();
  });
  upstream.once('close', teardown);
  client.once('error', teardown);
  client.once('close', teardown);
}
