#!/usr/bin/env node
// Entry point for `npx pinaudit`: runs the compiled CLI (built by `npm install` / `npm run build`).
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const cli = join(dirname(realpathSync(fileURLToPath(import.meta.url))), '..', 'dist', 'src', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('pinaudit: not built yet; run "npm run build" in the project folder\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}, process.env);
