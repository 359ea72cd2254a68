/**
 * Starting fast: `npm start` compiles only when the build is stale (scripts/build.mjs --if-stale), and
 * the entry point reads `.env` from its working directory, with variables already set winning.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';
import { type FakeSlack, startFakeSlack } from '../../tools/fakes/fake-slack.js';
import { TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const redisCtx = useRedis();
const temps: string[] = [];
let child: ChildProcess | undefined;
let emulator: RunningEmulator | undefined;
let fake: FakeSlack | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await emulator?.close();
  await fake?.close();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cosjob-start-'));
  temps.push(dir);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A tiny project laid out like this one (scripts/build.mjs, tsconfigs, src/), sharing node_modules. */
function miniProject(): string {
  const dir = tempDir();
  cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const compilerOptions = { module: 'NodeNext', target: 'ES2022', outDir: 'dist', rootDir: '.', types: [] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions }));
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', include: ['src'] }),
  );
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a: number = 1;\n');
  writeFileSync(join(dir, 'src', 'b.ts'), 'export const b: number = 2;\n');
  return dir;
}

/** Runs the prestart step and returns what it said. */
function prestart(dir: string): string {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stderr;
}

/** Dates the last build a minute back, so an edit made now is unambiguously newer than it. */
function buildAMinuteAgo(dir: string): void {
  const earlier = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'dist', '.build-stamp'), earlier, earlier);
}

describe('npm start: build only when stale', () => {
  it('is wired into install (prepare) and start (prestart)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toBe('node scripts/build.mjs --if-stale');
    expect(pkg.scripts.prestart).toBe('node scripts/build.mjs --if-stale');
    // Node options may come first (the memory bounds test/core/startup-footprint.test.ts checks).
    expect(pkg.scripts.start).toMatch(/^node (--[a-z0-9-]+=\d+ )*dist\/src\/main\.js$/);
  });

  it('compiles a fresh checkout, skips tsc when the build is current, and rebuilds after an edit, a tsconfig change or a deletion', () => {
    const dir = miniProject();
    expect(prestart(dir)).toContain('there is no build yet');
    const built = join(dir, 'dist', 'src', 'a.js');
    expect(readFileSync(built, 'utf8')).toContain('a = 1');
    const builtAt = statSync(built).mtimeMs;

    expect(prestart(dir)).toContain('dist/ is current, not recompiling');
    expect(statSync(built).mtimeMs).toBe(builtAt);

    buildAMinuteAgo(dir);
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a: number = 3;\n');
    expect(prestart(dir)).toContain('src/a.ts changed since the last build: compiling');
    expect(readFileSync(built, 'utf8')).toContain('a = 3');

    buildAMinuteAgo(dir);
    writeFileSync(join(dir, 'tsconfig.build.json'), readFileSync(join(dir, 'tsconfig.build.json')));
    expect(prestart(dir)).toContain('tsconfig.build.json changed since the last build');

    buildAMinuteAgo(dir);
    rmSync(join(dir, 'src', 'b.ts'));
    expect(prestart(dir)).toContain('src changed since the last build');
    expect(existsSync(join(dir, 'dist', 'src', 'b.js'))).toBe(false);
    expect(prestart(dir)).toContain('dist/ is current');
  }, 120_000);
});

describe('npm start: .env', () => {
  it('reads .env from the working directory, and a variable already set in the environment wins', async () => {
    emulator = await startEmulator({ accounts: [TEST_ACCOUNT] });
    fake = await startFakeSlack({ expectedToken: 'xoxb-dotenv-test-0000' });
    const port = await freePort();
    const dir = tempDir();
    writeFileSync(
      join(dir, '.env'),
      [
        `COS_SECRET_ID=${TEST_ACCOUNT.secretId}`,
        `COS_SECRET_KEY=${TEST_ACCOUNT.secretKey}`,
        `COS_APPID=${TEST_ACCOUNT.appId}`,
        `COS_UIN=${TEST_ACCOUNT.uin}`,
        'COS_REGIONS=ap-guangzhou',
        `COS_ENDPOINT=${emulator.url}`,
        `REDIS_URL=${redisCtx.url}`,
        `REDIS_KEY_PREFIX=${redisCtx.keyPrefix}`,
        'SLACK_BOT_TOKEN=xoxb-dotenv-test-0000',
        'SLACK_SIGNING_SECRET=0123456789abcdef0123456789abcdef',
        'SLACK_CHANNEL_ID=CFROMDOTENV',
        `SLACK_API_URL=${fake.apiUrl}`,
        'APPROVER_USER_IDS=UALICE',
        // Set in the environment too: the environment's value must win over this one.
        'PORT=not-a-port',
        '',
      ].join('\n'),
    );
    // tsx is resolved from this checkout, since the working directory is elsewhere.
    const tsx = import.meta.resolve('tsx');
    child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'main.ts')], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const health = await (async () => {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`cosjob exited: ${output}`);
        const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (answer?.ok) return answer.text();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(health).toBe('ok');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('CFROMDOTENV');
    expect(output).not.toContain('PORT is malformed');
    // No AUDIT_HMAC_KEY in .env or the environment: the start-up warning says so.
    expect(output).toContain('AUDIT_HMAC_KEY is not set');
  }, 40_000);
});
