/**
 * Runs the real, compiled `pinaudit` binary as a child process. `npm test` builds first; a missing
 * build is a loud failure, never a skip.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/pinaudit.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): Spawned {
  requireBuild();
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: async (text, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      const hit = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
      while (!hit()) {
        if (Date.now() > until || child.exitCode !== null) {
          throw new Error(`waiting for ${String(text)}; stdout: ${out}; stderr: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return out;
    },
  };
}

/** Runs to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnCli(args, env);
  const { code } = await s.exited;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}
