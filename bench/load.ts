/**
 * Load generation for the benchmarks: keep-alive throughput with a fixed number of connections,
 * fresh-connection rate, and first-request latency. All traffic goes to 127.0.0.1.
 */
import http from 'node:http';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { request, type Dispatcher } from 'undici';

export interface Throughput {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs `workers` loops of `once` for `durationMs`; each call returns its latency in ms (or
 * `null` for a failed request, counted as an error).
 */
async function runLoops(workers: number, durationMs: number, once: () => Promise<number | null>): Promise<Throughput> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const ms = await once().catch(() => null);
      if (ms === null) errors++;
      else latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** `workers` loops each sending one request at a time for `durationMs`. */
export function throughput(dispatcher: Dispatcher, url: string, workers: number, durationMs: number): Promise<Throughput> {
  return runLoops(workers, durationMs, async () => {
    const t = performance.now();
    const res = await request(url, { dispatcher });
    await res.body.dump();
    return res.statusCode === 200 ? performance.now() - t : null;
  });
}

function connectTunnel(proxyPort: number, target: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: target, agent: false });
    req.once('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${res.statusCode}`))));
    req.once('error', reject);
    req.end();
  });
}

/**
 * One request on a brand-new connection: CONNECT through the proxy (or a direct TCP connection
 * when `proxyPort` is null), TLS, `GET /`, read the whole response. Returns milliseconds.
 */
export async function freshRequest(proxyPort: number | null, host: string, directPort: number, ca: string): Promise<number> {
  const t = performance.now();
  const raw = proxyPort === null ? undefined : await connectTunnel(proxyPort, `${host}:443`);
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect(raw ? { socket: raw, servername: host, ca } : { host: '127.0.0.1', port: directPort, servername: host, ca });
    let data = '';
    s.once('secureConnect', () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.once('end', () => {
      s.destroy();
      data.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(data.slice(0, 40)));
    });
    s.once('error', reject);
  });
  return performance.now() - t;
}

/** New connections per second with `workers` in parallel. */
export function freshRate(proxyPort: number | null, host: string, directPort: number, ca: string, workers: number, durationMs: number): Promise<Throughput> {
  return runLoops(workers, durationMs, () => freshRequest(proxyPort, host, directPort, ca));
}
