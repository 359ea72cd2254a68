import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The product is src/ and nothing else: the build holds no emulator, fake, demo, bench or test code, no
 * product module imports them, and the Docker image is built from src/ alone (issue 7).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TOOLING = ['tools', 'demo', 'test', 'bench'] as const;

/** Every module specifier a file imports or re-exports, static or dynamic, as the TypeScript scanner sees them. */
function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The top-level folder of the repository a path lies in ('' for a file at the root). */
function topFolder(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.includes(sep) ? rel.split(sep)[0]! : '';
}

/** Where each relative specifier of `file` leads outside `allowedRoot`, as "file → specifier". */
async function escapingImports(file: string, allowedRoot: string, reportRoot: string): Promise<string[]> {
  const offenders: string[] = [];
  for (const specifier of importSpecifiers(await readFile(file, 'utf8'))) {
    if (!specifier.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier);
    const rel = relative(allowedRoot, target);
    if (rel.startsWith('..') || resolve(allowedRoot, rel) !== target) {
      offenders.push(`${relative(reportRoot, file)} → ${specifier}`);
    }
  }
  return offenders;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe('the import scanner', () => {
  it('sees static, type-only, re-exported and dynamic imports, and ignores ones in comments', () => {
    const source = [
      "import { a } from '../tools/emulator/server.js';",
      "import type { B } from '../../demo/stack.js';",
      "export * from '../test/helpers/redis.js';",
      "const m = await import('../bench/run.js');",
      "// import { c } from '../tools/never.js';",
      'const text = \'import nothing from "../tools/in-a-string.js"\';',
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      '../tools/emulator/server.js',
      '../../demo/stack.js',
      '../test/helpers/redis.js',
      '../bench/run.js',
    ]);
  });
});

describe('src/ imports nothing outside src/', () => {
  it('no src/**/*.ts import specifier reaches tools/, demo/, test/ or bench/', async () => {
    const files = await filesUnder(join(ROOT, 'src'), '.ts');
    expect(files.length).toBeGreaterThan(20);
    const offenders = (
      await Promise.all(files.map((file) => escapingImports(file, join(ROOT, 'src'), ROOT)))
    ).flat();
    const intoTooling = offenders.filter((line) =>
      TOOLING.some((folder) => line.includes(`/${folder}/`) || line.endsWith(`/${folder}`)),
    );
    expect(intoTooling).toEqual([]);
    expect(offenders).toEqual([]);
  });
});

describe('the product build (tsc -p tsconfig.build.json)', () => {
  let outDir: string;
  let emitted: string[];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'cosjob-build-'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    emitted = await filesUnder(outDir, '.js');
  }, 180_000);
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('emits the product (src/main.js, the CLI) and only files from src/', () => {
    const rel = emitted.map((file) => relative(outDir, file).split(sep).join('/'));
    expect(rel).toContain('src/main.js');
    expect(rel).toContain('src/cli/main.js');
    const outside = rel.filter((file) => topFolder(outDir, join(outDir, file)) !== 'src');
    expect(outside).toEqual([]);
  });

  it('no emitted module imports anything outside the build of src/', async () => {
    const offenders = (
      await Promise.all(emitted.map((file) => escapingImports(file, join(outDir, 'src'), outDir)))
    ).flat();
    expect(offenders).toEqual([]);
  });

  it('emitted modules import only Node built-ins and runtime dependencies (the image has no dev dependencies)', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([...Object.keys(manifest.dependencies), ...builtinModules]);
    const offenders: string[] = [];
    for (const file of emitted) {
      for (const specifier of importSpecifiers(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        if (!allowed.has(packageName(specifier))) offenders.push(`${relative(outDir, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no emitted file carries emulator, fake Slack or demo code', async () => {
    const markers = ['startEmulator', 'FakeSlack', 'FakeSocketMode', 'startRedisServer', 'runDemo'];
    const hits: string[] = [];
    for (const file of emitted) {
      const text = await readFile(file, 'utf8');
      for (const marker of markers)
        if (text.includes(marker)) hits.push(`${relative(outDir, file)}: ${marker}`);
    }
    expect(hits).toEqual([]);
  });
});

describe('the Docker image is built from src/ alone', () => {
  it('.dockerignore leaves tools, demo, test and bench out of the build context', async () => {
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim().replace(/\/$/, ''));
    for (const folder of TOOLING) expect(ignored).toContain(folder);
  });

  it('the Dockerfile copies no tooling and builds with tsconfig.build.json', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const sources = dockerfile
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .flatMap((line) =>
        line
          .replace(/^COPY\s+/, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    expect(sources).toContain('src');
    expect(sources).toContain('tsconfig.build.json');
    const copied = sources.map((source) => source.replace(/^\.\//, '').replace(/\/$/, ''));
    for (const folder of TOOLING) expect(copied).not.toContain(folder);
    expect(copied).not.toContain('.');
    expect(dockerfile).toMatch(/RUN npm run build/);
    // `npm run build` compiles tsconfig.build.json, either directly or through the build script it names.
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const build = manifest.scripts.build ?? '';
    const script = /^node\s+(\S+\.m?js)\b/.exec(build)?.[1];
    const compiles = script === undefined ? build : await readFile(join(ROOT, script), 'utf8');
    expect(compiles).toContain('tsconfig.build.json');
    if (script !== undefined) expect(copied).toContain(dirname(script));
  });
});
