/**
 * The composition root: CA → data directory → pipeline → proxy, and their ordered shutdown. The
 * order of the pipeline's stages is written here, in one list.
 */
import { adviceStage } from './advice/stage.js';
import { Authority, type CaSummary } from './ca/authority.js';
import { lockDataDir, preparePrivateDir, type DataDirLock } from './data-dir.js';
import { classifyStage, createFingerprinter, loadOrCreateSecret } from './classify/index.js';
import type { Config } from './config.js';
import { errorNameOf, messageOf, PinauditError } from './errors.js';
import type { Logger } from './log.js';
import { Pipeline, type Stage } from './pipeline.js';
import { CHECK_HOST, PINTEREST_DOMAINS } from './pinterest/domains.js';
import { startProxy, type ProxyOptions, type RunningProxy } from './proxy/server.js';
import { makePolicySettings, policyStage, type PolicySettings } from './policy/index.js';
import { createStore, openCrawlQueries, openQueries, recordStage, type Store, type StoreOptions } from './store/index.js';
import { buildDashboard, LiveFeed, liveStage } from './web/index.js';
import { join } from 'node:path';
import { instanceName } from './fleet/instance.js';
import type { Shipper } from './fleet/shipper.js';

export interface RunningApp {
  readonly proxy: RunningProxy;
  readonly ca: CaSummary;
  readonly store: Store;
  /** Ships recorded rows to the fleet database (`--ship-to`), or null. */
  readonly shipper: Shipper | null;
  /** Where the dashboard answers (`http://127.0.0.1:8081`). */
  readonly dashboardUrl: string;
  /** Stops accepting, ends open sockets, flushes storage; resolves within `capMs`. */
  close(capMs?: number): Promise<void>;
}

export interface AppOptions {
  /** Stages appended after the built-in ones (tests use a sink here). */
  extraStages?: Stage[];
}

/** The CA's permitted names: Pinterest's domains and the reserved setup-check host. */
export const PERMITTED_NAMES: readonly string[] = [...PINTEREST_DOMAINS, CHECK_HOST];

/** The database file inside the data directory. */
export function databasePath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'pinaudit.db');
}

export function openAuthority(config: Pick<Config, 'caDir'>): Promise<Authority> {
  return Authority.open(config.caDir, { permitted: PERMITTED_NAMES });
}

/**
 * Resources in the order they were created, each with its cleanup registered right after it
 * exists: a failure part-way through start-up (a port in use, a missing dashboard folder) unwinds
 * what was already running, so `start` ends instead of hanging on a half-started proxy.
 */
class Cleanups {
  readonly #steps: Array<() => unknown> = [];

  add(step: () => unknown): void {
    this.#steps.push(step);
  }

  /** Runs every step, newest first; a failing step does not stop the others. */
  async unwind(): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step();
      } catch {
        // Unwinding after a failure: the original error is the one to report.
      }
    }
  }
}

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const authority = await openAuthority(config);
  warnIfRenewed(authority, log);
  preparePrivateDir(config.dataDir);
  const cleanups = new Cleanups();
  const lock = lockDataDir(config.dataDir);
  cleanups.add(() => lock.release());
  try {
    return await startWithin(config, log, options, authority, lock, cleanups);
  } catch (err) {
    await cleanups.unwind();
    throw err;
  }
}

async function startWithin(config: Config, log: Logger, options: AppOptions, authority: Authority, lock: DataDirLock, cleanups: Cleanups): Promise<RunningApp> {
  const { store, fingerprint } = openDataDir(config, log);
  cleanups.add(() => store.close());
  applyStartSettings(store, config);
  const policy = cachedPolicySettings(store);
  const live = new LiveFeed();
  cleanups.add(() => live.close());

  // The pipeline, in order. Each stage writes only its own part of the flow.
  const stages: Stage[] = [
    classifyStage({ fingerprint }),
    policyStage(policy),
    ...(config.record ? [recordStage(store), adviceStage({ fingerprint, record: (r) => store.recordSwitches(r) })] : []),
    // Last: a finding is queued for the database before the live view shows it.
    liveStage(live),
    ...(options.extraStages ?? []),
  ];
  const pipeline = loggedPipeline(stages, log);
  const proxy = await listenProxy(config, pipeline, authority, log);
  cleanups.add(() => proxy.close());
  const queries = openQueries(databasePath(config));
  cleanups.add(() => queries.close());
  const crawls = openCrawlQueries(databasePath(config));
  cleanups.add(() => crawls.close());
  const dashboard = buildDashboard({
    queries,
    settings: store.settings,
    purge: (o) => store.purge(o),
    live,
    proxy: { host: config.listenHost, port: proxy.port },
    ca: authority.summary,
    caRejections: proxy.caRejections,
    allowedHosts: config.allowLan ? [config.listenHost] : [],
    logger: log.child({ module: 'dashboard' }),
    crawls: { crawls, dataDir: config.dataDir },
  });
  cleanups.add(() => dashboard.close());
  let dashboardUrl: string;
  try {
    dashboardUrl = await dashboard.listen({ port: config.dashboardPort, host: config.listenHost });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EADDRINUSE'
      ? new PinauditError('PORT_IN_USE', `port ${config.dashboardPort} on ${config.listenHost} is already in use; choose another with --dashboard-port`)
      : new PinauditError('LISTEN_FAILED', `cannot start the dashboard: ${messageOf(err)}`);
  }
  const proxyUrl = `http://${config.listenHost}:${proxy.port}`;
  lock.announce(proxyUrl, dashboardUrl);
  const stopHealthWatch = watchStoreHealth(store, log);
  // The local store stays the record; the shipper only reads it, so a fleet database that is down
  // or refuses the shipment never stops the proxy. Loaded only when shipping (it brings the client).
  const shipper = config.shipTo && config.record
    ? (await import('./fleet/shipper.js')).startShipper({ dbPath: databasePath(config), target: config.shipTo, name: instanceName(config.instanceName), log })
    : null;

  return {
    proxy,
    ca: authority.summary,
    store,
    shipper,
    dashboardUrl,
    close: async (capMs = 2500) => {
      stopHealthWatch();
      const timer = new Promise<void>((r) => setTimeout(r, capMs - 500).unref());
      live.close();
      // Stop the proxy first: its last completions are queued before the final flush.
      await Promise.race([Promise.all([proxy.close(), dashboard.close()]), timer]);
      queries.close();
      crawls.close();
      const health = store.close();
      if (health.pending > 0 || health.dropped > 0) {
        log.error({ pending: health.pending, dropped: health.dropped }, 'some findings could not be written');
      }
      // What the final flush wrote goes now if the server answers quickly, else at next start.
      await shipper?.close(400);
      lock.release();
    },
  };
}

