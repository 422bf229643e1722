/**
 * `pinaudit inspect <url> [--method M] [--referer R] [--origin O] [--cookie C] [--header 'k: v']…
 * [--body B | --body-file F]`: classifies one hand-made request and prints its Finding as JSON —
 * the same Finding the proxy would store, so a user can ask "what would this request leak?"
 * without a browser. Credentials are fingerprinted with this install's secret, as in the proxy.
 */
import { readFileSync } from 'node:fs';
import { messageOf, PinauditError } from '../errors.js';
import { buildObservation, classify, createFingerprinter, loadOrCreateSecret } from '../classify/index.js';
import type { Command, Values } from './command.js';

const options = {
  method: { type: 'string', value: 'M', help: 'request method (default GET, or POST with a body)' },
  referer: { type: 'string', value: 'R', help: 'Referer header' },
  origin: { type: 'string', value: 'O', help: 'Origin header' },
  cookie: { type: 'string', value: 'C', help: 'Cookie header ("a=1; b=2")' },
  header: { type: 'string', multiple: true, value: "'k: v'", help: 'any header; repeatable' },
  body: { type: 'string', value: 'B', help: 'request body' },
  'body-file': { type: 'string', value: 'F', help: 'request body read from a file' },
} as const;

export const inspectCommand: Command<typeof options> = {
  name: 'inspect',
  summary: 'classify one request and print the Finding as JSON (pinaudit inspect --help)',
  usage: 'pinaudit inspect <url> [options]',
  about: 'Classifies one request as the proxy would and prints the Finding as JSON.',
  options,
  positionals: { min: 1, max: 1, missing: 'a URL is required', tooMany: 'exactly one URL is expected' },
  examples: [
    "pinaudit inspect 'https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout' --referer https://shop.example/cart",
  ],
  exitCodes: '0 printed, 1 runtime failure, 2 usage error.',
  async run({ values, positionals, config, io }) {
    const request = inspectRequest(positionals[0]!, values);
    const observation = buildObservation({
      url: request.url,
      ...(request.method !== undefined ? { method: request.method } : {}),
      headers: request.headers,
      body: request.body,
      id: 'inspect',
      client: 'inspect',
    });
    const fingerprint = createFingerprinter(loadOrCreateSecret(config.dataDir));
    const finding = classify(observation, { fingerprint, recentPage: null });
    io.stdout(`${JSON.stringify(finding, null, 2)}\n`);
    return 0;
  },
};

interface InspectRequest {
  url: string;
  method: string | undefined;
  headers: [string, string][];
  body: Buffer | null;
}

/** Turns the command line into a request; throws coded errors (USAGE, FILE_UNREADABLE). */
function inspectRequest(url: string, values: Values<typeof options>): InspectRequest {
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
