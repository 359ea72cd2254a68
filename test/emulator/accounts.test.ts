import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorAccount, parseSeedDocument, SeedError } from '../../tools/emulator/server.js';
import {
  controlHost,
  endpointOf,
  errorOf,
  type Harness,
  parseXml,
  REGION,
  sendCall,
  spawnEmulatorProcess,
  startHarness,
} from './helpers.js';

/** One emulator, several Tencent Cloud accounts, each with its own key pair (issue 11). */

const STORAGE: EmulatorAccount = {
  uin: '300000000003',
  appId: '1270000000',
  secretId: 'AKIDstorageTeamKey0003',
  secretKey: 'storage-team-secret-key-0003',
};
const MEDIA: EmulatorAccount = {
  uin: '400000000004',
  appId: '1280000000',
  secretId: 'AKIDmediaTeamKey000004',
  secretKey: 'media-team-secret-key-000004',
};

const SEED = {
  accounts: [STORAGE, MEDIA],
  jobs: [
    { id: 'storage-delete', uin: STORAGE.uin, status: 'Suspended', operation: { kind: 'COSDeleteObject' } },
    {
      id: 'media-restore',
      uin: MEDIA.uin,
      status: 'Suspended',
      operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 2, jobTier: 'Standard' },
    },
  ],
};

function listedIds(text: string): string[] {
  const jobs = parseXml(text).ListJobsResult.Jobs;
  return jobs === '' ? [] : jobs.member.map((m: { JobId: string }) => m.JobId);
}

describe('emulator: several accounts from a seed document', () => {
  let h: Harness;
  beforeAll(async () => {
    const document = parseSeedDocument(SEED);
    h = await startHarness({ accounts: document.accounts ?? [], seed: document.jobs });
  });
  afterAll(async () => {
    await h.close();
  });

  it('each account, signed with its own key, sees only its own jobs', async () => {
    const storage = await h.call({ method: 'GET', path: '/jobs', account: STORAGE });
    expect(storage.status).toBe(200);
    expect(listedIds(storage.text)).toEqual(['storage-delete']);
    const media = await h.call({ method: 'GET', path: '/jobs', account: MEDIA });
    expect(listedIds(media.text)).toEqual(['media-restore']);
    const describeOther = await h.call({ method: 'GET', path: '/jobs/media-restore', account: STORAGE });
    expect(describeOther.status).toBe(404);
    expect(errorOf(describeOther).code).toBe('NoSuchJob');
  });

  it("account A's key on account B's host is refused with 403, and B's job is untouched", async () => {
    // The COS documentation does not say which code a key of another account gets; both are 403s COS uses.
    const swapped = await h.call({
      method: 'POST',
      path: '/jobs/media-restore/status',
      query: { requestedJobStatus: 'Cancelled' },
      account: STORAGE,
      host: controlHost(REGION, MEDIA.uin),
      appId: MEDIA.appId,
    });
    expect(swapped.status).toBe(403);
    expect(['AccessDenied', 'SignatureDoesNotMatch']).toContain(errorOf(swapped).code);
    expect(swapped.text).not.toContain(STORAGE.secretKey);
    expect(h.emulator.store.getJob({ uin: MEDIA.uin, region: REGION }, 'media-restore')?.status).toBe(
      'Suspended',
    );
  });

  it("B's SecretId with A's SecretKey does not verify (SignatureDoesNotMatch)", async () => {
    const forged = await h.call({
      method: 'GET',
      path: '/jobs',
      account: { ...MEDIA, secretKey: STORAGE.secretKey },
    });
    expect(forged.status).toBe(403);
    expect(errorOf(forged).code).toBe('SignatureDoesNotMatch');
  });

  it('a host naming an account the emulator does not serve → 403 AccessDenied', async () => {
    const reply = await h.call({
      method: 'GET',
      path: '/jobs',
      account: STORAGE,
      host: controlHost(REGION, '999999999999'),
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply).code).toBe('AccessDenied');
  });
});

