/**
 * The crawl part of a shipment (local tables of migrations 007 and 010): sites that ended since the
 * marker, in the order they ended, with the requests each one caused; and the crawls themselves
 * whenever one of them changed (a handful of rows: sent whole, overwriting the instance's copy).
 * A site is shipped when it ends, in the same SQLite transaction as its requests were filed, so a
 * shipped site is complete; one shipped again (a crash before the marker moved, or a site visited
 * again) overwrites its row, and its request links are kept once by their flow id.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../store/index.js';
import type { Columns, Mark, Row } from './local-batch.js';

/** How the fleet database takes each crawl table (primary key without instance_id). */
export const CRAWL_TABLES = [
  { table: 'crawls', key: ['id'], kind: 'overwrite' },
  { table: 'crawl_sites', key: ['id'], kind: 'overwrite' },
  { table: 'crawl_requests', key: ['flow_id'], kind: 'keep' },
] as const;

export interface CrawlBatch {
  crawls: Row[];
  sites: Row[];
  requests: Row[];
  /** Markers once the server committed: `crawl_sites` (last `ended` sent), `crawls` (their digest). */
  next: { crawl_sites?: Mark; crawls?: Mark };
  more: boolean;
}

export function readCrawlBatch(db: Database, columns: Columns, marks: { crawl_sites: Mark; crawls: Mark }, limit: number): CrawlBatch {
  const cols = (t: string): string => (columns.get(t) ?? []).join(', ');
  const next: CrawlBatch['next'] = {};
  // Columns the fleet does not have yet (an older fleet schema) leave the table unshipped.
  if (!['crawls', 'crawl_sites', 'crawl_requests'].every((t) => (columns.get(t) ?? []).length > 0)) {
    return { crawls: [], sites: [], requests: [], next, more: false };
  }
  const all = db.prepare(`SELECT ${cols('crawls')} FROM crawls ORDER BY id`).all() as Row[];
  const digest = createHash('sha256').update(JSON.stringify(all)).digest('hex');
  const crawls = digest === marks.crawls.ref ? [] : all;
  if (crawls.length > 0) next.crawls = { upto: all.length, ref: digest, base: 0 };

  const sites = db
    .prepare(`SELECT ${cols('crawl_sites')}, ended AS ended_ FROM crawl_sites WHERE ended > ? ORDER BY ended LIMIT ?`)
    .all(marks.crawl_sites.upto, limit) as Row[];
  const last = sites.at(-1);
  if (last !== undefined) next.crawl_sites = { upto: last.ended_ as number, ref: '', base: 0 };
  const ids = JSON.stringify(sites.map((s) => s.id));
  const requests = sites.length === 0
    ? []
    : (db.prepare(`SELECT ${cols('crawl_requests')} FROM crawl_requests WHERE crawl_site_id IN (SELECT value FROM json_each(?))`).all(ids) as Row[]);
  for (const s of sites) delete s.ended_;
  return { crawls, sites, requests, next, more: sites.length === limit };
}
