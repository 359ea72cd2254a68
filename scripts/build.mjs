#!/usr/bin/env node
/**
 * Builds dist/ with tsc. With --if-stale (what `npm start` runs first) it compiles only when dist/ is
 * missing or a file under src/ or a tsconfig is newer than the last build's stamp, so a start on an
 * installed checkout does not spend seconds recompiling unchanged code.
 *
 * Plain JavaScript on purpose: it runs before anything is compiled, in a few tens of milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest path among the inputs. Directories count too: deleting or renaming a file changes its directory's mtime. */
function newestInput() {
  let newest = { path: '', mtimeMs: 0 };
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.mtimeMs > newest.mtimeMs) newest = { path, mtimeMs: stat.mtimeMs };
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  for (const input of INPUTS) if (existsSync(join(root, input))) visit(join(root, input));
  return newest;
}

/** Why a build is needed, or undefined when dist/ is current. */
function staleness() {
  if (!existsSync(STAMP)) return 'there is no build yet (dist/.build-stamp is missing)';
  const built = statSync(STAMP).mtimeMs;
  const newest = newestInput();
  if (newest.mtimeMs > built) return `${relative(root, newest.path)} changed since the last build`;
  return undefined;
}

function log(line) {
  process.stderr.write(`cosjob build: ${line}\n`);
}

function build() {
  const require = createRequire(import.meta.url);
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    if (existsSync(join(root, 'dist', 'src', 'main.js'))) {
      log('TypeScript is not installed (a production install?): keeping the build that is there');
      return;
    }
    log('TypeScript is not installed and there is no build: run npm ci (with dev dependencies)');
    process.exit(1);
  }
  // The stamp gets the time the build started, so an edit made while tsc runs triggers the next build.
  const startedAt = new Date();
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    log('tsc failed; dist/ is incomplete');
    process.exit(result.status ?? 1);
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
  utimesSync(STAMP, startedAt, startedAt);
}

if (process.argv.includes('--if-stale')) {
  const reason = staleness();
  if (reason === undefined) {
    log('dist/ is current, not recompiling');
  } else {
    log(`${reason}: compiling`);
    build();
  }
} else {
  build();
}