export function warnIfRenewed(authority: Authority, log: Logger): void {
  if (authority.summary.renewed) {
    log.warn({ ca: authority.summary.certPath }, 'the CA was about to expire and has been renewed: trust the new certificate (pinaudit ca)');
  }
}

/** The credential fingerprinter and the store of a prepared (and locked) data directory. */
export function openDataDir(
  config: Config,
  log: Logger,
  storeOptions: Pick<StoreOptions, 'blockMode'> = {},
): { store: Store; fingerprint: (name: string, value: string) => string } {
  const fingerprint = createFingerprinter(loadOrCreateSecret(config.dataDir));
  const store = createStore({
    path: databasePath(config),
    onUpgrade: (names) => log.info({ migrations: names }, 'upgrading the database; on a large one this takes a while'),
    ...(config.countTunnels !== null ? { countTunnels: config.countTunnels } : {}),
    ...storeOptions,
  });
  return { store, fingerprint };
}

/** The pipeline over `stages`; a failing stage is logged by error name only (a message can quote request data). */
export function loggedPipeline(stages: Stage[], log: Logger): Pipeline {
  return new Pipeline(stages, (stage, hook, flowId, err) => {
    log.error({ stage, hook, flowId, err: errorNameOf(err) }, 'pipeline stage failed; the request carries on');
  });
}

/** The proxy with the config's upstream options, issuing leaves from `authority`. */
export function listenProxy(
  config: Config,
  pipeline: Pipeline,
  authority: Authority,
  log: Logger,
  extra: Pick<ProxyOptions, 'requireProxyUser' | 'onTunnelFailure'> & { port?: number } = {},
): Promise<RunningProxy> {
  return startProxy({
    port: extra.port ?? config.proxyPort,
    host: config.listenHost,
    pipeline,
    leaf: (host) => authority.leaf(host),
    rules: config.hostResolverRules,
    upstreamCaPem: config.upstreamCa?.pem ?? null,
    connectTimeoutMs: config.connectTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    onTunnelFailure: (host, reason) => {
      log.debug({ host, reason }, 'tunnel failed');
      extra.onTunnelFailure?.(host, reason);
    },
    onCaRejected: (host) => log.info({ host }, `a client rejected pinaudit's CA for ${host}`),
    onInternalError: (flowId, err) => log.error({ flowId, err: errorNameOf(err) }, 'internal error on an intercepted request; its flow ended as an error'),
    ...(extra.requireProxyUser ? { requireProxyUser: true } : {}),
  });
}

/** `--block`, `--retention-days` and `--count-tunnels` given at start are stored (they persist). */
function applyStartSettings(store: Store, config: Config): void {
  const patch: Parameters<Store['settings']['set']>[0] = {};
  if (config.block !== null) patch.blockMode = config.block;
  if (config.retentionDays !== null) patch.retentionDays = config.retentionDays === 0 ? null : config.retentionDays;
  if (config.countTunnels !== null) patch.tunnelCounting = config.countTunnels;
  if (Object.keys(patch).length > 0) store.settings.set(patch);
  // The store pruned with the stored retention when it opened; a new one applies now.
  if (patch.retentionDays !== undefined) store.prune();
}

/** The policy's view of the stored settings, rebuilt only when they change (no work per request). */
function cachedPolicySettings(store: Store): () => PolicySettings {
  const build = (): PolicySettings => {
    const s = store.settings.get();
    return makePolicySettings(s.blockMode, s.exceptions);
  };
  let current = build();
  store.settings.subscribe(() => {
    current = build();
  });
  return () => current;
}

/** Warns once when findings start to wait in memory (database locked, disk full), and on recovery. */
function watchStoreHealth(store: Store, log: Logger): () => void {
  let warned = false;
  const timer = setInterval(() => {
    const h = store.health();
    if (h.lastError !== null && !warned) {
      warned = true;
      log.warn({ pending: h.pending, dropped: h.dropped, error: h.lastError }, 'cannot write the database; findings are kept in memory and written when possible');
    } else if (h.lastError === null && warned) {
      warned = false;
      log.info('the database is writable again; pending findings were written');
    }
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}
