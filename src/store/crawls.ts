/**
 * The write side of crawls (tables of migration 007): creating or resuming a crawl, and the local
 * {@link SiteQueue}. Each site ends in one transaction with its evidence and its requests, so a
 * killed crawl never leaves a site half-counted: on resume, sites left `running` go back to
 * `pending` and are visited again from the start.
 */
import { createHash } from 'node:crypto';
import type { CrawlOptions, CrawlProgress, SiteDone, SiteFailure, SiteQueue, SiteTask } from '../crawl/types.js';
import type { SiteEntry } from '../crawl/sites.js';
import { openDatabase, type Database } from './db.js';

export interface CrawlRecord {
  id: number;
  label: string | null;
  /** True when an unfinished crawl of the same list and options was found and continues. */
  resumed: boolean;
}

export interface CrawlStore {
  /** Continues the newest unfinished crawl of the same sites and options, or starts a new one. */
  begin(sites: readonly SiteEntry[], options: CrawlOptions, label: string | null): CrawlRecord;
  queue(crawlId: number): SiteQueue;
  /**
   * This instance's part of the shared queue `queue`: the local crawl that holds it, created the
   * first time. Sites a killed worker left running are dropped (the queue hands them out again).
   */
  beginShared(queue: string, options: CrawlOptions): CrawlRecord;
  /** Adds (or restarts) a site the shared queue handed out, as running; returns its local id. */
  claimShared(crawlId: number, site: { url: string; site: string; attempt: number }): number;
  /** Drops a running site whose lease was lost: another worker visits it; its requests stay recorded. */
  forget(siteId: number): void;
  /** Marks the crawl finished (every site done or failed). */
  finish(crawlId: number): void;
  close(): void;
}

