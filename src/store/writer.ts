/**
 * The write side: the proxy queues flows here and never waits for the disk. Queued rows are
 * written in one transaction per flush (every `flushIntervalMs`, or soon after `maxBatch` rows are
 * queued). A flush that fails (SQLITE_BUSY, disk full) keeps its rows in memory, up to
 * `maxPending`, and is retried on the next tick; `health()` tells the app so it can warn.
 *
 * Guarantee: after the process is killed, the database opens cleanly and at most the rows queued
 * since the last successful flush (one flush interval) are missing; WAL with synchronous=NORMAL
 * keeps every committed flush.
 */
import { statSync } from 'node:fs';
import type { Outcome } from '../types.js';
import type { Flow, Stage, TunnelEvent } from '../pipeline.js';
import { describeDatabaseError, openDatabase, type Database } from './db.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { dayKey } from './days.js';
import { messageOf } from './errors.js';
import { prune, purge, type PruneReport, type PurgeOptions } from './retention.js';
import { importLedger, type ImportLedger } from './imports.js';
import { toOutcomeColumns, toPending, type OutcomeColumns, type PendingRequest } from './rows.js';
import { createSettingsHandle, type SettingsHandle } from './settings.js';
import { VisitFilter } from './visits.js';
import { isBackgroundHost } from './background-hosts.js';
import { prepareSwitchInsert, writeSwitches, type SwitchRecord } from './switches.js';

export type { SettingsHandle } from './settings.js';
import { prepareWriteStatements, writeBatch, type Batch, type BatchInsert, type WriteStatements } from './write-batch.js';

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** Database file (created with its directory if missing). */
  path: string;
  /** Longest time a queued row waits before it is written. Default 100 ms. */
  flushIntervalMs?: number;
  /** Rows (or completions) queued that trigger a flush without waiting for the interval. Default 500. */
  maxBatch?: number;
  /** Most rows kept in memory while flushes fail; beyond it new rows are dropped (counted). Default 50 000. */
  maxPending?: number;
  /** Overrides the stored `tunnelCounting` setting for this process (e.g. a CLI flag). */
  countTunnels?: boolean;
  /**
   * Overrides the stored `retentionDays` setting for this process; `null` never prunes. Pruning
   * runs when the store opens and then daily.
   */
  retentionDays?: number | null;
  /**
   * The block mode to stamp on a recorded row; default: the stored `blockMode` setting. The crawler
   * stamps each flow with the mode of the browser context that sent it.
   */
  blockMode?: (flow: Flow) => string | null;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
  /** Migrations folder (tests). */
  migrationsDir?: string;
  /** Told before an existing database is upgraded (some migrations rewrite large tables). */
  onUpgrade?: (names: string[]) => void;
}

/** What the app shows when storage is unhealthy. */
export interface StoreHealth {
  /** Rows, completions and tunnel counts waiting in memory. */
  pending: number;
  /** The last flush error, cleared by the next successful flush. */
  lastError: string | null;
  /** Rows dropped because the in-memory bound was reached. */
  dropped: number;
}

/** The store the proxy records into. */
export interface Store {
  readonly path: string;
  /** Queues one flow (after classify and policy ran). Never blocks on disk, never throws. */
  record(flow: Flow): void;
  /**
   * Queues the outcome of a recorded flow: written with its row when the row is still queued, as an
   * update when it was written; one that comes before its flow is recorded waits for the row.
   */
  complete(flow: Flow, outcome: Outcome): void;
  /** Queues the person's privacy switches one exchange showed (migration 008). Never throws. */
  recordSwitches(readings: readonly SwitchRecord[]): void;
  /**
   * Counts a blind tunnel or plain-HTTP request as a visit to its site (per day only), unless
   * tunnel counting is off or it is not a visit (visits.ts: background hosts, subresources).
   */
  tunnel(event: TunnelEvent): void;
  /** Counts a visit known from evidence (a HAR file's entry); only background hosts are left out. */
  visit(event: TunnelEvent): void;
  /** Writes everything queued now, in one transaction. On failure keeps the rows (see health). */
  flush(): void;
  /** Flushes (waiting up to 2 s for locks) and closes. Returns the final health. */
  close(): StoreHealth;
  health(): StoreHealth;
  readonly settings: SettingsHandle;
  /** Prunes raw rows older than the retention period now. */
  prune(): PruneReport | null;
  /** Flushes, then forgets data at the user's request (the dashboard's purge). */
  purge(options: PurgeOptions): PruneReport;
  /** HAR files imported whole, so a re-import counts its visits once. */
  readonly imports: ImportLedger;
}

