/**
 * `npm run emulator [-- --seed examples/emulator-seed.json]`: a local COS job endpoint for the demo and
 * sandbox mode. Jobs advance on their own (autoAdvance). Settings come from the environment and flags.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/logger.js';
import {
  type EmulatorAccount,
  loadSeedDocument,
  type PagingOptions,
  type SeedDocument,
  SeedError,
  startEmulator,
  syntheticJobs,
} from './server.js';

const DEMO_ACCOUNT = {
  uin: '100000000001',
  appId: '1250000000',
  secretId: 'AKIDcosjobEmulatorDemoKey',
  secretKey: 'cosjob-emulator-demo-secret-key',
};

const USAGE = `Usage: npm run emulator [-- options]

Options:
  --seed <file.json>            jobs to start with; the file may also list "accounts" (several UINs, each
                                with its own SecretId/SecretKey) and "paging" (see the README)
  --synthetic-jobs <N>          add N small jobs (for scale tests), after the seed's jobs
  --synthetic-suspended <M>     of those, M wait in Suspended (default 0)
  --max-jobs-per-page <1..1000> ListJobs serves short pages of at most this many jobs, each still
                                carrying a NextToken when more jobs follow
  --last-page-token <empty|last-job-id>
                                what the last ListJobs page carries as NextToken (default empty)
  -h, --help                    this text

Environment:
  EMULATOR_PORT     port to listen on (default 9800; 0 picks a free one)
  EMULATOR_HOST     address to bind (default 127.0.0.1)
  EMULATOR_REGION   region used when the Host header is not <uin>.cos-control.<region>.myqcloud.com
                    (default ap-guangzhou)
  COS_UIN, COS_APPID, COS_SECRET_ID, COS_SECRET_KEY
                    the account the emulator accepts when the seed lists no accounts (demo values when unset)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

interface Flags {
  seedPath?: string;
  syntheticJobs: number;
  syntheticSuspended: number;
  paging: PagingOptions;
}

function wholeNumber(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"\n\n${USAGE}`);
  }
  return Number(text);
}

const FLAG_OPTIONS = {
  seed: { type: 'string' },
  'synthetic-jobs': { type: 'string' },
  'synthetic-suspended': { type: 'string' },
  'max-jobs-per-page': { type: 'string' },
  'last-page-token': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseFlagValues(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FLAG_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
}

function readFlags(argv: string[]): Flags {
  const values = parseFlagValues(argv);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.seed !== undefined && (values.seed === '' || values.seed.startsWith('--'))) {
    fail(`--seed needs a file path\n\n${USAGE}`);
  }
  const paging: PagingOptions = {};
  const perPage = wholeNumber('max-jobs-per-page', values['max-jobs-per-page'], 1, 1000);
  if (perPage !== undefined) paging.maxJobsPerPage = perPage;
  const lastToken = values['last-page-token'];
  if (lastToken !== undefined) {
    if (lastToken !== 'empty' && lastToken !== 'last-job-id') {
      fail(`--last-page-token must be empty or last-job-id, got "${lastToken}"\n\n${USAGE}`);
    }
    paging.lastPageToken = lastToken === 'empty' ? 'empty' : 'lastJobId';
  }
  const total = wholeNumber('synthetic-jobs', values['synthetic-jobs'], 0, 1_000_000) ?? 0;
  const suspended = wholeNumber('synthetic-suspended', values['synthetic-suspended'], 0, 1_000_000) ?? 0;
  if (suspended > total)
    fail(`--synthetic-suspended (${suspended}) cannot exceed --synthetic-jobs (${total})`);
  return {
    ...(values.seed !== undefined ? { seedPath: values.seed } : {}),
    syntheticJobs: total,
    syntheticSuspended: suspended,
    paging,
  };
}

function envOr(name: string, fallback: string): { value: string; fromEnv: boolean } {
  const value = process.env[name]?.trim();
  return value ? { value, fromEnv: true } : { value: fallback, fromEnv: false };
}

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2));
  const portText = process.env.EMULATOR_PORT?.trim() || '9800';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    fail(`EMULATOR_PORT must be a port number from 0 to 65535, got "${portText}"`);
  }
  const uin = envOr('COS_UIN', DEMO_ACCOUNT.uin);
  const appId = envOr('COS_APPID', DEMO_ACCOUNT.appId);
  const secretId = envOr('COS_SECRET_ID', DEMO_ACCOUNT.secretId);
  const secretKey = envOr('COS_SECRET_KEY', DEMO_ACCOUNT.secretKey);
  const region = process.env.EMULATOR_REGION?.trim() || 'ap-guangzhou';

  let document: SeedDocument = { jobs: [] };
  if (flags.seedPath !== undefined) {
    try {
      document = await loadSeedDocument(flags.seedPath);
    } catch (error) {
      fail(
        error instanceof SeedError
          ? error.message
          : `cannot load ${flags.seedPath}: ${(error as Error).message}`,
      );
    }
  }
  const envAccount: EmulatorAccount = {
    uin: uin.value,
    appId: appId.value,
    secretId: secretId.value,
    secretKey: secretKey.value,
  };
  const accounts = document.accounts ?? [envAccount];
  const seed = [
    ...document.jobs,
    ...syntheticJobs({ total: flags.syntheticJobs, suspended: flags.syntheticSuspended }),
  ];

  const emulator = await startEmulator({
    port: Number(portText),
    host: process.env.EMULATOR_HOST?.trim() || '127.0.0.1',
    defaultRegion: region,
    accounts,
    autoAdvance: true,
    logger: createLogger({ name: 'cos-emulator', level: 'warn' }),
    paging: { ...document.paging, ...flags.paging },
    ...(seed.length > 0 ? { seed } : {}),
  });

  const out = [`COS Batch Operations emulator listening on ${emulator.url}`];
  if (document.accounts) {
    for (const account of document.accounts) {
      out.push(
        `  account: uin=${account.uin} appid=${account.appId} secretId=${account.secretId} (secret key from ${flags.seedPath}, not shown)`,
      );
    }
  } else {
    const keySource = secretKey.fromEnv ? 'COS_SECRET_KEY from the environment' : 'the demo default';
    out.push(
      `  account: uin=${uin.value} appid=${appId.value} secretId=${secretId.value} (secret key: ${keySource}, not shown)`,
    );
  }
  out.push(
    `  jobs: ${emulator.store.size}${flags.seedPath ? ` seeded from ${flags.seedPath}` : ''}; default region ${region}`,
    '',
    'Point cosjob at it with:',
    `  COS_ENDPOINT=${emulator.url}`,
    `  COS_UIN=${accounts[0]!.uin} COS_APPID=${accounts[0]!.appId} COS_REGIONS=${region}`,
  );
  if (!document.accounts && (!secretId.fromEnv || !secretKey.fromEnv)) {
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
