/** The command table: every `pinaudit <command>`, in the order `pinaudit --help` lists them. */
import { caCommand } from './ca.js';
import { crawlCommand } from './crawl.js';
import { dashboardCommand } from './dashboard.js';
import type { AnyCommand } from './command.js';
import { exportCommand } from './export.js';
import { fleetCommand } from './fleet.js';
import { importCommand } from './import.js';
import { inspectCommand } from './inspect.js';
import { pacCommand } from './pac.js';
import { purgeCommand } from './purge.js';
import { reportCommand } from './report.js';
import { startCommand } from './start.js';

export const COMMANDS: readonly AnyCommand[] = [
  startCommand,
  caCommand,
  inspectCommand,
  purgeCommand,
  pacCommand,
  importCommand,
  exportCommand,
  reportCommand,
  dashboardCommand,
  crawlCommand,
  fleetCommand,
];

export { commandHelp, runCommand, type AnyCommand, type Command, type CommandContext, type Io } from './command.js';