const MAX_WAITING = 10_000;

/**
 * A store's handle on a flow it recorded (`Flow.recorded`): its row queued (`pending`), written and
 * waiting for its outcome (`rowId`), or neither: done, its outcome written or queued.
 */
interface Tracked {
  readonly store: BatchingStore;
  /** Another store's handle on the same flow (tests record one flow into several stores). */
  readonly next: Tracked | null;
  pending: PendingRequest | null;
  /** Its outcome, when it came while the row was queued. */
  outcome: OutcomeColumns | null;
  rowId: number | null;
}

/** A queued outcome: of a written row (`rowId`), or of a flow that was not recorded when it came. */
interface Completion {
  flow: Flow;
  rowId: number | null;
  outcome: OutcomeColumns;
}
/** Most queued rows (and most outcomes) written in one transaction. */
const FLUSH_CHUNK = 2_000;
const DAY_MS = 86_400_000;

/** Opens (and migrates) the database and returns the store. Throws StoreError on a bad database. */
export function createStore(options: StoreOptions): Store {
  const { db } = openDatabase(options.path, { busyTimeoutMs: 50, migrationsDir: options.migrationsDir, onUpgrade: options.onUpgrade });
  return new BatchingStore(db, options);
}

/** The pipeline stage that records flows, outcomes and tunnels. Put it after classify and policy. */
export function recordStage(store: Store): Stage {
  return {
    name: 'record',
    request(flow) {
      // The classifier said this is not Pinterest traffic: nothing to audit.
      if (flow.finding?.pinterest === false) return;
      store.record(flow);
    },
    complete(flow, outcome) {
      if (flow.finding?.pinterest === false) return;
      store.complete(flow, outcome);
    },
    tunnel(event) {
      store.tunnel(event);
    },
  };
}

class BatchingStore implements Store {
  readonly path: string;
  readonly settings: SettingsHandle;
  readonly #db: Database;
  readonly imports: ImportLedger;
  readonly #stmts: WriteStatements;
  readonly #opts: Required<Pick<StoreOptions, 'flushIntervalMs' | 'maxBatch' | 'maxPending'>>;
  readonly #now: () => number;
  readonly #blockMode: (flow: Flow) => string | null;
  readonly #countTunnels: boolean | undefined;
  readonly #visits = new VisitFilter();
  readonly #retentionDays: number | null | undefined;
  /** Rows queued, oldest first. */
  #inserts: Tracked[] = [];
  /** Outcomes of written rows, and of flows not recorded (yet). */
  #completions: Completion[] = [];
  /** Outcomes that arrived while their row was queued: written with it, counted as pending. */
  #attached = 0;
  #tunnels = new Map<string, { day: string; site: string; count: number }>();
  #switches: SwitchRecord[] = [];
  readonly #switchInsert: ReturnType<typeof prepareSwitchInsert>;
  /** Outcomes that arrived before their flow was recorded. */
  readonly #waiting = new Map<string, OutcomeColumns>();
  #timer: NodeJS.Timeout | null = null;
  /** The checkpoint thread, once the log first reached the size SQLite checkpoints at. */
  #checkpointer: Checkpointer | null = null;
  /** False once a checkpoint thread failed: SQLite checkpoints on this connection again. */
  #handOff = true;
  /** SQLite's own checkpoint threshold on this connection, in pages, and as a log size in bytes. */
  readonly #autoCheckpoint: number;
  readonly #handOffBytes: number;
  #immediate: NodeJS.Immediate | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #lastError: string | null = null;
  #dropped = 0;
  #closed = false;

