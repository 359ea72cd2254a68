/**
 * `cosjob rules check` and `cosjob rules explain` as child processes (bin/cosjob.js), against the COS
 * emulator serving two accounts, each with its own key: the job of one account is found only with that
 * account's key, and no key ever reaches the output.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateJobInput } from '../../tools/cos/create-job-xml.js';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';

const PROD = {
  uin: '100000000081',
  appId: '1250000081',
  secretId: 'AKIDrulesprod000000000000000000081',
  secretKey: 'rules-prod-secret-key-0000000081',
};
const STAGING = {
  uin: '100000000082',
  appId: '1250000082',
  secretId: 'AKIDrulesstaging0000000000000000082',
  secretKey: 'rules-staging-secret-key-000082',
};

const bin = fileURLToPath(new URL('../../bin/cosjob.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cosjob-rules-cli-'));
let emulator: RunningEmulator;
let env: Record<string, string>;
let configPath: string;
const jobs = { prodDelete: '', stagingCopy: '' };

function input(
  account: typeof PROD,
  description: string,
  overrides: Partial<CreateJobInput> = {},
): CreateJobInput {
  return {
    clientRequestToken: `rules-${description}`,
    confirmationRequired: true,
    description,
    priority: 10,
    roleArn: `qcs::cam::uin/${account.uin}:roleName/COS_Batch_QcsRole`,
    manifest: {
      objectArn: `qcs::cos:ap-guangzhou:uid/${account.appId}:logs-${account.appId}/m.csv`,
      etag: '"0123456789abcdef0123456789abcdef"',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: `qcs::cos:ap-guangzhou:uid/${account.appId}:prod-data-${account.appId}`,
    },
    ...overrides,
  };
}

const CONFIG = `accounts:
  - name: prod
    uin: ${PROD.uin}
    appid: ${PROD.appId}
    regions: [ap-guangzhou, ap-shanghai]
    secret_id_env: PROD_ID
    secret_key_env: PROD_KEY
  - name: staging
    uin: ${STAGING.uin}
    appid: ${STAGING.appId}
    regions: [ap-guangzhou]
    secret_id_env: STAGING_ID
    secret_key_env: STAGING_KEY
rules:
  - name: big copies
    match: { operation: copy, min_tasks: 1000000 }
    approvals: 2
    approvers: { groups: [S0STORAGE] }
  - name: deletes
    match:
      account: prod
      destructive: true
    approvals: 2
    approvers: { users: [U0ALICE01, U0BOB0002] }
`;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [PROD, STAGING] });
  jobs.prodDelete = emulator.store.createJob(
    'ap-shanghai',
    input(PROD, 'purge', { operation: { kind: 'COSDeleteObject' } }),
    { status: 'Suspended', totalTasks: 1200, uin: PROD.uin },
  ).id;
  jobs.stagingCopy = emulator.store.createJob('ap-guangzhou', input(STAGING, 'copy'), {
    status: 'Suspended',
    totalTasks: 40,
    uin: STAGING.uin,
  }).id;
  configPath = join(dir, 'cosjob.yml');
  writeFileSync(configPath, CONFIG);
  env = {
    PATH: process.env.PATH ?? '',
    COSJOB_CONFIG: configPath,
    COS_ENDPOINT: emulator.url,
    APPROVER_USER_IDS: 'U0DEFAULT1',
    PROD_ID: PROD.secretId,
    PROD_KEY: PROD.secretKey,
    STAGING_ID: STAGING.secretId,
    STAGING_KEY: STAGING.secretKey,
  };
});

afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

function cosjob(args: string[], environment: Record<string, string> = env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: environment, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function expectNoSecrets(text: string): void {
  for (const account of [PROD, STAGING]) {
    expect(text).not.toContain(account.secretId);
    expect(text).not.toContain(account.secretKey);
  }
}

describe('cosjob rules check', () => {
  it('accepts a valid file and lists the accounts, the rules in order and the default, each with its hash', async () => {
    const result = await cosjob(['rules', 'check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${configPath} is valid.`);
    expect(lines).toContainEqual(
      `  prod: UIN ${PROD.uin}, APPID ${PROD.appId}, regions ap-guangzhou, ap-shanghai; key from PROD_ID and PROD_KEY`,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}1\. Rule "big copies": 2 approvals from @S0STORAGE \[hash [0-9a-f]{16}\] \(.*cosjob\.yml:15\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}2\. Rule "deletes": 2 approvals from @U0ALICE01 or @U0BOB0002 \[hash [0-9a-f]{16}\] \(.*:19\)$/,
      ),
    );
    expect(lines).toContainEqual('     for jobs with operation copy, at least 1000000 tasks');
    expect(lines).toContainEqual('     for jobs with account prod, deleting objects');
    expect(lines.at(-1)).toMatch(
      /^ {2}- {2}Rule "default": 1 approval from @U0DEFAULT1 \[hash [0-9a-f]{16}\] \(from the environment\)$/,
    );
    expectNoSecrets(result.stdout);
  });

  it('exits 1 with every problem of the file and the environment, each with file:line, and no key', async () => {
    const broken = join(dir, 'broken.yml');
    writeFileSync(
      broken,
      CONFIG.replace('regions: [ap-guangzhou]\n', 'regions: [ap-guangzhuo]\n').replace(
        'min_tasks: 1000000',
        'min_tasks: many',
      ),
    );
    const result = await cosjob(['rules', 'check', '--file', broken], {
      ...env,
      PROD_KEY: 'has a space',
      REQUIRED_APPROVALS: '0',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `cosjob: ${broken} has 4 problems:`,
      '  - REQUIRED_APPROVALS is malformed: expected a whole number from 1 to 10',
      `  - ${broken}:7: accounts[0].secret_key_env names PROD_KEY, which is malformed: it contains a space, tab or line break; copy it again from the CAM console`,
      `  - ${broken}:11: accounts[1].regions[0] "ap-guangzhuo" is not a COS region: did you mean ap-guangzhou?`,
      `  - ${broken}:16: rules[0].match.min_tasks must be a whole number from 0 to 9007199254740991`,
    ]);
    expect(result.stderr).not.toContain('has a space');
  });

  it('without COSJOB_CONFIG checks the environment: one account, the default rule', async () => {
    const { COSJOB_CONFIG: _, ...rest } = env;
    const result = await cosjob(['rules', 'check'], {
      ...rest,
      COS_SECRET_ID: PROD.secretId,
      COS_SECRET_KEY: PROD.secretKey,
      COS_UIN: PROD.uin,
      COS_APPID: PROD.appId,
      COS_REGIONS: 'ap-guangzhou',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the environment (no COSJOB_CONFIG) is valid.');
    expect(result.stdout).toContain(
      '  default: UIN 100000000081, APPID 1250000081, regions ap-guangzhou; key from COS_SECRET_ID and COS_SECRET_KEY',
    );
    expect(result.stdout).toContain('Rules, first match wins (0, then the default):');
  });
});

describe('cosjob rules explain', () => {
  it('finds the job in its account and region and shows each rule tried, key by key', async () => {
    const result = await cosjob(['rules', 'explain', jobs.prodDelete]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `Job ${jobs.prodDelete} (account prod, ap-shanghai): delete (deletes objects), 1200 tasks, manifest bucket logs-${PROD.appId}`,
      `Rule 1 "big copies" (${configPath}:15): does not match`,
      '  ✗ operation: wants one of copy; the job has delete',
      '  ✗ min_tasks: wants at least 1000000 tasks; the job has 1200 tasks',
      `Rule 2 "deletes" (${configPath}:19): matches`,
      '  ✓ account: wants one of prod; the job has prod',
      '  ✓ destructive: wants a job that deletes objects; the job has deletes objects',
      expect.stringMatching(
        /^Applies: Rule "deletes": 2 approvals from @U0ALICE01 or @U0BOB0002 \[hash [0-9a-f]{16}\]$/,
      ),
    ]);
  });

  it('uses the account named, with its own key, and falls to the default rule (JSON)', async () => {
    const result = await cosjob(['rules', 'explain', jobs.stagingCopy, '--account', 'staging', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.job).toMatchObject({
      account: 'staging',
      region: 'ap-guangzhou',
      operation: 'copy',
      totalTasks: 40,
      targetBucket: `prod-data-${STAGING.appId}`,
    });
    expect(body.isDefault).toBe(true);
    expect(body.rule).toMatchObject({
      name: 'default',
      description: 'Rule default: 1 approval from @U0DEFAULT1',
    });
    expect(body.why.map((e: { rule: string; matched: boolean }) => [e.rule, e.matched])).toEqual([
      ['big copies', false],
      ['deletes', false],
    ]);
    expectNoSecrets(result.stdout);
  });

  it("does not find a job with another account's key, and exits 1 with COS's refusal when the keys are swapped", async () => {
    const elsewhere = await cosjob(['rules', 'explain', jobs.stagingCopy, '--account', 'prod']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(
      `job ${jobs.stagingCopy} was not found in prod/ap-guangzhou, prod/ap-shanghai`,
    );
    const swapped = await cosjob(['rules', 'explain', jobs.stagingCopy, '--account', 'staging'], {
      ...env,
      STAGING_ID: PROD.secretId,
      STAGING_KEY: PROD.secretKey,
    });
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/COS error \w+ \(HTTP 403\)/);
    expectNoSecrets(swapped.stderr);
  });

  it('refuses an unknown account or region, and a bad file, before asking COS', async () => {
    const account = await cosjob(['rules', 'explain', jobs.prodDelete, '--account', 'nope']);
    expect(account.code).toBe(2);
    expect(account.stderr).toContain('--account "nope" is not a configured account: prod, staging.');
    const region = await cosjob([
      'rules',
      'explain',
      jobs.prodDelete,
      '--account',
      'staging',
      '--region',
      'ap-shanghai',
    ]);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('--region "ap-shanghai" is not watched by account staging.');
    const bad = await cosjob(['rules', 'explain', jobs.prodDelete], {
      ...env,
      COSJOB_CONFIG: join(dir, 'missing.yml'),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('which cannot be read (no such file)');
  });
});
