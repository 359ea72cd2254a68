/**
 * `npm run emulator [-- --seed examples/emulator-seed.json]`: a local COS job endpoint for the demo and
 * sandbox mode. Jobs advance on their own (autoAdvance). Settings come from the environment.
 */
import { createLogger } from '../../src/logger.js';
import { loadSeedFile, SeedError, type SeedJob, startEmulator } from './server.js';

const DEMO_ACCOUNT = {
  uin: '100000000001',
  appId: '1250000000',
  secretId: 'AKIDcosjobEmulatorDemoKey',
  secretKey: 'cosjob-emulator-demo-secret-key',
};

const USAGE = `Usage: npm run emulator [-- --seed <file.json>]

Environment:
  EMULATOR_PORT     port to listen on (default 9800; 0 picks a free one)
  EMULATOR_HOST     address to bind (default 127.0.0.1)
  EMULATOR_REGION   region used when the Host header is not <uin>.cos-control.<region>.myqcloud.com
                    (default ap-guangzhou)
  COS_UIN, COS_APPID, COS_SECRET_ID, COS_SECRET_KEY
                    the account the emulator accepts (demo values when unset)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { seedPath?: string } {
  let seedPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--seed') {
      seedPath = argv[++i];
      if (seedPath === undefined || seedPath.startsWith('--')) fail(`--seed needs a file path\n\n${USAGE}`);
    } else if (arg.startsWith('--seed=')) {
      seedPath = arg.slice('--seed='.length);
    } else {
      fail(`unknown argument "${arg}"\n\n${USAGE}`);
    }
  }
  return seedPath === undefined ? {} : { seedPath };
}

function envOr(name: string, fallback: string): { value: string; fromEnv: boolean } {
  const value = process.env[name]?.trim();
  return value ? { value, fromEnv: true } : { value: fallback, fromEnv: false };
}

async function main(): Promise<void> {
  const { seedPath } = parseArgs(process.argv.slice(2));
  const portText = process.env.EMULATOR_PORT?.trim() || '9800';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    fail(`EMULATOR_PORT must be a port number from 0 to 65535, got "${portText}"`);
  }
  const uin = envOr('COS_UIN', DEMO_ACCOUNT.uin);
  const appId = envOr('COS_APPID', DEMO_ACCOUNT.appId);
  const secretId = envOr('COS_SECRET_ID', DEMO_ACCOUNT.secretId);
  const secretKey = envOr('COS_SECRET_KEY', DEMO_ACCOUNT.secretKey);
  const region = process.env.EMULATOR_REGION?.trim() || 'ap-guangzhou';

  let seed: SeedJob[] | undefined;
  if (seedPath !== undefined) {
    try {
      seed = await loadSeedFile(seedPath);
    } catch (error) {
      fail(
        error instanceof SeedError ? error.message : `cannot load ${seedPath}: ${(error as Error).message}`,
      );
    }
  }

  const emulator = await startEmulator({
    port: Number(portText),
    host: process.env.EMULATOR_HOST?.trim() || '127.0.0.1',
    defaultRegion: region,
    accounts: [{ uin: uin.value, appId: appId.value, secretId: secretId.value, secretKey: secretKey.value }],
    autoAdvance: true,
    logger: createLogger({ name: 'cos-emulator', level: 'warn' }),
    ...(seed ? { seed } : {}),
  });

  const keySource = secretKey.fromEnv ? 'COS_SECRET_KEY from the environment' : 'the demo default';
  const out = [
    `COS Batch Operations emulator listening on ${emulator.url}`,
    `  account: uin=${uin.value} appid=${appId.value} secretId=${secretId.value} (secret key: ${keySource}, not shown)`,
    `  jobs: ${emulator.store.size}${seedPath ? ` seeded from ${seedPath}` : ''}; default region ${region}`,
    '',
    'Point cosjob at it with:',
    `  COS_ENDPOINT=${emulator.url}`,
    `  COS_UIN=${uin.value} COS_APPID=${appId.value} COS_REGIONS=${region}`,
  ];
  if (!secretId.fromEnv || !secretKey.fromEnv) {
    out.push('  COS_SECRET_ID / COS_SECRET_KEY: the demo pair in tools/emulator/main.ts (DEMO_ACCOUNT)');
  }
  out.push('', 'Ctrl-C stops it.');
  process.stdout.write(`${out.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`second ${signal}: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`${signal}: stopping the emulator\n`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  fail(`the emulator could not start: ${(error as Error).message}`);
});
