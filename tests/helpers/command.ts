/**
 * Runs one command of the table in-process, through the same helper as the binary, with captured
 * output and an empty environment (so the machine's PINAUDIT_* variables cannot leak in).
 */
import type { Writable } from 'node:stream';
import { runCommand, type AnyCommand } from '../../src/commands/index.js';

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runIn(
  command: AnyCommand,
  argv: string[],
  options: { env?: Record<string, string>; stream?: Writable; columns?: number | null } = {},
): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (s: string) => void (stdout += s),
    stderr: (s: string) => void (stderr += s),
    ...(options.stream ? { stream: options.stream } : {}),
    columns: options.columns ?? null,
  };
  const code = await runCommand(command, argv, io, options.env ?? {});
  return { code, stdout, stderr };
}
