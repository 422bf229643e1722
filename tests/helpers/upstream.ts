/**
 * Loopback upstream servers that record what reached them: an HTTPS server (certificate from the
 * test PKI) and a plain HTTP server. Port 0 everywhere.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  servername: string | null;
}

export interface Upstream {
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** Upstreams accept larger heads than the proxy, so the proxy's own limit is what tests see. */
const UPSTREAM_HEADER_BYTES = 256 * 1024;

const defaultHandler: Handler = (req, res) => {
  const body = JSON.stringify({ ok: true, path: req.url });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'set-cookie': 'upstream=1' });
  res.end(body);
};

function wrap(server: http.Server, seen: SeenRequest[], handler: Handler): http.Server {
  server.keepAliveTimeout = 5000;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const servername = (req.socket as { servername?: string | false }).servername || null;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, servername });
      handler(req, res, body);
    });
  });
  return server;
}

async function listen(server: http.Server, seen: SeenRequest[]): Promise<Upstream> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function startHttpsUpstream(tls: { cert: string; key: string }, handler: Handler = defaultHandler): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  return listen(wrap(https.createServer({ cert: tls.cert, key: tls.key, maxHeaderSize: UPSTREAM_HEADER_BYTES }), seen, handler), seen);
}

export function startHttpUpstream(handler: Handler = defaultHandler): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  return listen(wrap(http.createServer({ maxHeaderSize: UPSTREAM_HEADER_BYTES }), seen, handler), seen);
}