  constructor(db: Database, options: StoreOptions) {
    this.path = options.path;
    this.#db = db;
    this.imports = importLedger(db);
    this.#stmts = prepareWriteStatements(db);
    this.#switchInsert = prepareSwitchInsert(db);
    this.#opts = {
      flushIntervalMs: options.flushIntervalMs ?? 100,
      maxBatch: options.maxBatch ?? 500,
      maxPending: options.maxPending ?? 50_000,
    };
    this.#now = options.now ?? Date.now;
    this.#countTunnels = options.countTunnels;
    this.#retentionDays = options.retentionDays;
    this.settings = createSettingsHandle(db);
    this.#autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    this.#handOffBytes = this.#autoCheckpoint * (db.pragma('page_size', { simple: true }) as number);
    this.#handOff = this.path !== ':memory:' && this.#autoCheckpoint > 0;
    this.#blockMode = options.blockMode ?? (() => this.settings.get().blockMode);
    if (this.#retentionDays !== null) {
      this.prune();
      this.#pruneTimer = setInterval(() => this.#safePrune(), DAY_MS);
      this.#pruneTimer.unref();
    }
  }

  record(flow: Flow): void {
    if (this.#closed) return;
    // One row per flow.
    if (this.#handle(flow) !== undefined) return;
    if (this.#inserts.length >= this.#opts.maxPending) {
      this.#dropped += 1;
      return;
    }
    try {
      const pending = toPending(flow, this.#blockMode(flow));
      const tracked: Tracked = { store: this, next: (flow.recorded as Tracked | undefined) ?? null, pending, outcome: null, rowId: null };
      this.#inserts.push(tracked);
      flow.recorded = tracked;
    } catch (err: unknown) {
      // A flow we cannot even convert is counted as lost, never thrown into the proxy.
      this.#dropped += 1;
      this.#lastError = `record: ${messageOf(err)}`;
    }
    this.#schedule();
  }

  complete(flow: Flow, outcome: Outcome): void {
    if (this.#closed) return;
    const tracked = this.#handle(flow);
    if (tracked?.pending) {
      // Its row is still queued: the outcome is written with it (the first outcome counts).
      if (tracked.outcome === null) {
        tracked.outcome = toOutcomeColumns(outcome, this.#now());
        this.#attached += 1;
      }
      this.#schedule();
      return;
    }
    // Done: its row has its outcome, or one is queued.
    if (tracked !== undefined && tracked.rowId === null) return;
    if (this.#completions.length >= this.#opts.maxPending) {
      this.#dropped += 1;
      return;
    }
    this.#completions.push({ flow, rowId: tracked?.rowId ?? null, outcome: toOutcomeColumns(outcome, this.#now()) });
    if (tracked !== undefined) tracked.rowId = null;
    this.#schedule();
  }

  /** This store's handle on `flow`, if it recorded it. */
  #handle(flow: Flow): Tracked | undefined {
    for (let t = (flow.recorded as Tracked | undefined) ?? null; t !== null; t = t.next) if (t.store === this) return t;
    return undefined;
  }

  recordSwitches(readings: readonly SwitchRecord[]): void {
    if (this.#closed || readings.length === 0) return;
    if (this.#switches.length >= this.#opts.maxPending) {
      this.#dropped += readings.length;
      return;
    }
    this.#switches.push(...readings);
    this.#schedule();
  }

  tunnel(event: TunnelEvent): void {
    if (this.#closed || event.site === null) return;
    if (!(this.#countTunnels ?? this.settings.get().tunnelCounting)) return;
    if (this.#visits.isVisit(event)) this.#countVisit(event.site, event.time);
  }

  visit(event: TunnelEvent): void {
    if (this.#closed || event.site === null || isBackgroundHost(event.host, event.site)) return;
    if (!(this.#countTunnels ?? this.settings.get().tunnelCounting)) return;
    this.#countVisit(event.site, event.time);
  }

  #countVisit(site: string, time: number): void {
    const day = dayKey(time);
    const key = `${day}\0${site}`;
    const entry = this.#tunnels.get(key);
    if (entry) entry.count += 1;
    else this.#tunnels.set(key, { day, site, count: 1 });
    this.#schedule();
  }

  flush(): void {
    if (this.#inserts.length === 0 && this.#completions.length === 0 && this.#tunnels.size === 0 && this.#switches.length === 0) return;
    const switches = this.#switches;
    // At most FLUSH_CHUNK rows per transaction: a backlog (after a full disk or a long lock) is
    // written a chunk per tick, so recovery needs room for one chunk, not for the whole backlog.
    const inserts = this.#inserts.slice(0, FLUSH_CHUNK);
    const { updates, unresolved } = this.#resolveCompletions();
    // An outcome that came before its flow was recorded is written with the row.
    const waiting = this.#waiting.size > 0;
    const batchInserts: BatchInsert[] = inserts.map((t) => {
      const pending = t.pending!;
      return { pending, outcome: t.outcome ?? (waiting ? this.#waiting.get(pending.columns.flow_id) : undefined) ?? null };
    });
    let rowIds: Array<number | null>;
    try {
      rowIds = this.#db.transaction(() => {
        const ids = writeBatch(this.#stmts, { inserts: batchInserts, updates, tunnels: [...this.#tunnels.values()] });
        writeSwitches(this.#switchInsert, switches);
        return ids;
      }).immediate();
    } catch (err: unknown) {
      this.#lastError = describeDatabaseError(err, this.path);
      return;
    }
    // Committed: only now move the in-memory bookkeeping forward.
    batchInserts.forEach((b, i) => {
      const t = inserts[i]!;
      const id = b.pending.columns.flow_id;
      const rowId = rowIds[i];
      if (t.outcome !== null) this.#attached -= 1;
      if (waiting) this.#waiting.delete(id);
      t.pending = null;
      // Waits for its outcome, unless that went into the row or the row was already stored (HAR).
      t.rowId = b.outcome === null && rowId !== null && rowId !== undefined ? rowId : null;
    });
    for (const u of unresolved) this.#waiting.set(u.flow.observation.id, u.outcome);
    trimOldest(this.#waiting, MAX_WAITING);
    this.#inserts = this.#inserts.slice(inserts.length);
    this.#completions = this.#completions.slice(updates.length + unresolved.length);
    this.#tunnels = new Map();
    this.#switches = [];
    this.#lastError = null;
    this.#handOffCheckpoints();
  }

  /**
   * Sorts the next chunk of queued outcomes. A written row's is an update. One that came before its
   * flow was recorded joins the row if it is queued now (at once, so that a failed flush keeps it
   * there), becomes an update if it was written, or waits for the row. Updates and waiting outcomes
   * stay first in the queue until the flush commits.
   */
  #resolveCompletions(): { updates: Batch['updates'][number][]; unresolved: Completion[] } {
    const chunk = this.#completions.slice(0, FLUSH_CHUNK);
    const updates: Batch['updates'][number][] = [];
    const unresolved: Completion[] = [];
    const kept: Completion[] = [];
    let changed = false;
    for (const c of chunk) {
      const tracked = c.rowId === null ? this.#handle(c.flow) : undefined;
      if (tracked?.pending) {
        if (tracked.outcome === null) {
          tracked.outcome = c.outcome;
          this.#attached += 1;
        }
        changed = true;
        continue;
      }
      const rowId = c.rowId ?? tracked?.rowId ?? null;
      if (rowId === null && tracked !== undefined) {
        // Its row has its outcome already (the first outcome counts).
        changed = true;
        continue;
      }
      if (rowId === null) {
        unresolved.push(c);
        kept.push(c);
        continue;
      }
      updates.push({ rowId, flowId: c.flow.observation.id, outcome: c.outcome });
      // Now the outcome of a written row: a second outcome is not queued, a retry finds the row.
      if (tracked !== undefined) tracked.rowId = null;
      if (c.rowId === null) changed = true;
      kept.push(c.rowId === null ? { ...c, rowId } : c);
    }
    if (changed) this.#completions = [...kept, ...this.#completions.slice(chunk.length)];
    return { updates, unresolved };
  }

  /** Once the log first reaches the size at which SQLite checkpoints, a thread does it instead. */
  #handOffCheckpoints(): void {
    if (!this.#handOff || this.#checkpointer !== null) return;
    try {
      if ((statSync(`${this.path}-wal`, { throwIfNoEntry: false })?.size ?? 0) < this.#handOffBytes) return;
      this.#checkpointer = startCheckpointer(this.path, {
        ready: () => {
          if (!this.#closed) this.#db.pragma('wal_autocheckpoint = 0');
        },
        failed: () => {
          this.#handOff = false;
          this.#checkpointer = null;
          if (!this.#closed) this.#db.pragma(`wal_autocheckpoint = ${this.#autoCheckpoint}`);
        },
      });
    } catch {
      // No thread (the log cannot be read, a thread cannot start): SQLite goes on checkpointing.
      this.#handOff = false;
    }
  }

  /** Stops the checkpoint thread (it closes its connection first) and checkpoints here again. */
  #stopCheckpointer(): void {
    if (this.#checkpointer === null) return;
    this.#checkpointer.stop();
    this.#checkpointer = null;
    this.#db.pragma(`wal_autocheckpoint = ${this.#autoCheckpoint}`);
  }

  /** Flushes chunk after chunk until nothing is queued or a flush fails. */
  #flushAll(): void {
    do this.flush();
    while (this.#lastError === null && this.#inserts.length + this.#completions.length > 0);
  }

  close(): StoreHealth {
    if (this.#closed) return this.health();
    this.#clearTimers();
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    // Shutdown may wait a little for a lock that a flush on the event loop must not wait for.
    this.#db.pragma('busy_timeout = 2000');
    this.#handOff = false;
    this.#flushAll();
    // Before the writer's connection closes, so that it is the last and removes the log.
    this.#stopCheckpointer();
    this.#closed = true;
    const health = this.health();
    try {
      // Lets SQLite gather the statistics its planner wants; cheap, and only what changed.
      this.#db.pragma('optimize');
    } catch {
      // Statistics are an optimisation; closing matters more.
    }
    this.#db.close();
    return health;
  }

  health(): StoreHealth {
    return {
      pending: this.#inserts.length + this.#completions.length + this.#attached + this.#tunnels.size + this.#switches.length,
      lastError: this.#lastError,
      dropped: this.#dropped,
    };
  }

  prune(): PruneReport | null {
    const days = this.#retentionDays === undefined ? this.settings.get().retentionDays : this.#retentionDays;
    if (days === null || this.#closed) return null;
    return prune(this.#db, { retentionDays: days, now: this.#now() });
  }

  purge(options: PurgeOptions): PruneReport {
    this.#flushAll();
    // The purge empties the log (a TRUNCATE checkpoint), which fails while the thread checkpoints.
    this.#stopCheckpointer();
    return purge(this.#db, options);
  }

  #safePrune(): void {
    try {
      this.prune();
    } catch (err: unknown) {
      this.#lastError = `prune: ${messageOf(err)}`;
    }
  }

  #schedule(): void {
    // After a failed flush only the timer retries: an early flush would just hit the lock again.
    // A flow queues a row and, soon after, its completion, which lands in the same insert: a batch
    // is full at `maxBatch` of either, not of both together.
    const full = Math.max(this.#inserts.length, this.#completions.length) >= this.#opts.maxBatch;
    if (full && this.#lastError === null && this.#immediate === null) {
      this.#immediate = setImmediate(() => this.#tick());
      this.#immediate.unref();
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#tick(), this.#opts.flushIntervalMs);
      this.#timer.unref();
    }
  }

  #tick(): void {
    this.#clearTimers();
    if (this.#closed) return;
    this.flush();
    if (this.health().pending > 0) this.#schedule();
  }

  #clearTimers(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
  }
}

function trimOldest<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