/** The key that identifies "the same command": the sites in order and the options. */
export function crawlKey(sites: readonly SiteEntry[], options: CrawlOptions): string {
  const canonical = JSON.stringify({ sites: sites.map((s) => s.url), pages: options.pages, modes: options.modes, timeoutMs: options.timeoutMs });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The next number in the order sites end (read and set in the site's one write transaction). */
const NEXT_ENDED = '(SELECT coalesce(max(ended), 0) + 1 FROM crawl_sites)';

export function openCrawlStore(path: string): CrawlStore {
  const { db } = openDatabase(path);
  return new SqliteCrawlStore(db);
}

class SqliteCrawlStore implements CrawlStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  begin(sites: readonly SiteEntry[], options: CrawlOptions, label: string | null): CrawlRecord {
    const key = crawlKey(sites, options);
    return this.#db.transaction((): CrawlRecord => {
      const open = this.#db
        .prepare('SELECT id, label FROM crawls WHERE key = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1')
        .get(key) as { id: number; label: string | null } | undefined;
      if (open) {
        // Sites a killed run left half-visited start again from the beginning.
        this.#db.prepare("UPDATE crawl_sites SET state = 'pending' WHERE crawl_id = ? AND state = 'running'").run(open.id);
        return { id: open.id, label: open.label, resumed: true };
      }
      const { lastInsertRowid } = this.#db
        .prepare('INSERT INTO crawls (key, label, options, created_at) VALUES (?, ?, ?, ?)')
        .run(key, label, JSON.stringify(options), Date.now());
      const id = Number(lastInsertRowid);
      const insert = this.#db.prepare('INSERT INTO crawl_sites (crawl_id, position, input, url, site) VALUES (?, ?, ?, ?, ?)');
      sites.forEach((s, i) => insert.run(id, i, s.input, s.url, s.site));
      return { id, label, resumed: false };
    }).immediate();
  }

  beginShared(queue: string, options: CrawlOptions): CrawlRecord {
    return this.#db.transaction((): CrawlRecord => {
      const open = this.#db.prepare('SELECT id FROM crawls WHERE queue = ? ORDER BY id DESC LIMIT 1').get(queue) as { id: number } | undefined;
      if (open) {
        this.#db.prepare('UPDATE crawls SET finished_at = NULL, options = ? WHERE id = ?').run(JSON.stringify(options), open.id);
        this.#db.prepare("DELETE FROM crawl_sites WHERE crawl_id = ? AND state = 'running'").run(open.id);
        return { id: open.id, label: queue, resumed: true };
      }
      const key = createHash('sha256').update(JSON.stringify({ queue })).digest('hex');
      const { lastInsertRowid } = this.#db
        .prepare('INSERT INTO crawls (key, label, options, created_at, queue) VALUES (?, ?, ?, ?, ?)')
        .run(key, queue, JSON.stringify(options), Date.now(), queue);
      return { id: Number(lastInsertRowid), label: queue, resumed: false };
    }).immediate();
  }

  claimShared(crawlId: number, s: { url: string; site: string; attempt: number }): number {
    const row = this.#db
      .prepare(`INSERT INTO crawl_sites (crawl_id, position, input, url, site, state, attempts, started_at)
        VALUES (?, (SELECT coalesce(max(position), -1) + 1 FROM crawl_sites WHERE crawl_id = ?), ?, ?, ?, 'running', ?, ?)
        ON CONFLICT (crawl_id, site) DO UPDATE SET state = 'running', attempts = excluded.attempts, started_at = excluded.started_at, ended = NULL
        RETURNING id`)
      .get(crawlId, crawlId, s.url, s.url, s.site, s.attempt, Date.now()) as { id: number };
    return row.id;
  }

  forget(siteId: number): void {
    this.#db.prepare("DELETE FROM crawl_sites WHERE id = ? AND state = 'running'").run(siteId);
  }

  queue(crawlId: number): SiteQueue {
    const db = this.#db;
    const claim = db.prepare(`UPDATE crawl_sites SET state = 'running', attempts = attempts + 1, started_at = ?
      WHERE id = (SELECT id FROM crawl_sites WHERE crawl_id = ? AND state = 'pending' ORDER BY position LIMIT 1)
      RETURNING id, url, site, attempts`);
    const done = db.prepare(`UPDATE crawl_sites SET state = 'done', finished_at = ?, final_url = ?, final_site = ?,
      verdict = ?, verdict_reason = ?, pixel_diff = ?, evidence = ?, error_kind = NULL, error = NULL, ended = ${NEXT_ENDED}
      WHERE id = ? AND state = 'running'`);
    const failed = db.prepare(`UPDATE crawl_sites SET state = 'failed', finished_at = ?, error_kind = ?, error = ?, ended = ${NEXT_ENDED}
      WHERE id = ? AND state = 'running'`);
    const flow = db.prepare(`INSERT OR IGNORE INTO crawl_requests (flow_id, crawl_site_id, mode, page_index, crawl_page, before_interaction)
      VALUES (?, ?, ?, ?, ?, ?)`);
    const counts = db.prepare('SELECT state, count(*) AS n FROM crawl_sites WHERE crawl_id = ? GROUP BY state');
    const writeFlows = (task: SiteTask, flows: SiteDone['flows']): void => {
      for (const f of flows) flow.run(f.flowId, task.id, f.mode, f.pageIndex, f.crawlPage, f.beforeInteraction ? 1 : 0);
    };
    return {
      claim: async () => {
        const row = claim.get(Date.now(), crawlId) as { id: number; url: string; site: string; attempts: number } | undefined;
        return row ? { id: row.id, url: row.url, site: row.site, attempt: row.attempts } : null;
      },
      finish: async (task, d) => {
        db.transaction(() => {
          const changed = done.run(Date.now(), d.finalUrl, d.finalSite, d.verdict, d.verdictReason, d.pixelDiff, JSON.stringify(d.evidence), task.id);
          if (changed.changes === 1) writeFlows(task, d.flows);
        }).immediate();
      },
      fail: async (task, f) => {
        db.transaction(() => {
          const changed = failed.run(Date.now(), f.kind, f.message, task.id);
          if (changed.changes === 1) writeFlows(task, f.flows);
        }).immediate();
      },
      progress: async (): Promise<CrawlProgress> => {
        const by = new Map((counts.all(crawlId) as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]));
        const done = by.get('done') ?? 0;
        const failed = by.get('failed') ?? 0;
        const pending = (by.get('pending') ?? 0) + (by.get('running') ?? 0);
        return { total: done + failed + pending, done, failed, pending };
      },
    };
  }

  finish(crawlId: number): void {
    this.#db.prepare('UPDATE crawls SET finished_at = ? WHERE id = ? AND finished_at IS NULL').run(Date.now(), crawlId);
  }

  close(): void {
    this.#db.close();
  }
}
