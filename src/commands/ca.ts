/** `pinaudit ca`: the CA certificate's path and fingerprint, and how to trust it on each system. */
import { openAuthority } from '../app.js';
import { trustInstructions } from '../ca/trust-help.js';
import type { Command } from './command.js';

export const caCommand: Command<Record<string, never>, 'caDir'> = {
  name: 'ca',
  summary: 'print the CA certificate path, fingerprint and how to trust it',
  usage: 'pinaudit ca [--ca-dir DIR]',
  about: 'Prints where the CA certificate is, its SHA-256 fingerprint, and how to trust it (made on first use).',
  options: {},
  config: ['caDir'],
  examples: ['pinaudit ca', 'pinaudit ca --ca-dir ~/.pinaudit/ca'],
  exitCodes: '0 printed, 1 the CA could not be read or made, 2 usage error.',
  async run({ config, io }) {
    const authority = await openAuthority(config);
    io.stdout(trustInstructions(authority.summary));
    return 0;
  },
};
