/**
 * `pinaudit fleet migrate|status|prune URL` — the fleet database: create or upgrade its schema, list
 * the instances shipping to it, and apply retention to the whole fleet at once. URL is a
 * postgres:// URL (or PINAUDIT_SHIP_TO); credentials come from it or the PG* variables and are
 * never printed.
 */
import { PinauditError } from '../errors.js';
import { migrateFleet } from '../fleet/migrate.js';
import { connectFleet, fleetTarget, type FleetDb } from '../fleet/pg.js';
import { countFleetPrunable, pruneFleet } from '../fleet/prune.js';
import { queueLine, queueSummaries } from '../fleet/crawl-queue.js';
import { dayKey, parseDay } from '../store/index.js';
import type { Command } from './command.js';
import { plural } from '../plural.js';

const options = {
  before: { type: 'string', value: 'DATE', help: 'prune: remove raw rows recorded before DATE (YYYY-MM-DD, local time)' },
  yes: { type: 'boolean', short: 'y', help: 'prune: really remove them' },
} as const;

const ACTIONS = ['migrate', 'status', 'prune'] as const;
type Action = (typeof ACTIONS)[number];

export const fleetCommand: Command<typeof options> = {
  name: 'fleet',
  summary: 'the fleet database: migrate, status, prune (pinaudit fleet --help)',
  usage: 'pinaudit fleet (migrate | status | prune --before YYYY-MM-DD --yes) [postgres://…]',
  about: `Many pinaudit instances (--ship-to) feed one PostgreSQL database.
  migrate  create or upgrade its schema (migrations/postgres/); instances shipping to it do this too
  status   list the instances that shipped to it, with their row counts and last shipment, and
           the shared crawl queues with their sites by state
  prune    remove raw rows (requests, identifier links, line items) recorded before a day, for
           every instance at once; daily counts, tunnel counts and switch history are kept
The URL defaults to PINAUDIT_SHIP_TO. User, password, host, port and database missing from it come
from PGUSER, PGPASSWORD, PGHOST, PGPORT and PGDATABASE. Nothing printed holds the password.`,
  options,
  positionals: { min: 1, max: 2, missing: 'say what to do: migrate, status or prune', tooMany: 'give one action and one URL' },
  examples: [
    'pinaudit fleet migrate postgres://pinaudit@db.lab:5432/pinaudit',
    'PGPASSWORD=… pinaudit fleet status postgres://pinaudit@db.lab/pinaudit',
    'pinaudit fleet prune postgres://pinaudit@db.lab/pinaudit --before 2025-01-01 --yes',
  ],
  exitCodes: '0 done, 1 the database could not be reached or used, 2 usage error or --yes missing.',
  async run({ values, positionals, env, io }) {
    const action = positionals[0] as Action;
    if (!ACTIONS.includes(action)) throw new PinauditError('USAGE', `unknown action ${JSON.stringify(action)}: migrate, status or prune`);
    const url = positionals[1] ?? env.PINAUDIT_SHIP_TO;
    if (url === undefined || url === '') throw new PinauditError('USAGE', 'give the fleet database: pinaudit fleet ACTION postgres://… (or PINAUDIT_SHIP_TO)');
    const target = fleetTarget(url, env, 'fleet');
    const cutoff = action === 'prune' ? pruneCutoff(values.before) : null;
    const db = await connectFleet(target, 'pinaudit fleet');
    try {
      if (action === 'migrate') {
        const report = await migrateFleet(db);
        io.stdout(
          report.applied.length === 0
            ? `${target.label} is up to date (${report.current.length} migrations).\n`
            : `${target.label}: applied ${report.applied.join(', ')}.\n`,
        );
        return 0;
      }
      await migrateFleet(db, { apply: false });
      if (action === 'status') {
        io.stdout(await status(db, target.label));
        return 0;
      }
      const { time, day } = cutoff!;
      if (values.yes !== true) {
        const n = await countFleetPrunable(db, time);
        io.stderr(`This would remove ${plural(n, 'raw request')} recorded before ${day} from ${target.label}, for every instance.\nNothing was removed; run again with --yes to do it.\n`);
        return 2;
      }
      const r = await pruneFleet(db, time, day);
      io.stdout(`Removed from before ${day}: ${plural(r.requests, 'request')}, ${plural(r.identifiers, 'identifier')}, ${plural(r.pages, 'page')}. Daily counts are kept.\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};

function pruneCutoff(before: string | undefined): { time: number; day: string } {
  if (before === undefined) throw new PinauditError('USAGE', 'prune needs --before YYYY-MM-DD');
  const time = parseDay(before);
  if (time === null) throw new PinauditError('USAGE', `--before must be a date like 2025-01-31, not ${JSON.stringify(before)}`);
  return { time, day: dayKey(time) };
}

async function status(db: FleetDb, label: string): Promise<string> {
  const rows = await db.query<{ id: string; name: string; last_seen: string; requests: string }>(
    `SELECT i.id, i.name, i.last_seen, (SELECT count(*) FROM requests r WHERE r.instance_id = i.id) AS requests
     FROM instance i ORDER BY i.name, i.id`,
  );
  const lines = rows.map((r) => `  ${r.name}  ${r.id}  ${plural(Number(r.requests), 'request')} stored  last shipment ${new Date(Number(r.last_seen)).toISOString()}`);
  const queues = (await queueSummaries(db)).map((q) => `  ${queueLine(q.name, q.progress)}`);
  return [`${label}: ${plural(rows.length, 'instance')}`, ...lines, ...(queues.length > 0 ? ['crawl queues:', ...queues] : []), ''].join('\n');
}
