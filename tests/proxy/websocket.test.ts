/**
 * WebSocket upgrades to intercepted hosts go through pinaudit: recorded once, classified by the
 * host contacted, decided (blocked with a clean HTTP answer in `all`), and sent to the CONNECT
 * target through the resolver rules and the upstream CA, never to wherever the Host header points.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';

interface SeenUpgrade {
  url: string;
  headers: http.IncomingHttpHeaders;
  servername: string | null;
}

let pki: TestPki;
let wsServer: https.Server;
let wsPlain: http.Server;
const seen: SeenUpgrade[] = [];
let proxy: TestProxy;
let blocking: TestProxy;

/** Answers every upgrade with 101 and then echoes the bytes it gets (framing is end to end). */
function acceptUpgrades(server: http.Server): void {
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    const servername = (req.socket as { servername?: string | false }).servername || null;
    seen.push({ url: req.url ?? '', headers: req.headers, servername });
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.pipe(socket);
  });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  pki = makeTestPki();
  wsServer = https.createServer(pki.server(['*.pinterest.com']));
  wsPlain = http.createServer();
  acceptUpgrades(wsServer);
  acceptUpgrades(wsPlain);
  const port = await listen(wsServer);
  const plainPort = await listen(wsPlain);
  // Only Pinterest names are mapped: a request that went where its Host header says would fail.
  const rules = `MAP *.pinterest.com:80 127.0.0.1:${plainPort}, MAP *.pinterest.com 127.0.0.1:${port}, MAP * ~NOTFOUND`;
  proxy = await startTestProxy({ 'upstream-ca': pki.caPath, 'host-resolver-rules': rules });
  blocking = await startTestProxy({ 'upstream-ca': pki.caPath, 'host-resolver-rules': rules, block: 'all' });
});
afterAll(async () => {
  await proxy?.close();
  await blocking?.close();
  wsServer?.closeAllConnections();
  wsServer?.close();
  wsPlain?.closeAllConnections();
  wsPlain?.close();
  pki?.cleanup();
});

function upgradeHead(path: string, host: string): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    'Cookie: _pinterest_sess=secret-session',
    'Referer: https://shop.example/product/1',
    '',
    '',
  ].join('\r\n');
}

/** Sends an upgrade (and then `probe`) on `s`; resolves with everything read until close or 1 s. */
function exchange(s: Duplex, head: string, probe: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/^HTTP\/1\.1 101/.test(text) && text.includes('\r\n\r\n') && !text.includes(probe)) s.write(probe);
      if (text.includes(probe)) s.destroy();
    });
    s.on('error', () => undefined);
    s.once('close', () => resolve(text));
    setTimeout(() => s.destroy(), 1500).unref();
    s.write(head);
  });
}

async function overTls(p: TestProxy, target: string, head: string): Promise<string> {
  const { socket } = await connectVia(p.port, target);
  const s = tls.connect({ socket, servername: target.replace(/:\d+$/, ''), ca: p.caPem });
  await new Promise<void>((r) => s.once('secureConnect', () => r()));
  return exchange(s, head, 'ping-frame-bytes');
}

describe('WebSocket upgrades on intercepted hosts', () => {
  test('go to the CONNECT target (not the Host header), are recorded once, and carry frames', async () => {
    const before = seen.length;
    const start = proxy.sink.requests.length;
    const reply = await overTls(proxy, 'ct.pinterest.com:443', upgradeHead('/live?tid=2612345678901', 'evil.example.test'));
    expect(reply).toMatch(/^HTTP\/1\.1 101 /);
    expect(reply).toContain('ping-frame-bytes');
    expect(seen.length).toBe(before + 1);
    expect(seen[before]!.servername).toBe('ct.pinterest.com');
    expect(seen[before]!.url).toBe('/live?tid=2612345678901');
    await proxy.sink.waitForCompletions(start + 1);
    const flows = proxy.sink.requests.slice(start);
    expect(flows).toHaveLength(1);
    expect(flows[0]!.observation.url).toBe('wss://ct.pinterest.com/live?tid=2612345678901');
    expect(flows[0]!.finding?.pinterest).toBe(true);
    const done = proxy.sink.completions.filter((c) => c.flow === flows[0]);
    expect(done).toHaveLength(1);
    expect(done[0]!.outcome).toMatchObject({ kind: 'response', status: 101 });
  });

  test('are blocked with --block all: an HTTP answer and a close, nothing reaches the upstream', async () => {
    const before = seen.length;
    const start = blocking.sink.completions.length;
    const reply = await overTls(blocking, 'ct.pinterest.com:443', upgradeHead('/live', 'ct.pinterest.com'));
    expect(reply).toMatch(/^HTTP\/1\.1 [24]\d\d /);
    expect(reply).not.toContain('ping-frame-bytes');
    expect(seen.length).toBe(before);
    await blocking.sink.waitForCompletions(start + 1);
    expect(blocking.sink.completions[start]!.outcome.kind).toBe('blocked');
  });

  test('plain ws:// through the proxy is recorded and sent to the URL host, not the Host header', async () => {
    const before = seen.length;
    const start = proxy.sink.requests.length;
    const s = net.connect(proxy.port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    const reply = await exchange(s, upgradeHead('http://ct.pinterest.com/socket', 'evil.example.test'), 'plain-probe');
    expect(reply).toMatch(/^HTTP\/1\.1 101 /);
    expect(seen.length).toBe(before + 1);
    expect(seen[before]!.url).toBe('/socket');
    expect(proxy.sink.requests.slice(start).map((f) => f.observation.url)).toEqual(['ws://ct.pinterest.com/socket']);
  });

  test('plain ws:// to a Pinterest host is blocked with --block all', async () => {
    const before = seen.length;
    const s = net.connect(blocking.port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    const reply = await exchange(s, upgradeHead('http://ct.pinterest.com/socket', 'ct.pinterest.com'), 'plain-probe');
    expect(reply).toMatch(/^HTTP\/1\.1 [24]\d\d /);
    expect(seen.length).toBe(before);
  });
});
