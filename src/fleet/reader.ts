/**
 * The fleet's read side: the store's own read plans (src/store/plan.ts, queries.ts) run over the
 * fleet's PostgreSQL, for `dashboard|report|export --source postgres://…`. Nothing here writes.
 * Before anything is read, the server must be reachable and carry the fleet schema this pinaudit
 * knows (else one clear error: FLEET_UNREACHABLE, or the migration checks' DB_CHANGED / DB_NEWER).
 */
import { PinauditError } from '../errors.js';
import { createFleetQueries, type AsyncExecutor, type FleetQueries, type SqlRow } from '../store/index.js';
import { migrateFleet } from './migrate.js';
import { connectFleet, fleetReadPool, fleetTarget, type FleetReadPool } from './pg.js';

/** One instance shipping to the fleet. */
export interface FleetInstance {
  id: string;
  name: string;
  firstSeen: number;
  lastSeen: number;
}

export interface FleetReader {
  /** `postgres://user@host:port/database`, without the password. */
  readonly label: string;
  /** The read side over every instance (`null`) or one, named by its name or id. */
  queries(instance: string | null): FleetQueries;
  instances(): Promise<FleetInstance[]>;
  close(): Promise<void>;
}

/** Connects to the fleet database named by `url` (PG* variables of `env` fill the gaps) and checks its schema. */
export async function openFleetReader(url: string, env: Readonly<Record<string, string | undefined>>, flag = 'source'): Promise<FleetReader> {
  const target = fleetTarget(url, env, flag);
  const check = await connectFleet(target, 'pinaudit reader');
  try {
    await migrateFleet(check, { apply: false });
  } finally {
    await check.close();
  }
  const pool = fleetReadPool(target, 'pinaudit reader');
  const byInstance = new Map<string, FleetQueries>();
  return {
    label: target.label,
    queries(instance) {
      const key = instance ?? '';
      let q = byInstance.get(key);
      if (q === undefined) {
        q = createFleetQueries(executor(pool, key));
        byInstance.set(key, q);
      }
      return q;
    },
    async instances() {
      const rows = await pool.query<{ id: string; name: string; first_seen: number; last_seen: number }>(
        'SELECT id, name, first_seen, last_seen FROM instance ORDER BY name, id',
      );
      return rows.map((r) => ({ id: r.id, name: r.name, firstSeen: r.first_seen, lastSeen: r.last_seen }));
    },
    close: () => pool.close(),
  };
}

/** Statements of the plans, with the instance filter (`@instance`, plan.ts POSTGRES) always bound. */
function executor(pool: FleetReadPool, instance: string): AsyncExecutor {
  return {
    async all(sql, params) {
      const s = positional(sql);
      const values = s.names.map((n) => (n === 'instance' ? instance : (params[n] ?? null)));
      const rows = await pool.query(s.text, values);
      return s.rename.size === 0 ? rows : rows.map((r) => renamed(r, s.rename));
    },
  };
}

interface Positional {
  /** The SQL with `$1…$n` for the named parameters. */
  text: string;
  /** The parameter name of each position. */
  names: string[];
  /** Lower-cased column names back to the spelling the query used. */
  rename: Map<string, string>;
}

const translated = new Map<string, Positional>();

/**
 * `@name` → `$n` outside quoted strings (better-sqlite3's named parameters, as PostgreSQL numbers
 * them), and the aliases PostgreSQL folds to lower case (`AS thirdParty` → `thirdparty`) noted so
 * that rows come back with the same keys as from SQLite.
 */
export function positional(sql: string): Positional {
  const known = translated.get(sql);
  if (known) return known;
  const names: string[] = [];
  const text = sql.split(/('(?:[^']|'')*')/).map((part, i) => {
    if (i % 2 === 1) return part; // a string literal
    return part.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
      let at = names.indexOf(name);
      if (at < 0) at = names.push(name) - 1;
      return `$${at + 1}`;
    });
  }).join('');
  const rename = new Map<string, string>();
  for (const m of sql.matchAll(/\bAS\s+([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    const name = m[1]!;
    if (name !== name.toLowerCase()) rename.set(name.toLowerCase(), name);
  }
  const out = { text, names, rename };
  if (translated.size > 500) translated.clear();
  translated.set(sql, out);
  return out;
}

function renamed(row: SqlRow, rename: ReadonlyMap<string, string>): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) out[rename.get(k) ?? k] = v;
  return out;
}

/** The instance a filter names, or a NOT_FOUND error listing the ones there are. */
export async function findInstance(reader: FleetReader, nameOrId: string): Promise<FleetInstance[]> {
  const all = await reader.instances();
  const matching = all.filter((i) => i.name === nameOrId || i.id === nameOrId);
  if (matching.length === 0) {
    const names = [...new Set(all.map((i) => i.name))].join(', ') || 'none yet';
    throw new PinauditError('NOT_FOUND', `no instance named ${JSON.stringify(nameOrId)} ships to ${reader.label} (instances: ${names})`);
  }
  return matching;
}
