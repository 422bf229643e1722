/**
 * One set of read queries for two engines. Each read is written once as a *plan*: a generator that
 * yields the statements it needs (SQL text and named `@parameters`) and receives their rows, so the
 * same code runs synchronously over the local SQLite (better-sqlite3) and asynchronously over the
 * fleet's PostgreSQL (src/fleet/pg.ts). The SQL keeps to what both engines read alike: CASE rather
 * than boolean arithmetic, `1 = 1` rather than `1`, an alias on every subquery, every grouped column
 * named, `string_agg`, window functions. The only differences are the {@link Dialect} hooks below:
 * the fleet holds the rows of many instances, so its table references can be narrowed to one
 * instance, its joins match the instance too, and its per-row keys lead with the instance; a
 * search ignores case with each engine's own operator; and SQLite keeps each sentence of a
 * request's reasons once, where the fleet keeps the list of texts on the row.
 */
import { reasonsText } from './reasons.js';

/** A row as an engine returns it, before a plan gives it a type. */
export type SqlRow = Record<string, unknown>;

/** One statement a plan asks for. */
export interface SqlStep {
  readonly sql: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A read written once for both engines; see the module note. */
export type Plan<T> = Generator<SqlStep, T, SqlRow[]>;

/** The rows of one statement, typed as `T`. */
export function* rows<T>(sql: string, params: object): Generator<SqlStep, T[], SqlRow[]> {
  return (yield { sql, params: params as Record<string, unknown> }) as T[];
}

/** The first row of one statement, if any. */
export function* row<T>(sql: string, params: object): Generator<SqlStep, T | undefined, SqlRow[]> {
  const all = yield* rows<T>(sql, params);
  return all[0];
}

/** What differs between one instance's SQLite and the fleet's PostgreSQL (see the module note). */
export interface Dialect {
  readonly engine: 'sqlite' | 'postgres';
  /** A table in a FROM clause under `alias` (in the fleet: the selected instance's rows only). */
  from(table: string, alias?: string): string;
  /** Added to a join condition between rows of `a` and `b`: the same instance. */
  same(a: string, b: string): string;
  /** Leading key columns naming a row's instance, for GROUP BY and SELECT lists (`alias.` optional). */
  key(alias?: string): string;
  /** A leading output column `instanceId` (nothing on one machine: its rows need no instance). */
  instanceColumn(alias: string): string;
  /** A row's instance as a value: `''` on one machine. */
  instanceOf(alias: string): string;
  /** A trailing ORDER BY term making the order total across instances (nothing on one machine). */
  tiebreak(alias: string, dir?: 'ASC' | 'DESC'): string;
  /** LIKE that ignores case (SQLite's LIKE already does for ASCII; PostgreSQL's needs ILIKE). */
  readonly like: 'LIKE' | 'ILIKE';
  /** A request's reasons as a JSON array of texts (SQLite keeps each sentence once: reasons.ts). */
  reasons(alias: string): string;
  /**
   * Added to a condition that finds requests by flow id: SQLite's flow-id index holds only labelled
   * requests (a crawl's: migration 014), and a query must say so for SQLite to use it.
   */
  byFlow(alias: string): string;
}

/** One machine's SQLite: plain table names, no instance anywhere. */
export const SQLITE: Dialect = {
  engine: 'sqlite',
  from: (table, alias = table) => (alias === table ? table : `${table} ${alias}`),
  same: () => '',
  key: () => '',
  instanceColumn: () => '',
  instanceOf: () => "''",
  tiebreak: () => '',
  like: 'LIKE',
  reasons: reasonsText,
  byFlow: (alias) => ` AND ${alias}.labelled = 1`,
};

/**
 * The fleet's PostgreSQL. Every table reference reads the instance chosen by the `@instance`
 * parameter (an instance id or name; empty for all), which the fleet executor always supplies;
 * PostgreSQL flattens these subqueries, so the tables' indexes serve as before.
 */
export const POSTGRES: Dialect = {
  engine: 'postgres',
  from: (table, alias = table) =>
    `(SELECT * FROM ${table} WHERE @instance = '' OR instance_id IN (SELECT id FROM instance WHERE @instance IN (id, name))) ${alias}`,
  same: (a, b) => ` AND ${a}.instance_id = ${b}.instance_id`,
  key: (alias) => `${alias ? `${alias}.` : ''}instance_id, `,
  instanceColumn: (alias) => `${alias}.instance_id AS instanceId, `,
  instanceOf: (alias) => `${alias}.instance_id`,
  tiebreak: (alias, dir = 'ASC') => `, ${alias}.instance_id ${dir}`,
  like: 'ILIKE',
  reasons: (alias) => `${alias}.reasons`,
  byFlow: () => '',
};

/** Runs statements at once (SQLite). */
export interface SyncExecutor {
  all(sql: string, params: Readonly<Record<string, unknown>>): SqlRow[];
}

/** Runs statements over the network (PostgreSQL). */
export interface AsyncExecutor {
  all(sql: string, params: Readonly<Record<string, unknown>>): Promise<SqlRow[]>;
}

/** Runs a plan to its end on a synchronous engine. */
export function runSync<T>(ex: SyncExecutor, plan: Plan<T>): T {
  let step = plan.next(undefined as unknown as SqlRow[]);
  while (!step.done) step = plan.next(ex.all(step.value.sql, step.value.params));
  return step.value;
}

/** Runs a plan to its end on an asynchronous engine. */
export async function runAsync<T>(ex: AsyncExecutor, plan: Plan<T>): Promise<T> {
  let step = plan.next(undefined as unknown as SqlRow[]);
  while (!step.done) step = plan.next(await ex.all(step.value.sql, step.value.params));
  return step.value;
}
