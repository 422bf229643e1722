/**
 * `pinaudit purge [--before YYYY-MM-DD | --all] --yes` — forget recorded data at the user's request.
 * Without `--yes` it only says what would be removed. Exit codes: 0 done, 1 the database could not
 * be used, 2 usage (including a missing `--yes`).
 */
import { existsSync } from 'node:fs';
import { openDatabase } from '../store/db.js';
import { StoreError, messageOf } from '../store/errors.js';
import { purge, type PurgeOptions } from '../store/retention.js';

/** Where the command writes. */
export interface CommandIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export const PURGE_HELP = `Usage: pinaudit purge (--before YYYY-MM-DD | --all) --yes

Forget recorded data. --before removes everything recorded before that local date (requests,
identifiers, pages, daily counts and visited-site counts); --all removes all of it. Settings are kept.
Without --yes nothing is removed: pinaudit says what would be.

Options:
  --before DATE   remove data from before DATE (YYYY-MM-DD, local time)
  --all           remove all recorded data
  --yes, -y       really remove it
  --help, -h      show this help

Examples:
  pinaudit purge --before 2025-01-01 --yes
  pinaudit purge --all --yes

Exit codes: 0 done, 1 the database could not be used, 2 usage error or --yes missing.
`;

interface Parsed {
  target: PurgeOptions;
  label: string;
  yes: boolean;
}

/** Runs `pinaudit purge`; returns the exit code. */
export async function purgeCommand(argv: string[], io: CommandIo, dbPath: string): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(PURGE_HELP);
    return 0;
  }
  const parsed = parse(argv);
  if (typeof parsed === 'string') {
    io.stderr(`pinaudit purge: ${parsed}\n\n${PURGE_HELP}`);
    return 2;
  }
  if (!existsSync(dbPath)) {
    io.stdout(`No database at ${dbPath}: nothing to purge.\n`);
    return 0;
  }
  try {
    const { db } = openDatabase(dbPath);
    try {
      if (!parsed.yes) {
        const cutoff = parsed.target.all ? Number.MAX_SAFE_INTEGER : parsed.target.before.getTime();
        const n = db.prepare('SELECT count(*) FROM requests WHERE time < ?').pluck().get(cutoff) as number;
        io.stderr(
          `This would remove ${n} recorded request${n === 1 ? '' : 's'} and all other data ${parsed.label} ` +
            `from ${dbPath}.\nNothing was removed; run again with --yes to do it.\n`,
        );
        return 2;
      }
      const r = purge(db, parsed.target);
      io.stdout(
        `Removed ${parsed.label}: ${r.requests} requests, ${r.identifiers} identifiers, ${r.pages} pages, ` +
          `${r.rollups} daily counts, ${r.tunnels} visited-site counts.\n`,
      );
      return 0;
    } finally {
      db.close();
    }
  } catch (err: unknown) {
    const code = err instanceof StoreError ? ` (${err.code})` : '';
    io.stderr(`pinaudit purge: ${messageOf(err)}${code}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]): Parsed | string {
  let before: string | null = null;
  let all = false;
  let yes = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--all') all = true;
    else if (arg === '--yes' || arg === '-y') yes = true;
    else if (arg === '--before') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) return '--before needs a date (YYYY-MM-DD)';
      before = value;
      i += 1;
    } else if (arg.startsWith('--before=')) before = arg.slice('--before='.length);
    else return `unknown argument ${JSON.stringify(arg)}`;
  }
  if (all && before !== null) return 'give either --before or --all, not both';
  if (all) return { target: { all: true }, label: 'from all time', yes };
  if (before === null) return 'say what to remove: --before YYYY-MM-DD or --all';
  const date = parseDate(before);
  if (!date) return `--before must be a date like 2025-01-31, not ${JSON.stringify(before)}`;
  return { target: { before: date }, label: `from before ${before}`, yes };
}

/** A `YYYY-MM-DD` string as local midnight, or null when it is not a real date. */
function parseDate(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date;
}
