/** `pinaudit pac`: a proxy auto-config file that sends only Pinterest through pinaudit. */
import { pacFile } from '../web/pac.js';
import type { Command } from './command.js';

export const pacCommand: Command<Record<string, never>, 'proxyPort' | 'listenHost' | 'allowLan'> = {
  name: 'pac',
  summary: 'print a proxy auto-config file that sends only Pinterest through pinaudit',
  usage: 'pinaudit pac [--proxy-port PORT] [--listen-host HOST]',
  about: 'Prints a PAC file for the proxy at --listen-host and --proxy-port; other traffic goes DIRECT.',
  options: {},
  config: ['proxyPort', 'listenHost', 'allowLan'],
  examples: ['pinaudit pac > pinaudit.pac', 'pinaudit pac --proxy-port 9090'],
  exitCodes: '0 printed, 2 usage error.',
  async run({ config, io }) {
    io.stdout(pacFile({ host: config.listenHost, port: config.proxyPort }));
    return 0;
  },
};
