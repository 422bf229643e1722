/**
 * `pinaudit export --format csv [filters] [--redact] [--out FILE]`: the recorded requests as the
 * dashboard's CSV export (same columns, src/export/csv.ts), oldest first, streamed from the
 * database with backpressure so a million rows never sit in memory. Exit codes: 0 written,
 * 1 no database / write failure, 2 usage.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { offsiteStateAt } from '../advice/summary.js';
import { databasePath } from '../app.js';
import { messageOf, PinauditError } from '../errors.js';
import { CSV_SCHEMA_VERSION, writeCsv } from '../export/csv.js';
import { parseWhen as parseTime, type RequestFilter, type RequestRow } from '../store/index.js';
import { CATEGORY_FILTERS, DECISION_FILTERS } from '../types.js';
import type { Command, Io, Values } from './command.js';
import { SOURCE_OPTIONS, withReadQueries } from './database.js';
import { CRAWL_OPTION, exportCrawl, refuseCrawlOverFleet } from './crawl-output.js';

const options = {
  format: { type: 'string', value: 'csv', help: 'output format (only csv; the default)' },
  from: { type: 'string', value: 'WHEN', help: 'only requests at or after WHEN' },
  to: { type: 'string', value: 'WHEN', help: 'only requests before WHEN; a bare date includes that whole day' },
  site: { type: 'string', value: 'SITE', help: 'only requests caused by pages of SITE (registrable domain, e.g. shop.example)' },
  category: { type: 'string', value: 'C', help: CATEGORY_FILTERS.join(', ') },
  decision: { type: 'string', value: 'D', help: DECISION_FILTERS.join(', ') },
  redact: { type: 'boolean', help: 'replace identifier values and order ids with placeholders (for sharing)' },
  out: { type: 'string', value: 'FILE', help: 'write to FILE (replaced only once the export is complete)' },
  crawl: CRAWL_OPTION,
  ...SOURCE_OPTIONS,
} as const;

export const exportCommand: Command<typeof options> = {
  name: 'export',
  summary: 'write recorded requests as CSV to stdout or --out FILE (pinaudit export --help)',
  usage: 'pinaudit export --format csv [options] [--out FILE] [--source postgres://… [--instance NAME]]',
  about: `Writes the recorded Pinterest requests as CSV, oldest first: the same columns as the dashboard's
"Export CSV" (schema version ${CSV_SCHEMA_VERSION}; the first row is the header, documented in the README).
To stdout unless --out is given. With --source, the requests of the fleet's PostgreSQL (every
instance shipping to it, or one), with the same columns.

WHEN is a local date (2025-06-01) or an ISO 8601 time (2025-06-01T14:00:00Z).`,
  options,
  examples: [
    'pinaudit export --format csv > audit.csv',
    'pinaudit export --from 2025-06-01 --to 2025-06-30 --site shop.example --out june.csv',
    'pinaudit export --category tag --decision allow --redact | less',
    'pinaudit export --source postgres://pinaudit@db.lab/pinaudit --instance lab-a --out lab-a.csv',
  ],
  exitCodes: '0 written, 1 no database (or the fleet\'s cannot be read) or the output could not be written, 2 usage error.',
  async run({ values, config, env, io }) {
    if (values.crawl !== undefined) {
      refuseCrawlOverFleet(values.source);
      if ((values.format ?? 'csv') !== 'csv') throw new PinauditError('USAGE', `--format must be csv, not ${JSON.stringify(values.format)}`);
      return await exportCrawl(config, values.crawl, values.out ?? null, io);
    }
    const filter = exportFilter(values);
    const redact = values.redact === true;
    const out = values.out ?? null;
    return await withReadQueries(databasePath(config), values, env, async (queries) => {
      const switchState = await offsiteStateAt(queries.advice);
      if (out === null) {
        await stream(queries.iterate(filter), io.stream ?? textStream(io), redact, switchState);
        return 0;
      }
      // Write beside the target and rename: a failed export never leaves half a file behind.
      const temp = `${out}.${process.pid}.partial`;
      const file = createWriteStream(temp, { mode: 0o600 });
      try {
        await stream(queries.iterate(filter), file, redact, switchState);
        file.end();
        await once(file, 'finish');
        renameSync(temp, out);
      } catch (err: unknown) {
        file.destroy();
        rmSync(temp, { force: true });
        throw new PinauditError('FILE_UNREADABLE', `cannot write ${out}: ${messageOf(err)}`, { cause: err });
      }
      return 0;
    });
  },
};

/** `io.stdout` as a stream, for an Io that has no stream of its own. */
function textStream(io: Io): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      io.stdout(chunk.toString('utf8'));
      done();
    },
  });
}

/** Writes the CSV to `out`, waiting for 'drain' whenever its buffer is full. */
async function stream(
  rows: Iterable<RequestRow> | AsyncIterable<RequestRow>,
  out: Writable,
  redact: boolean,
  switchState: (time: number) => 'on' | 'off' | 'unknown',
): Promise<void> {
  let failed: Error | null = null;
  const onError = (err: Error): void => {
    failed = err;
  };
  out.on('error', onError);
  try {
    await writeCsv(
      rows,
      (chunk) => {
        if (failed) throw failed;
        return out.write(chunk);
      },
      {
        redact,
        switchState,
        drain: () =>
          new Promise<void>((resolve, reject) => {
            const done = (): void => {
              out.off('drain', done);
              out.off('error', fail);
              out.off('close', done);
              resolve();
            };
            const fail = (err: Error): void => {
              out.off('drain', done);
              out.off('close', done);
              reject(err);
            };
            out.once('drain', done);
            out.once('close', done);
            out.once('error', fail);
          }),
      },
    );
    if (failed) throw failed;
  } finally {
    out.off('error', onError);
  }
}

function exportFilter(values: Values<typeof options>): RequestFilter {
  if (values.format !== undefined && values.format !== 'csv') throw new PinauditError('USAGE', `--format must be csv, not ${JSON.stringify(values.format)}`);
  const filter: RequestFilter = {};
  if (values.from !== undefined) filter.from = parseWhen(values.from, 'from');
  if (values.to !== undefined) filter.to = parseWhen(values.to, 'to');
  if (filter.from != null && filter.to != null && filter.to <= filter.from) throw new PinauditError('USAGE', '--to must be after --from');
  if (values.site !== undefined) {
    if (!/^[a-z0-9.-]{1,253}$/i.test(values.site)) throw new PinauditError('USAGE', `--site must be a site name like shop.example, not ${JSON.stringify(values.site)}`);
    filter.site = values.site.toLowerCase();
  }
  if (values.category !== undefined) filter.category = oneOf(values.category, CATEGORY_FILTERS, 'category');
  if (values.decision !== undefined) filter.decision = oneOf(values.decision, DECISION_FILTERS, 'decision');
  return filter;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new PinauditError('USAGE', `--${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

/** A command-line time (see store/days.ts `parseWhen`); throws a USAGE error naming the flag. */
export function parseWhen(text: string, flag: string, end = flag === 'to'): number {
  const t = parseTime(text, end);
  if (t !== null) return t;
  throw new PinauditError('USAGE', `--${flag} must be a date (2025-06-01) or an ISO 8601 time (2025-06-01T14:00:00Z), not ${JSON.stringify(text)}`);
}
