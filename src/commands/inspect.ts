/**
 * `pinaudit inspect <url> [--method M] [--referer R] [--origin O] [--cookie C] [--header 'k: v']…
 * [--body B | --body-file F]`: classifies one hand-made request and prints its Finding as JSON —
 * the same Finding the proxy would store, so a user can ask "what would this request leak?"
 * without a browser. Credentials are fingerprinted with this install's secret, as in the proxy.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitCodeOf, messageOf, PinauditError } from '../errors.js';
import { buildObservation, classify, createFingerprinter, loadOrCreateSecret } from '../classify/index.js';

export interface InspectIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = [
  'Usage: pinaudit inspect <url> [options]',
  '',
  'Classifies one request as the proxy would and prints the Finding as JSON.',
  '',
  '  --method M        request method (default GET, or POST with a body)',
  '  --referer R       Referer header',
  '  --origin O        Origin header',
  '  --cookie C        Cookie header ("a=1; b=2")',
  "  --header 'k: v'   any header; repeatable",
  '  --body B          request body',
  '  --body-file F     request body read from a file',
  '',
].join('\n');

/** Runs `pinaudit inspect`; returns the exit code (0 ok, 1 runtime failure, 2 usage). Never throws. */
export async function inspectCommand(argv: string[], io: InspectIo, dataDir: string): Promise<number> {
  try {
    const request = parseInspectArgs(argv);
    if (request === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    const observation = buildObservation({
      url: request.url,
      ...(request.method !== undefined ? { method: request.method } : {}),
      headers: request.headers,
      body: request.body,
      id: 'inspect',
      client: 'inspect',
    });
    const fingerprint = createFingerprinter(loadOrCreateSecret(dataDir));
    const finding = classify(observation, { fingerprint, recentPage: null });
    io.stdout(`${JSON.stringify(finding, null, 2)}\n`);
    return 0;
  } catch (err) {
    io.stderr(`pinaudit inspect: ${messageOf(err)}\n`);
    if (err instanceof PinauditError && err.code === 'USAGE') io.stderr('See pinaudit inspect --help.\n');
    return exitCodeOf(err);
  }
}

interface InspectRequest {
  url: string;
  method: string | undefined;
  headers: [string, string][];
  body: Buffer | null;
}

/** Parses the command line into a request; throws coded errors (USAGE, FILE_UNREADABLE). */
export function parseInspectArgs(argv: string[]): InspectRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        method: { type: 'string' },
        referer: { type: 'string' },
        origin: { type: 'string' },
        cookie: { type: 'string' },
        header: { type: 'string', multiple: true },
        body: { type: 'string' },
        'body-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new PinauditError('USAGE', messageOf(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new PinauditError('USAGE', positionals.length === 0 ? 'a URL is required' : 'exactly one URL is expected');
  }
  const url = positionals[0] as string;
  if (!/^https?:\/\/[^/?#\s]/i.test(url) || !URL.canParse(url)) {
    throw new PinauditError('USAGE', `not an absolute http(s) URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (values.method !== undefined && !/^[A-Za-z]{1,16}$/.test(values.method)) {
    throw new PinauditError('USAGE', `--method must be a method name such as GET or POST, got ${JSON.stringify(values.method)}`);
  }
  if (values.body !== undefined && values['body-file'] !== undefined) {
    throw new PinauditError('USAGE', '--body and --body-file cannot be used together');
  }
  const headers: [string, string][] = [];
  for (const raw of values.header ?? []) {
    const colon = raw.indexOf(':');
    const name = colon === -1 ? '' : raw.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new PinauditError('USAGE', `--header must look like 'Name: value', got ${JSON.stringify(raw)}`);
    }
    headers.push([name, raw.slice(colon + 1).trim()]);
  }
  if (values.referer !== undefined) headers.push(['referer', values.referer]);
  if (values.origin !== undefined) headers.push(['origin', values.origin]);
  if (values.cookie !== undefined) headers.push(['cookie', values.cookie]);
  return { url, method: values.method, headers, body: readBody(values.body, values['body-file']) };
}

function readBody(body: string | undefined, file: string | undefined): Buffer | null {
  if (body !== undefined) return Buffer.from(body, 'utf8');
  if (file === undefined) return null;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new PinauditError('FILE_UNREADABLE', `cannot read --body-file ${file}: ${messageOf(err)}`, { cause: err });
  }
}
