/**
 * The composition root: CA → data directory → pipeline → proxy, and their ordered shutdown. The
 * order of the pipeline's stages is written here, in one list.
 */
import { Authority, type CaSummary } from './ca/authority.js';
import { classifyStage, createFingerprinter, loadOrCreateSecret } from './classify/index.js';
import type { Config } from './config.js';
import { messageOf, PinauditError } from './errors.js';
import { ensureWritableDir } from './fs-util.js';
import type { Logger } from './log.js';
import { Pipeline, type Stage } from './pipeline.js';
import { CHECK_HOST, PINTEREST_DOMAINS } from './pinterest/domains.js';
import { startProxy, type RunningProxy } from './proxy/server.js';

export interface RunningApp {
  readonly proxy: RunningProxy;
  readonly ca: CaSummary;
  /** Stops accepting, ends open sockets, flushes storage; resolves within `capMs`. */
  close(capMs?: number): Promise<void>;
}

export interface AppOptions {
  /** Stages appended after the built-in ones (tests use a sink here). */
  extraStages?: Stage[];
}

/** The CA's permitted names: Pinterest's domains and the reserved setup-check host. */
export const PERMITTED_NAMES: readonly string[] = [...PINTEREST_DOMAINS, CHECK_HOST];

export function openAuthority(config: Config): Promise<Authority> {
  return Authority.open(config.caDir, { permitted: PERMITTED_NAMES });
}

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const authority = await openAuthority(config);
  if (authority.summary.renewed) {
    log.warn({ ca: authority.summary.certPath }, 'the CA was about to expire and has been renewed: trust the new certificate (pinaudit ca)');
  }
  try {
    ensureWritableDir(config.dataDir);
  } catch (err) {
    throw new PinauditError('DIR_UNWRITABLE', `cannot write the data directory ${config.dataDir}: ${messageOf(err)}`);
  }

  const fingerprint = createFingerprinter(loadOrCreateSecret(config.dataDir));

  // The pipeline, in order. Each stage writes only its own part of the flow.
  const stages: Stage[] = [classifyStage({ fingerprint }), ...(options.extraStages ?? [])];
  const pipeline = new Pipeline(stages, (stage, hook, flowId, err) => {
    log.error({ stage, hook, flowId, err: messageOf(err) }, 'pipeline stage failed; the request carries on');
  });

  const proxy = await startProxy({
    port: config.proxyPort,
    host: config.listenHost,
    pipeline,
    leaf: (host) => authority.leaf(host),
    rules: config.hostResolverRules,
    upstreamCaPem: config.upstreamCa?.pem ?? null,
    connectTimeoutMs: config.connectTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    onTunnelFailure: (host, reason) => log.debug({ host, reason }, 'tunnel failed'),
  });

  return {
    proxy,
    ca: authority.summary,
    close: async (capMs = 2500) => {
      const timer = new Promise<void>((r) => setTimeout(r, capMs).unref());
      await Promise.race([proxy.close(), timer]);
    },
  };
}
