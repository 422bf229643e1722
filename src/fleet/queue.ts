/**
 * The fleet's shared queue of sites to crawl (fleet migration 002). Any number of workers on any
 * number of machines claim sites one at a time: `FOR UPDATE SKIP LOCKED` hands each row to one
 * claimant, and a lease on the server's clock, renewed while the worker works, gives the site back
 * when the worker dies. Every end of a visit is fenced by the attempt number, so a worker that lost
 * its lease (stalled past it, and another worker took the site) cannot end the new attempt.
 */
import type { FleetDb } from './pg.js';

/** Milliseconds since the epoch on the server's clock (workers' clocks may disagree). */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

export interface QueuedSite {
  id: number;
  url: string;
  site: string;
  /** 1 for the first claim of this site, 2 after one worker was lost on it, … */
  attempt: number;
}

export interface QueueProgress {
  total: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
}

/** A claimed site: the lease is renewed until `finish`, `fail` or `release`. */
export interface Lease {
  readonly site: QueuedSite;
  /** Whether another worker took the site (the lease could not be renewed in time). */
  readonly lost: boolean;
  /** Renews the lease now; false when it was lost. Called before a result is kept. */
  confirm(): Promise<boolean>;
  /** Ends the site as crawled; false when the lease was lost (the result belongs to another attempt). */
  finish(): Promise<boolean>;
  /** Ends the site as failed, with why. */
  fail(error: string): Promise<boolean>;
  /** Stops renewing without ending the site (it is claimed again after the lease). */
  release(): void;
}

export interface QueueOptions {
  /** The crawl's name: workers of one crawl share one queue. */
  queue: string;
  /** The worker's instance id and name. */
  worker: { id: string; name: string };
  /** How long a claim lasts without renewal. Default 60 s; renewed every third of it. */
  leaseMs?: number;
  /** Claims of one site before it counts as failed (its workers kept dying). Default 3. */
  maxAttempts?: number;
}

export class FleetQueue {
  private readonly leaseMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: FleetDb,
    private readonly options: QueueOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** Adds sites not yet in the queue; returns how many were new. */
  async enqueue(sites: ReadonlyArray<{ url: string; site: string }>): Promise<number> {
    let added = 0;
    for (let start = 0; start < sites.length; start += 5000) {
      const chunk = sites.slice(start, start + 5000);
      const params: unknown[] = [this.options.queue];
      const tuples = chunk.map((s) => {
        params.push(s.url, s.site);
        return `($1, $${params.length - 1}, $${params.length}, ${NOW_MS})`;
      });
      const rows = await this.db.query(
        `INSERT INTO crawl_queue (queue, url, site, enqueued_at) VALUES ${tuples.join(', ')} ON CONFLICT (queue, url) DO NOTHING RETURNING id`,
        params,
      );
      added += rows.length;
    }
    return added;
  }

  /** Claims the next site, or null when none is pending (running ones may still come back). */
  async claim(): Promise<Lease | null> {
    const { queue, worker } = this.options;
    await this.db.query(
      `UPDATE crawl_queue SET state = 'failed', finished_at = ${NOW_MS}, lease_until = NULL,
         error = 'its worker stopped answering ' || attempt || ' times'
       WHERE queue = $1 AND state = 'running' AND lease_until < ${NOW_MS} AND attempt >= $2`,
      [queue, this.maxAttempts],
    );
    const rows = await this.db.query<{ id: string; url: string; site: string; attempt: number }>(
      `UPDATE crawl_queue q SET state = 'running', attempt = q.attempt + 1, worker = $2, worker_name = $3,
         lease_until = ${NOW_MS} + $4, started_at = ${NOW_MS}
       WHERE q.id = (
         SELECT id FROM crawl_queue
         WHERE queue = $1 AND (state = 'pending' OR (state = 'running' AND lease_until < ${NOW_MS}))
         ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING q.id, q.url, q.site, q.attempt`,
      [queue, worker.id, worker.name, this.leaseMs],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return this.lease({ id: Number(row.id), url: row.url, site: row.site, attempt: row.attempt });
  }

  async progress(): Promise<QueueProgress> {
    const rows = await this.db.query<{ state: keyof QueueProgress; n: string }>(
      'SELECT state, count(*) AS n FROM crawl_queue WHERE queue = $1 GROUP BY state',
      [this.options.queue],
    );
    const out: QueueProgress = { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) {
      out[r.state] = Number(r.n);
      out.total += Number(r.n);
    }
    return out;
  }

  private lease(site: QueuedSite): Lease {
    const fence = 'WHERE id = $1 AND attempt = $2 AND worker = $3 AND state = \'running\' RETURNING id';
    const key = [site.id, site.attempt, this.options.worker.id];
    let lost = false;
    let renewing = true;
    const extend = async (): Promise<boolean> => {
      const rows = await this.db.query(`UPDATE crawl_queue SET lease_until = ${NOW_MS} + $4 ${fence}`, [...key, this.leaseMs]);
      if (rows.length === 0 && renewing) lost = true;
      return !lost;
    };
    const renew = setInterval(() => {
      // The server is away: the lease may run out; the fencing below then tells.
      void extend().catch(() => undefined);
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    const end = async (sql: string, params: unknown[]): Promise<boolean> => {
      renewing = false;
      clearInterval(renew);
      const rows = await this.db.query(`UPDATE crawl_queue SET ${sql}, finished_at = ${NOW_MS}, lease_until = NULL ${fence}`, params);
      if (rows.length === 0) lost = true;
      return rows.length > 0;
    };
    return {
      site,
      get lost() {
        return lost;
      },
      confirm: extend,
      finish: () => end("state = 'done', error = NULL", key),
      fail: (error) => end("state = 'failed', error = $4", [...key, error.slice(0, 2000)]),
      release: () => {
        renewing = false;
        clearInterval(renew);
      },
    };
  }
}
