/**
 * The store's one entry point: what the rest of pinaudit may use. The write side (`createStore`,
 * the record stage), the read side (`openQueries` and the shapes it returns), retention and purge,
 * settings, and the day helpers the commands parse dates with. Everything else in this folder
 * (the SQL, the roll-up definitions, the batch writer) is private to it.
 */
export { createStore, recordStage, type Store, type StoreHealth, type StoreOptions } from './writer.js';
export {
  createAdviceQueries,
  createFleetQueries,
  createQueries,
  openQueries,
  type FleetQueries,
  type ReadAdvice,
  type ReadQueries,
  type BlockingImpact,
  type CategoryCount,
  type IdentifierSite,
  type IdentifierSummary,
  type LeakLevelCounts,
  type Queries,
  type RangeFilter,
  type RequestFilter,
  type RequestIdentifier,
  type RequestPage,
  type RequestRow,
  type SiteDetail,
  type SiteSort,
  type SitesVisited,
  type SiteSummary,
  type TimelinePoint,
  type Totals,
} from './queries.js';
export { countPurgeable, prune, purge, type PruneReport, type PurgeOptions } from './retention.js';
export { DEFAULT_SETTINGS, validateSettings, type SettingsHandle, type StoredSettings } from './settings.js';
export { openDatabase, type Database } from './db.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { dayKey, nextDay, parseDay, parseWhen, startOfDay } from './days.js';
export { importLedger, type ImportLedger } from './imports.js';
export { SIGHTING_REQUEST_LIMIT, type AdviceQueries, type ReachedDuring } from './query-advice.js';
export { ROLLUPS, type Rollup } from './rollups.js';
export { reasonsText } from './reasons.js';
export type { AsyncExecutor, SqlRow } from './plan.js';
export { findMigrationsDir, loadMigrations, pendingMigrations, type AppliedRow, type Migration, type MigrationReport } from './migrate.js';
export {
  createCrawlQueries,
  openCrawlQueries,
  type CrawlListItem,
  type CrawlQueries,
  type CrawlRequestRow,
  type CrawlSiteRow,
} from './crawl-queries.js';
export { crawlKey, openCrawlStore, type CrawlRecord, type CrawlStore } from './crawls.js';
