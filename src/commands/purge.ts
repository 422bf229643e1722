/**
 * `pinaudit purge [--before YYYY-MM-DD | --all] --yes` — forget recorded data at the user's request.
 * Without `--yes` it only says what would be removed. Exit codes: 0 done, 1 the database could not
 * be used, 2 usage (including a missing `--yes`).
 */
import { existsSync } from 'node:fs';
import { databasePath } from '../app.js';
import { PinauditError } from '../errors.js';
import { countPurgeable, openDatabase, parseDay, purge, type PurgeOptions } from '../store/index.js';
import type { Command } from './command.js';
import { plural } from '../plural.js';

const options = {
  before: { type: 'string', value: 'DATE', help: 'remove data from before DATE (YYYY-MM-DD, local time)' },
  all: { type: 'boolean', help: 'remove all recorded data' },
  yes: { type: 'boolean', short: 'y', help: 'really remove it' },
} as const;

export const purgeCommand: Command<typeof options> = {
  name: 'purge',
  summary: 'forget recorded data: --before YYYY-MM-DD or --all, with --yes (pinaudit purge --help)',
  usage: 'pinaudit purge (--before YYYY-MM-DD | --all) --yes',
  about: `Forget recorded data. --before removes everything recorded before that local date (requests,
identifiers, pages, daily counts and visited-site counts); --all removes all of it. Settings are kept.
Without --yes nothing is removed: pinaudit says what would be.`,
  options,
  examples: ['pinaudit purge --before 2025-01-01 --yes', 'pinaudit purge --all --yes'],
  exitCodes: '0 done, 1 the database could not be used, 2 usage error or --yes missing.',
  async run({ values, config, io }) {
    const { target, label } = purgeTarget(values.before, values.all === true);
    const dbPath = databasePath(config);
    if (!existsSync(dbPath)) {
      io.stdout(`No database at ${dbPath}: nothing to purge.\n`);
      return 0;
    }
    const { db } = openDatabase(dbPath);
    try {
      if (values.yes !== true) {
        const n = countPurgeable(db, target);
        io.stderr(
          `This would remove ${plural(n, 'recorded request')} and all other data ${label} ` +
            `from ${dbPath}.\nNothing was removed; run again with --yes to do it.\n`,
        );
        return 2;
      }
      const r = purge(db, target);
      io.stdout(
        `Removed ${label}: ${plural(r.requests, 'request')}, ${plural(r.identifiers, 'identifier')}, ${plural(r.pages, 'page')}, ` +
          `${plural(r.rollups, 'daily count')}, ${plural(r.tunnels, 'visited-site count')}.\n`,
      );
      return 0;
    } finally {
      db.close();
    }
  },
};

function purgeTarget(before: string | undefined, all: boolean): { target: PurgeOptions; label: string } {
  if (all && before !== undefined) throw new PinauditError('USAGE', 'give either --before or --all, not both');
  if (all) return { target: { all: true }, label: 'from all time' };
  if (before === undefined) throw new PinauditError('USAGE', 'say what to remove: --before YYYY-MM-DD or --all');
  const day = parseDay(before);
  if (day === null) throw new PinauditError('USAGE', `--before must be a date like 2025-01-31, not ${JSON.stringify(before)}`);
  return { target: { before: new Date(day) }, label: `from before ${before}` };
}
