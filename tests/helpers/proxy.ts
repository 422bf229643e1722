/**
 * Starts the real app in-process (CA, pipeline, proxy) on port 0 with temporary CA and data
 * folders, a silent logger, and a sink stage that records every hook call.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createLogger, routeConsole, type Logger } from '../../src/log.js';
import { startApp, type AppOptions, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Flow, Stage, TunnelEvent } from '../../src/pipeline.js';
import type { Outcome } from '../../src/types.js';

export interface Sink extends Stage {
  requests: Flow[];
  completions: Array<{ flow: Flow; outcome: Outcome }>;
  tunnels: TunnelEvent[];
  /** Resolves once `n` completions have arrived. */
  waitForCompletions(n: number, timeoutMs?: number): Promise<void>;
}

export function makeSink(): Sink {
  const sink: Sink = {
    name: 'test-sink',
    requests: [],
    completions: [],
    tunnels: [],
    request: (flow) => void sink.requests.push(flow),
    complete: (flow, outcome) => void sink.completions.push({ flow, outcome }),
    tunnel: (event) => void sink.tunnels.push(event),
    async waitForCompletions(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (sink.completions.length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} completions, got ${sink.completions.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  return sink;
}

export interface TestProxy {
  app: RunningApp;
  url: string;
  port: number;
  caPem: string;
  caDir: string;
  dataDir: string;
  sink: Sink;
  close(): Promise<void>;
}

export async function startTestProxy(
  flags: Record<string, string | boolean> = {},
  options: AppOptions = {},
  log: Logger = createLogger('silent'),
): Promise<TestProxy> {
  const root = mkdtempSync(join(tmpdir(), 'pinaudit-test-'));
  const caDir = join(root, 'ca');
  const dataDir = join(root, 'data');
  const config = loadConfig({ 'proxy-port': '0', 'dashboard-port': '0', 'ca-dir': caDir, 'data-dir': dataDir, ...flags }, {});
  const sink = makeSink();
  // http-mitm-proxy prints unconditionally; keep test output readable, as the CLI does.
  routeConsole(createLogger('silent'));
  const app = await startApp(config, log, { ...options, extraStages: [...(options.extraStages ?? []), sink] });
  return {
    app,
    port: app.proxy.port,
    url: `http://127.0.0.1:${app.proxy.port}`,
    caPem: readFileSync(join(caDir, 'pinaudit-ca.pem'), 'utf8'),
    caDir,
    dataDir,
    sink,
    close: async () => {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a CONNECT tunnel through the proxy; resolves with the status, the socket, and any bytes
 * that arrived together with the response head (`head`).
 */
export function connectVia(proxyPort: number, target: string): Promise<{ status: number; socket: import('node:net').Socket; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: target });
    req.once('connect', (res, socket, head) => resolve({ status: res.statusCode ?? 0, socket, head }));
    req.once('response', (res) => resolve({ status: res.statusCode ?? 0, socket: res.socket, head: Buffer.alloc(0) }));
    req.once('error', reject);
    req.end();
  });
}

/** TLS through a CONNECT tunnel: the certificate the proxy (or the tunnelled server) presents. */
export async function peerCertificateVia(proxyPort: number, host: string, ca: string): Promise<tls.PeerCertificate> {
  const { status, socket } = await connectVia(proxyPort, `${host}:443`);
  if (status !== 200) throw new Error(`CONNECT answered ${status}`);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ socket, servername: host, ca }, () => {
      const cert = s.getPeerCertificate();
      s.destroy();
      resolve(cert);
    });
    s.once('error', reject);
  });
}
