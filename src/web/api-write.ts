/**
 * The state-changing part of the API: settings, per-site exceptions and purge. The Origin and
 * token guard runs before these handlers (dashboard.ts, for every non-GET request); here bodies
 * are validated and turned into calls on the settings handle and the purge function.
 */
import type { FastifyInstance } from 'fastify';
import {
  validateSettings,
  type PruneReport,
  type PurgeOptions,
  type SettingsHandle,
  type StoredSettings,
} from '../store/index.js';
import { siteParam } from './api-read.js';
import { PinauditError } from '../errors.js';
import { parseTime } from './params.js';

/** What the write routes need. */
export interface WriteDeps {
  settings: SettingsHandle;
  purge(options: PurgeOptions): PruneReport;
}

/** The word a purge request must carry, so that nothing purges by accident. */
export const PURGE_CONFIRMATION = 'purge';

const SETTING_KEYS: ReadonlyArray<keyof StoredSettings> = ['blockMode', 'exceptions', 'retentionDays', 'tunnelCounting'];

/** Registers PUT /api/settings, POST/DELETE /api/exceptions and POST /api/purge. */
export function registerWriteRoutes(app: FastifyInstance, deps: WriteDeps): void {
  app.put('/api/settings', async (req) => {
    const body = objectBody(req.body);
    const unknown = Object.keys(body).filter((k) => !(SETTING_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) throw new PinauditError('BAD_SETTING', `unknown setting ${unknown.join(', ')}`);
    // validateSettings throws StoreError BAD_SETTING naming the field; the error handler maps it.
    return deps.settings.set(validateSettings(body));
  });

  app.post('/api/exceptions', async (req) => {
    const body = objectBody(req.body);
    if (typeof body.site !== 'string') throw new PinauditError('BAD_PARAM', 'site must be a site name');
    const site = siteParam(body.site);
    const current = deps.settings.get().exceptions;
    if (current.includes(site)) return deps.settings.get();
    return deps.settings.set(validateSettings({ exceptions: [...current, site] }));
  });

  app.delete('/api/exceptions/:site', async (req) => {
    const site = siteParam((req.params as { site: string }).site);
    const current = deps.settings.get().exceptions;
    if (!current.includes(site)) return deps.settings.get();
    return deps.settings.set({ exceptions: current.filter((s) => s !== site) });
  });

  app.post('/api/purge', async (req) => {
    const body = objectBody(req.body);
    if (body.confirm !== PURGE_CONFIRMATION) {
      throw new PinauditError('CONFIRMATION_REQUIRED', `purge needs "confirm": "${PURGE_CONFIRMATION}"`);
    }
    let options: PurgeOptions;
    if (body.all === true && body.before === undefined) options = { all: true };
    else if (typeof body.before === 'string' && body.all === undefined) options = { before: new Date(parseTime(body.before, 'before')) };
    else throw new PinauditError('BAD_PARAM', 'purge needs either "all": true or "before": "YYYY-MM-DD"');
    const report = deps.purge(options);
    return { ...report, cutoff: report.cutoff === Number.MAX_SAFE_INTEGER ? null : report.cutoff };
  });
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PinauditError('BAD_BODY', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
