/**
 * `pinaudit dashboard --source postgres://…`: the dashboard alone, read-only, over the fleet's
 * PostgreSQL (every instance shipping to it, or one chosen in the page). It runs until SIGINT or
 * SIGTERM. Credentials come from the URL or the PG* variables and are never printed or logged.
 */
import { PinauditError } from '../errors.js';
import { openFleetReader } from '../fleet/reader.js';
import { createLogger } from '../log.js';
import { buildFleetDashboard } from '../web/fleet-dashboard.js';
import type { Command } from './command.js';
import { SOURCE_OPTIONS } from './database.js';

const options = { source: SOURCE_OPTIONS.source } as const;

export const dashboardCommand: Command<typeof options, 'listenHost' | 'allowLan' | 'dashboardPort' | 'logLevel'> = {
  name: 'dashboard',
  summary: 'serve the dashboard read-only over the fleet\'s database (pinaudit dashboard --help)',
  usage: 'pinaudit dashboard --source postgres://… [--dashboard-port PORT] [--listen-host HOST --allow-lan]',
  about: `Serves the dashboard over the fleet's PostgreSQL, which the instances started with --ship-to
fill: the same views and numbers as each instance's own dashboard, for all instances at once or
for one (the instance menu in the page). It only reads: settings, exceptions, purge and the block
mode stay with each instance, and the live feed stays on each proxy's own dashboard.
User, password, host, port and database missing from the URL come from PGUSER, PGPASSWORD, PGHOST,
PGPORT and PGDATABASE. Nothing printed holds the password.`,
  options,
  config: ['listenHost', 'allowLan', 'dashboardPort', 'logLevel'],
  examples: [
    'PGPASSWORD=… pinaudit dashboard --source postgres://pinaudit@db.lab:5432/pinaudit',
    'pinaudit dashboard --source postgres://pinaudit@db.lab/pinaudit --dashboard-port 9081',
  ],
  exitCodes: '0 stopped by a signal, 1 the fleet\'s database cannot be reached or read (or the port is in use), 2 usage error.',
  async run({ values, config, env, io }) {
    const source = values.source;
    if (source === undefined || source === '') throw new PinauditError('USAGE', 'give the fleet database: pinaudit dashboard --source postgres://…');
    const log = createLogger(config.logLevel);
    const reader = await openFleetReader(source, env);
    const app = buildFleetDashboard({
      fleet: reader,
      allowedHosts: config.allowLan ? [config.listenHost] : [],
      logger: log.child({ module: 'dashboard' }),
    });
    let url: string;
    try {
      url = await app.listen({ port: config.dashboardPort, host: config.listenHost });
    } catch (err: unknown) {
      await reader.close();
      const inUse = (err as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';
      throw inUse
        ? new PinauditError('PORT_IN_USE', `port ${config.dashboardPort} on ${config.listenHost} is already in use; choose another with --dashboard-port`)
        : new PinauditError('LISTEN_FAILED', `cannot start the dashboard: ${(err as Error).message}`);
    }
    io.stdout(`pinaudit dashboard over ${reader.label} (read-only)\n  dashboard ${url}\nPress Ctrl+C to stop.\n`);
    log.info({ source: reader.label }, 'fleet dashboard listening');
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log.info({ signal }, 'shutting down');
        void Promise.all([app.close(), reader.close()]).then(() => resolve(), () => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    log.flush();
    return 0;
  },
};
