/**
 * `cosjob approve|cancel|audit --account` with a COSJOB_CONFIG file declaring two accounts (issue 11):
 * COS_SECRET_ID and the rest of COS_* are not needed, each job is decided with its own account's key, and
 * a JobId found in both accounts is refused until --account says which.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { type CosFixture, copyJobInput, startCosFixture } from '../helpers/cos-fixture.js';
import { useRedis } from '../helpers/redis.js';

const REGION = 'ap-guangzhou';
const STORAGE = {
  uin: '300000000003',
  appId: '1270000000',
  secretId: 'AKIDstorageTeamKey0003',
  secretKey: 'storage-team-secret-key-0003',
};
const MEDIA = {
  uin: '400000000004',
  appId: '1280000000',
  secretId: 'AKIDmediaTeamKey000004',
  secretKey: 'media-team-secret-key-000004',
};
const CONFIG = `accounts:
  - name: storage
    uin: "${STORAGE.uin}"
    appid: "${STORAGE.appId}"
    regions: [${REGION}]
    secret_id_env: STORAGE_SECRET_ID
    secret_key_env: STORAGE_SECRET_KEY
  - name: media
    uin: "${MEDIA.uin}"
    appid: "${MEDIA.appId}"
    regions: [${REGION}]
    secret_id_env: MEDIA_SECRET_ID
    secret_key_env: MEDIA_SECRET_KEY
`;

const redisCtx = useRedis();
let cos: CosFixture;
let dir: string;

beforeEach(async () => {
  cos = await startCosFixture({ regions: [REGION], extraAccounts: [STORAGE, MEDIA] });
  dir = await mkdtemp(join(tmpdir(), 'cosjob-accounts-'));
  await writeFile(join(dir, 'cosjob.yaml'), CONFIG);
});
afterEach(async () => {
  await cos.close();
  await rm(dir, { recursive: true, force: true });
});

/** No COS_SECRET_ID, COS_SECRET_KEY, COS_APPID, COS_UIN or COS_REGIONS: the file names the accounts. */
function env(): Record<string, string> {
  return {
    COSJOB_CONFIG: join(dir, 'cosjob.yaml'),
    STORAGE_SECRET_ID: STORAGE.secretId,
    STORAGE_SECRET_KEY: STORAGE.secretKey,
    MEDIA_SECRET_ID: MEDIA.secretId,
    MEDIA_SECRET_KEY: MEDIA.secretKey,
    COS_ENDPOINT: cos.emulator.url,
    REDIS_URL: redisCtx.url,
    REDIS_KEY_PREFIX: redisCtx.keyPrefix,
    APPROVER_USER_IDS: 'UOPS1',
  };
}

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, env(), {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

function suspended(account: { uin: string }, id: string): void {
  cos.emulator.store.createJob({ uin: account.uin, region: REGION }, copyJobInput(), {
    status: 'Suspended',
    totalTasks: 10,
    id,
  });
}

describe('cosjob CLI with several accounts', () => {
  it("finds a job in its account and approves it with that account's key", async () => {
    suspended(MEDIA, 'media-only-job');
    const approved = await cli(['approve', 'media-only-job', '--as', 'UOPS1']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(cos.emulator.stats.statusUpdates.map((u) => [u.jobId, u.uin, u.httpStatus])).toEqual([
      ['media-only-job', MEDIA.uin, 200],
    ]);
    const shown = await cli(['audit', 'show', 'media-only-job', '--account', 'media', '--region', REGION]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/account/);
    expect(shown.stdout).toContain(`✔ job media/${REGION}/media-only-job: 2 entries, chain intact`);
    const json = JSON.parse(
      (await cli(['audit', 'show', 'media-only-job', '--account', 'media', '--region', REGION, '--json']))
        .stdout,
    ) as { account: string; entries: { account: string }[] };
    expect(json.account).toBe('media');
    expect(json.entries.map((e) => e.account)).toEqual(['media', 'media']);
  });

  it('asks for --account when the JobId is in both accounts, and refuses an unknown one', async () => {
    suspended(STORAGE, 'twin');
    suspended(MEDIA, 'twin');
    const ambiguous = await cli(['cancel', 'twin', '--as', 'UOPS1', '--reason', 'duplicate']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('exists in several accounts');
    expect(ambiguous.stderr).toContain('--account A');
    expect(cos.emulator.stats.statusUpdates).toHaveLength(0);

    const unknown = await cli(['cancel', 'twin', '--as', 'UOPS1', '--reason', 'x', '--account', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('configured: storage, media');

    const cancelled = await cli([
      'cancel',
      'twin',
      '--as',
      'UOPS1',
      '--reason',
      'dup',
      '--account',
      'storage',
    ]);
    expect(cancelled.code).toBe(0);
    expect(cos.emulator.stats.statusUpdates.map((u) => u.uin)).toEqual([STORAGE.uin]);
    expect(cos.emulator.store.getJob({ uin: MEDIA.uin, region: REGION }, 'twin')?.status).toBe('Suspended');
  });

  it('jobs list and describe read the account --account names (required with several), with its key', async () => {
    suspended(STORAGE, 'storage-listed');
    suspended(MEDIA, 'media-listed');
    const bare = await cli(['jobs', 'list']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Add --account NAME');
    expect(bare.stderr).toContain('storage, media');

    const listed = await cli(['jobs', 'list', '--account', 'media', '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((job) => job.id)).toEqual(['media-listed']);
    const storage = await cli(['jobs', 'list', '--account', 'storage']);
    expect(storage.stdout).toContain('storage-listed');
    expect(storage.stdout).not.toContain('media-listed');

    const described = await cli(['jobs', 'describe', 'media-listed', '--account', 'media']);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`Job media-listed (${REGION})`);
    // Asked with the other account, the job is not there: COS answers for storage's own jobs only.
    const elsewhere = await cli(['jobs', 'describe', 'media-listed', '--account', 'storage']);
    expect(elsewhere.code).toBe(1);
    // The emulator checked each request's signature against the account it names: none was refused.
    expect(cos.emulator.stats.responseCount('ListJobs', 403)).toBe(0);
    expect(cos.emulator.stats.responseCount('DescribeJob', 403)).toBe(0);

    const region = await cli(['jobs', 'list', '--account', 'media', '--region', 'ap-shanghai']);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain(`account media's regions: ${REGION}`);
    const unknown = await cli(['jobs', 'list', '--account', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('configured: storage, media');
  });

  it("audit show and verify find the region from the account's configured regions when --region is left out", async () => {
    suspended(MEDIA, 'media-audited');
    expect((await cli(['approve', 'media-audited', '--as', 'UOPS1'])).code).toBe(0);
    const shown = await cli(['audit', 'show', 'media-audited', '--account', 'media']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`✔ job media/${REGION}/media-audited: 2 entries, chain intact`);
    const verified = await cli(['audit', 'verify', 'media-audited', '--account', 'media']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`✔ job media/${REGION}/media-audited`);

    const unknown = await cli(['audit', 'show', 'media-audited', '--account', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Add --region R: account nosuch is not in COSJOB_CONFIG');
  });
});
