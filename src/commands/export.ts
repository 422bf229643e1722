/**
 * `pinaudit export --format csv [filters] [--redact] [--out FILE]`: the recorded requests as the
 * dashboard's CSV export (same columns, src/export/csv.ts), oldest first, streamed from the
 * database with backpressure so a million rows never sit in memory. Exit codes: 0 written,
 * 1 no database / write failure, 2 usage.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { exitCodeOf, messageOf, PinauditError } from '../errors.js';
import { CSV_SCHEMA_VERSION, writeCsv } from '../export/csv.js';
import { nextDay } from '../store/days.js';
import type { RequestFilter } from '../store/queries.js';
import { withQueries } from './database.js';
import type { Action, Category } from '../types.js';
import type { CommandIo } from './import.js';

export const EXPORT_HELP = `Usage: pinaudit export --format csv [options] [--out FILE]

Writes the recorded Pinterest requests as CSV, oldest first: the same columns as the dashboard's
"Export CSV" (schema version ${CSV_SCHEMA_VERSION}; the first row is the header, documented in the README).
To stdout unless --out is given.

Options:
  --format csv       output format (only csv; the default)
  --from WHEN        only requests at or after WHEN
  --to WHEN          only requests before WHEN; a bare date includes that whole day
  --site SITE        only requests caused by pages of SITE (registrable domain, e.g. shop.example)
  --category C       tag, tag-script, telemetry, widget, content, first-party, or none
  --decision D       allow, strip, block, or none
  --redact           replace identifier values and order ids with placeholders (for sharing)
  --out FILE         write to FILE (replaced only once the export is complete)
  --data-dir DIR     where the database lives (default ./data; env PINAUDIT_DATA_DIR)
  --help, -h         show this help

WHEN is a local date (2025-06-01) or an ISO 8601 time (2025-06-01T14:00:00Z).

Examples:
  pinaudit export --format csv > audit.csv
  pinaudit export --from 2025-06-01 --to 2025-06-30 --site shop.example --out june.csv
  pinaudit export --category tag --decision allow --redact | less

Exit codes: 0 written, 1 no database or the output could not be written, 2 usage error.
`;

const CATEGORIES = ['tag', 'tag-script', 'telemetry', 'widget', 'content', 'first-party', 'none'] as const;
const DECISIONS = ['allow', 'strip', 'block', 'none'] as const;

interface ExportArgs {
  filter: RequestFilter;
  redact: boolean;
  out: string | null;
}

/** Runs `pinaudit export`; `stdout` is the stream written when there is no --out. Never throws. */
export async function exportCommand(argv: string[], io: CommandIo, dbPath: string, stdout: Writable): Promise<number> {
  try {
    const args = parse(argv);
    if (args === 'help') {
      io.stdout(EXPORT_HELP);
      return 0;
    }
    return await withQueries(dbPath, async (queries) => {
      if (args.out === null) {
        await stream(queries.iterate(args.filter), stdout, args.redact);
        return 0;
      }
      // Write beside the target and rename: a failed export never leaves half a file behind.
      const temp = `${args.out}.${process.pid}.partial`;
      const file = createWriteStream(temp, { mode: 0o600 });
      try {
        await stream(queries.iterate(args.filter), file, args.redact);
        file.end();
        await once(file, 'finish');
        renameSync(temp, args.out);
      } catch (err: unknown) {
        file.destroy();
        rmSync(temp, { force: true });
        throw new PinauditError('FILE_UNREADABLE', `cannot write ${args.out}: ${messageOf(err)}`, { cause: err });
      }
      return 0;
    });
  } catch (err: unknown) {
    // A reader that went away (`| head`) is not a failure.
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return 0;
    io.stderr(`pinaudit export: ${messageOf(err)}\n`);
    if (err instanceof PinauditError && err.code === 'USAGE') io.stderr('See pinaudit export --help.\n');
    return exitCodeOf(err);
  }
}

/** Writes the CSV to `out`, waiting for 'drain' whenever its buffer is full. */
async function stream(rows: Iterable<import('../store/queries.js').RequestRow>, out: Writable, redact: boolean): Promise<void> {
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

function parse(argv: string[]): ExportArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        format: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        site: { type: 'string' },
        category: { type: 'string' },
        decision: { type: 'string' },
        redact: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err: unknown) {
    // node's hint about positionals starting with '-' does not apply here.
    throw new PinauditError('USAGE', messageOf(err).replace(/\. To specify.*$/s, ''));
  }
  if (values.help) return 'help';
  if (values.format !== undefined && values.format !== 'csv') throw new PinauditError('USAGE', `--format must be csv, not ${JSON.stringify(values.format)}`);
  const filter: RequestFilter = {};
  if (values.from !== undefined) filter.from = parseWhen(values.from, 'from');
  if (values.to !== undefined) filter.to = parseWhen(values.to, 'to');
  if (filter.from != null && filter.to != null && filter.to <= filter.from) throw new PinauditError('USAGE', '--to must be after --from');
  if (values.site !== undefined) {
    if (!/^[a-z0-9.-]{1,253}$/i.test(values.site)) throw new PinauditError('USAGE', `--site must be a site name like shop.example, not ${JSON.stringify(values.site)}`);
    filter.site = values.site.toLowerCase();
  }
  if (values.category !== undefined) filter.category = oneOf(values.category, CATEGORIES, 'category') as Category | 'none';
  if (values.decision !== undefined) filter.decision = oneOf(values.decision, DECISIONS, 'decision') as Action | 'none';
  return { filter, redact: values.redact === true, out: values.out ?? null };
}

function oneOf(value: string, allowed: readonly string[], flag: string): string {
  if (!allowed.includes(value)) throw new PinauditError('USAGE', `--${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value;
}

/**
 * A command-line time: `YYYY-MM-DD` is local midnight (for an end bound, the midnight after, so
 * the day is included); anything else must be an ISO 8601 date-time. Throws a USAGE error.
 */
export function parseWhen(text: string, flag: string, end = flag === 'to'): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(y, mo - 1, d);
    if (date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d) {
      return end ? nextDay(date.getTime()) : date.getTime();
    }
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  }
  throw new PinauditError('USAGE', `--${flag} must be a date (2025-06-01) or an ISO 8601 time (2025-06-01T14:00:00Z), not ${JSON.stringify(text)}`);
}

