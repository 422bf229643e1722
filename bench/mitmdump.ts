/**
 * mitmproxy's mitmdump as a contender in the same run, when it is installed (Debian: `apt-get
 * install mitmproxy`). It runs quiet, trusts the bench's upstream CA, and an addon sends every
 * upstream connection to the local upstream (keeping the SNI), as --host-resolver-rules does for
 * pinaudit. Missing mitmdump is reported, never a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export interface Mitmdump {
  child: ChildProcess;
  port: number;
  caPem: string;
  version: string;
}

/** The installed mitmdump's version line, or null when there is none. */
export function mitmdumpVersion(): string | null {
  const r = spawnSync('mitmdump', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return /Mitmproxy:\s*(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mitmdump exited ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error('mitmdump did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts mitmdump, or returns null when it is not installed. */
export async function startMitmdump(dir: string, upstreamCaPath: string, upstreamPort: number, track: (c: ChildProcess) => void): Promise<Mitmdump | null> {
  const version = mitmdumpVersion();
  if (version === null) return null;
  mkdirSync(dir, { recursive: true });
  const addon = join(dir, 'local_upstream.py');
  writeFileSync(
    addon,
    `def server_connect(data):\n    data.server.address = ("127.0.0.1", ${upstreamPort})\n`,
  );
  const port = await freePort();
  const child = spawn(
    'mitmdump',
    ['-q', '--listen-host', '127.0.0.1', '--listen-port', String(port), '--set', `confdir=${dir}`,
      '--set', `ssl_verify_upstream_trusted_ca=${upstreamCaPath}`, '--set', 'flow_detail=0', '-s', addon],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  track(child);
  await waitForPort(port, child, 30_000);
  const caPath = join(dir, 'mitmproxy-ca-cert.pem');
  if (!existsSync(caPath)) throw new Error(`mitmdump made no CA at ${caPath}`);
  return { child, port, caPem: readFileSync(caPath, 'utf8'), version };
}
