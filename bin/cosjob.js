#!/usr/bin/env node
// In a checkout with dev dependencies, runs the TypeScript source through tsx (never a stale build);
// in the production image, where only dist/ is shipped, runs the build.
import { existsSync } from 'node:fs';

// `cosjob audit export | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/src/cli/main.js', import.meta.url);
let cli;
let tsx;
if (existsSync(source)) {
  tsx = await import('tsx/esm/api').catch(() => undefined);
}
if (tsx) {
  tsx.register();
  cli = await import(source.href);
} else if (existsSync(built)) {
  cli = await import(built.href);
} else {
  process.stderr.write(
    'cosjob: neither the TypeScript source with tsx nor a build (npm run build) was found.\n',
  );
  process.exit(2);
}
process.exitCode = await cli.runCli(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
});
