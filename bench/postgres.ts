/**
 * A real PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder and `pg_ctl start` on a free
 * loopback port, with password (SCRAM) authentication over TCP so that tests see credentials travel
 * the way they do in a fleet. Run as root, the server runs as the `postgres` user (PostgreSQL refuses
 * root). The server is stopped and its folder removed when the test process exits, whatever happens;
 * tests also call `close()` in afterAll.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  /** `postgres://pinaudit:PASSWORD@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  /** A URL to a new, empty database on this server. */
  createDatabase(name: string): string;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): void;
  /** Starts it again on the same port, with its data. */
  start(): void;
  close(): void;
}

/** The folder of the PostgreSQL programs (Debian's `postgresql` package). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): .ci/run installs the postgresql package');
  return join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]): void => {
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
    execFileSync(asRoot ? 'runuser' : join(bin, program), argv, { stdio: 'pipe', cwd: dir });
  };
  let running = false;
  const data = join(dir, 'data');
  const stopNow = (): void => {
    if (!running) return;
    running = false;
    const argv = ['stop', '-D', data, '-m', 'fast', '-w'];
    spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...argv] : argv, { stdio: 'ignore' });
  };
  const cleanup = (): void => {
    stopNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);

  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (asRoot) {
    const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, pgUid, pgGid);
    chownSync(join(dir, 'pwfile'), pgUid, pgGid);
  }
  run('initdb', ['-D', data, '-U', 'pinaudit', '--pwfile', join(dir, 'pwfile'), '--auth-local', 'trust', '--auth-host', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C', '--no-sync']);
  const port = await freePort();
  const start = (): void => {
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`;
    run('pg_ctl', ['start', '-D', data, '-w', '-l', join(dir, 'server.log'), '-o', options]);
    running = true;
  };
  start();
  const base = `postgres://pinaudit:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    port,
    password,
    createDatabase: (name) => {
      run('createdb', ['-h', dir, '-p', String(port), '-U', 'pinaudit', name]);
      return `${base}/${name}`;
    },
    stop: stopNow,
    start,
    close: () => {
      process.off('exit', cleanup);
      cleanup();
    },
  };
}
