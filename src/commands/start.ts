/**
 * `pinaudit start`: runs the proxy and the dashboard until SIGINT or SIGTERM (what `npm start`
 * runs). Every configuration option (config.ts) is a flag and an environment variable.
 */
import { startApp } from '../app.js';
import { instanceName } from '../fleet/instance.js';
import { OPTIONS, type Config } from '../config.js';
import { messageOf } from '../errors.js';
import { createLogger, routeConsole } from '../log.js';
import type { Command, ConfigKey } from './command.js';

/** The banner printed once the proxy listens. */
function banner(
  proxyUrl: string,
  dashboardUrl: string,
  ca: { certPath: string; fingerprint: string; created: boolean },
  fleet: string | null,
): string {
  return [
    'pinaudit is running',
    `  proxy     ${proxyUrl}`,
    `  dashboard ${dashboardUrl}`,
    `  CA        ${ca.certPath}${ca.created ? ' (new)' : ''}`,
    `  SHA-256   ${ca.fingerprint}`,
    ...(fleet === null ? [] : [`  fleet     ${fleet}`]),
    '',
    `Point your browser at the proxy (HTTP and HTTPS): for example`,
    `  chromium --proxy-server=${proxyUrl}`,
    `and trust the CA, which is only valid for Pinterest's domains: run "pinaudit ca" for the steps`,
    `(the dashboard's Setup page has them too, and a PAC file at ${dashboardUrl}/proxy.pac).`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

export const startCommand: Command<Record<string, never>, ConfigKey> = {
  name: 'start',
  summary: 'run the proxy (what `npm start` runs)',
  usage: 'pinaudit start [options]',
  about: 'Runs the proxy and the dashboard until Ctrl+C (SIGINT) or SIGTERM.',
  options: {},
  config: OPTIONS.map((o) => o.key as ConfigKey),
  examples: ['pinaudit start', 'pinaudit start --proxy-port 9090 --data-dir ~/.pinaudit', 'chromium --proxy-server=http://127.0.0.1:8080'],
  exitCodes: '0 stopped by a signal, 1 runtime failure (port in use, unwritable folder, unusable database), 2 usage error.',
  async run({ config: picked, io }) {
    const config = picked as Config;
    const log = createLogger(config.logLevel);
    const restoreConsole = routeConsole(log);
    if (config.allowLan && config.listenHost !== '127.0.0.1') {
      io.stderr(`warning: listening on ${config.listenHost}: other machines on the network can use this proxy and open its dashboard\n`);
    }
    // Last resort: an error no handler caught is logged, and the proxy keeps serving the browser
    // (every request path has its own handling; this only keeps one missed case from ending all).
    process.on('uncaughtException', (err) => {
      log.error({ err: messageOf(err) }, 'unexpected error; pinaudit carries on');
    });
    const app = await startApp(config, log);
    const fleet = app.shipper && config.shipTo ? `${config.shipTo.label}, instance ${instanceName(config.instanceName)} (${app.shipper.instanceId})` : null;
    io.stdout(banner(`http://${app.proxy.host}:${app.proxy.port}`, app.dashboardUrl, app.ca, fleet));
    log.info({ port: app.proxy.port }, 'proxy listening');
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log.info({ signal }, 'shutting down');
        void app.close().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    log.flush();
    restoreConsole();
    return 0;
  },
};
