/**
 * `npm start` loads what the running bot needs and nothing else: the YAML parser only when COSJOB_CONFIG
 * names a file, pino-pretty only for LOG_FORMAT=pretty, the CLI never. Every module costs resident memory
 * for the life of the process (its source and compiled code), whether it is called or not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REPORTER = fileURLToPath(new URL('../helpers/report-loaded-packages.mjs', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'cosjob-footprint-'));

afterAll(() => rmSync(temp, { recursive: true, force: true }));

/**
 * Runs src/main.ts with only `env` set. Without a complete configuration the entry point refuses to start
 * (exit 2) once every static import is loaded and the configuration has been read, which is the moment
 * the packages are listed.
 */
function packagesLoadedByMain(env: Record<string, string>): { status: number | null; packages: string[] } {
  // In an empty directory, so no `.env` adds settings; tsx is resolved from this checkout.
  const tsx = import.meta.resolve('tsx');
  const result = spawnSync(
    process.execPath,
    ['--import', tsx, '--import', REPORTER, join(ROOT, 'src', 'main.ts')],
    {
      cwd: temp,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const line = /^loaded-packages: (.*)$/m.exec(result.stderr)?.[1];
  if (line === undefined) throw new Error(`no package list from the child:\n${result.stderr}`);
  return { status: result.status, packages: JSON.parse(line) as string[] };
}

/** The src/ files main.ts reaches through imports that survive compilation (not `import type`). */
function runtimeImportGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const specifiers: string[] = [];
    const collect = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        const bindings = node.importClause?.namedBindings;
        const onlyTypes =
          node.importClause?.name === undefined &&
          bindings !== undefined &&
          ts.isNamedImports(bindings) &&
          bindings.elements.length > 0 &&
          bindings.elements.every((element) => element.isTypeOnly);
        if (!onlyTypes && ts.isStringLiteral(node.moduleSpecifier))
          specifiers.push(node.moduleSpecifier.text);
      } else if (
        ts.isExportDeclaration(node) &&
        !node.isTypeOnly &&
        node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        specifiers.push(node.moduleSpecifier.text);
      }
      ts.forEachChild(node, collect);
    };
    collect(source);
    for (const specifier of specifiers) {
      if (!specifier.startsWith('.')) continue;
      visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return seen;
}

/** `node [options] dist/src/main.js` in package.json's start script: the options. */
function startOptions(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(' ');
  expect(words[0]).toBe('node');
  expect(words.at(-1)).toBe('dist/src/main.js');
  return words.slice(1, -1);
}

describe('the node options `npm start` runs with', () => {
  it("are the Dockerfile CMD's too (the Kubernetes manifests and docker-compose run that image)", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(cmd, 'a CMD instruction').toBeDefined();
    expect(JSON.parse(cmd as string)).toEqual(['node', ...startOptions(), 'dist/src/main.js']);
  });

  it('are accepted by this node, and bound the young generation to the semi-space they name', () => {
    const options = startOptions();
    for (const option of options) expect(option).toMatch(/^--[a-z0-9-]+=\d+$/);
    const semiSpaceMb = Number(
      /^--max-semi-space-size=(\d+)$/.exec(
        options.find((o) => o.startsWith('--max-semi-space-size=')) ?? '',
      )?.[1],
    );
    expect(semiSpaceMb).toBeGreaterThan(0);
    // Short-lived garbage at a high rate: without the option V8 grows a semi-space to 16 MB on 64-bit.
    const script =
      'let keep; for (let i = 0; i < 3e6; i++) keep = { i, s: String(i) };' +
      "const v8 = require('node:v8');" +
      "process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));";
    const run = (extra: string[]) =>
      spawnSync(process.execPath, [...extra, '-e', script], { encoding: 'utf8' });
    const bounded = run(options);
    expect(bounded.status, bounded.stderr).toBe(0);
    // V8 reports the new space as both semi-spaces together.
    const bound = 2 * semiSpaceMb * 1024 * 1024;
    expect(Number(bounded.stdout)).toBeLessThanOrEqual(bound);
    // The check can fail: the same garbage without the options grows the young generation beyond it.
    expect(Number(run([]).stdout)).toBeGreaterThan(bound);
  });
});

describe('what `npm start` loads', () => {
  it('configured by environment alone, it loads neither the YAML parser nor pino-pretty', () => {
    const { status, packages } = packagesLoadedByMain({});
    expect(status).toBe(2);
    // The list is real: Bolt, ioredis and pino are loaded by every start.
    expect(packages).toEqual(expect.arrayContaining(['@slack/bolt', 'ioredis', 'pino']));
    expect(packages).not.toContain('yaml');
    expect(packages).not.toContain('pino-pretty');
  });

  it('loads the YAML parser when COSJOB_CONFIG names a file, and reads it', () => {
    const file = join(temp, 'cosjob.yaml');
    writeFileSync(file, 'accounts: [\n');
    const result = packagesLoadedByMain({ COSJOB_CONFIG: file });
    expect(result.status).toBe(2);
    expect(result.packages).toContain('yaml');
  });

  it('never reaches the CLI (src/cli) from src/main.ts', () => {
    const graph = [...runtimeImportGraph(join(ROOT, 'src', 'main.ts'))].map((f) => f.slice(ROOT.length));
    // The graph is real: the runtime and the Slack app are in it.
    expect(graph).toEqual(expect.arrayContaining(['src/runtime.ts', 'src/slack/app.ts']));
    expect(graph.filter((f) => f.startsWith('src/cli/'))).toEqual([]);
  });
});