describe('emulator: seed document validation', () => {
  it('a bare list of jobs (the single-account format) still parses, with no accounts', () => {
    const document = parseSeedDocument([{ id: 'a', operation: { kind: 'COSDeleteObject' } }]);
    expect(document.accounts).toBeUndefined();
    expect(document.jobs.map((j) => j.id)).toEqual(['a']);
  });

  it('reports every problem with accounts, paging and jobs at once', () => {
    let error: unknown;
    try {
      parseSeedDocument({
        accounts: [STORAGE, { ...MEDIA, uin: STORAGE.uin }, { uin: '5', appId: 'x', secretId: 'AKIDz' }],
        paging: { maxJobsPerPage: 0, lastPageToken: 'never' },
        jobs: [{ id: 'orphan', uin: '123456', operation: { kind: 'COSDeleteObject' } }],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SeedError);
    const problems = (error as SeedError).problems.join('\n');
    expect(problems).toMatch(/account #2: uin must be unique/);
    expect(problems).toMatch(/account #3: secretKey must be present/);
    expect(problems).toMatch(/account #3: appId must be digits/);
    expect(problems).toMatch(/paging: maxJobsPerPage/);
    expect(problems).toMatch(/paging: lastPageToken/);
    expect(problems).toMatch(/job #1: uin 123456 is not one of the seed's accounts/);
    // Secrets stay out of the refusal.
    expect(problems).not.toContain(STORAGE.secretKey);
  });

  it('an empty accounts list is refused', () => {
    expect(() => parseSeedDocument({ accounts: [], jobs: [] })).toThrow(/accounts must be a non-empty list/);
  });
});

describe('emulator: npm run emulator with accounts, paging flags and synthetic jobs', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosjob-emulator-accounts-'));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('serves both seeded accounts with short pages carrying the last JobId as the final token', async () => {
    const seedPath = join(dir, 'accounts.json');
    await writeFile(seedPath, JSON.stringify({ ...SEED, paging: { maxJobsPerPage: 2 } }));
    const emulator = spawnEmulatorProcess(
      [
        '--seed',
        seedPath,
        '--synthetic-jobs',
        '5',
        '--synthetic-suspended',
        '2',
        '--last-page-token',
        'last-job-id',
      ],
      { ...process.env, EMULATOR_PORT: '0' },
    );
    children.push(emulator.child);
    const url = await endpointOf(emulator);
    const stdout = emulator.stdout();
    expect(stdout).toContain(`uin=${STORAGE.uin}`);
    expect(stdout).toContain(`uin=${MEDIA.uin}`);
    expect(stdout).not.toContain(STORAGE.secretKey);
    expect(stdout).not.toContain(MEDIA.secretKey);

    const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
    const clock = { now: () => Date.now() };
    try {
      // Synthetic jobs go to the first account: its job plus 5, in pages of 2, the last carrying a token.
      const seen: string[] = [];
      const tokens: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 10; i++) {
        const reply = await sendCall(url, agent, clock, {
          method: 'GET',
          path: '/jobs',
          account: STORAGE,
          query: token ? { nextToken: token } : {},
        });
        expect(reply.status).toBe(200);
        const ids = listedIds(reply.text);
        seen.push(...ids);
        token = String(parseXml(reply.text).ListJobsResult.NextToken ?? '');
        tokens.push(token);
        if (ids.length === 0 || token === '') break;
      }
      expect(seen).toHaveLength(6);
      expect(seen[0]).toBe('storage-delete');
      expect(tokens).toEqual([seen[1], seen[3], seen[5], '']);
      const media = await sendCall(url, agent, clock, { method: 'GET', path: '/jobs', account: MEDIA });
      expect(listedIds(media.text)).toEqual(['media-restore']);
    } finally {
      await agent.close();
    }
    emulator.child.kill('SIGTERM');
    expect(await emulator.exited).toBe(0);
  });

  it('refuses a bad flag with the usage text and exit code 2', async () => {
    const emulator = spawnEmulatorProcess(['--last-page-token', 'x'], { ...process.env, EMULATOR_PORT: '0' });
    children.push(emulator.child);
    const code = await emulator.exited;
    const stderr = emulator.stderr();
    expect(code).toBe(2);
    expect(stderr).toMatch(/--last-page-token must be empty or last-job-id/);
    expect(stderr).toMatch(/Usage: npm run emulator/);
  });
});
