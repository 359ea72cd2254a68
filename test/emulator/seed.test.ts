import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadSeedFile, parseSeed, SeedError } from '../../tools/emulator/server.js';
import {
  ACCOUNT,
  endpointOf,
  errorOf,
  parseXml,
  REGION,
  sendCall,
  spawnEmulatorProcess,
  startHarness,
} from './helpers.js';

const EXAMPLE = 'examples/emulator-seed.json';

describe('emulator: seed jobs', () => {
  it('loads the example seed file: realistic jobs of every operation kind, some Suspended', async () => {
    const seed = await loadSeedFile(EXAMPLE);
    const h = await startHarness({ seed });
    try {
      const jobs = h.emulator.store.listJobs(REGION);
      expect(jobs).toHaveLength(seed.length);
      expect(new Set(jobs.map((j) => j.operation.kind))).toEqual(
        new Set(['COSPutObjectCopy', 'COSInitiateRestoreObject', 'COSPutObjectTagging', 'COSDeleteObject']),
      );
      const suspended = jobs.filter((j) => j.status === 'Suspended');
      expect(suspended.length).toBeGreaterThanOrEqual(2);
      for (const job of suspended) {
        expect(job.suspendedDate).toBeDefined();
        expect(Date.parse(job.creationTime)).toBeLessThan(h.clock.now());
      }
      const listed = parseXml(
        (await h.call({ method: 'GET', path: '/jobs', query: { jobStatuses: 'Suspended' } })).text,
      ).ListJobsResult.Jobs.member.map((m: { JobId: string }) => m.JobId);
      expect(listed).toEqual(suspended.map((j) => j.id));
      const failed = jobs.find((j) => j.status === 'Failed');
      expect(failed?.failureReasons.length).toBeGreaterThan(1);
      expect(failed?.terminationDate).toBeDefined();
    } finally {
      await h.close();
    }
  });

  it('places seed jobs by creation time and account defaults', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
    const h = await startHarness({
      clock,
      seed: parseSeed([
        { id: 'job-a', status: 'Suspended', createdMinutesAgo: 30, operation: { kind: 'COSDeleteObject' } },
        {
          id: 'job-b',
          region: 'ap-shanghai',
          creationTime: '2026-04-30T08:00:00Z',
          operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 3, jobTier: 'Bulk' },
        },
      ]),
    });
    try {
      const a = h.emulator.store.getJob(REGION, 'job-a');
      expect(a).toMatchObject({
        status: 'Suspended',
        creationTime: '2026-05-01T11:30:00Z',
        confirmationRequired: true,
        roleArn: `qcs::cam::uin/${ACCOUNT.uin}:roleName/COS_Batch_QcsRole`,
      });
      expect(a?.manifest?.location.objectArn).toContain(`uid/${ACCOUNT.appId}:`);
      expect(h.emulator.store.getJob('ap-shanghai', 'job-b')).toMatchObject({
        status: 'New',
        creationTime: '2026-04-30T08:00:00Z',
      });
    } finally {
      await h.close();
    }
  });

  it('reports every problem in a bad seed at once, by job', () => {
    let error: unknown;
    try {
      parseSeed({
        jobs: [
          { id: 'ok', operation: { kind: 'COSDeleteObject' } },
          { id: 'bad-status', status: 'Waiting', operation: { kind: 'COSDeleteObject' } },
          { operation: { kind: 'COSCopy' }, priority: -1 },
        ],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SeedError);
    const problems = (error as SeedError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/job #2 \(bad-status\): status must be one of/);
    expect(problems[1]).toMatch(/job #3: operation.kind must be one of/);
    expect(problems[2]).toMatch(/job #3: priority must be a whole number/);
    expect(() => parseSeed('nope')).toThrow(/expected a list of jobs/);
  });

  it('says which file is unreadable or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-seed-'));
    try {
      const broken = join(dir, 'broken.json');
      await writeFile(broken, '{ "jobs": [ ');
      await expect(loadSeedFile(broken)).rejects.toThrow(/broken\.json[\s\S]*not valid JSON/);
      await expect(loadSeedFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('emulator: npm run emulator (tools/emulator/main.ts)', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts with the env account and a seed file, prints the endpoint, stops cleanly on SIGTERM', async () => {
    const env = {
      ...process.env,
      EMULATOR_PORT: '0',
      COS_UIN: ACCOUNT.uin,
      COS_APPID: ACCOUNT.appId,
      COS_SECRET_ID: ACCOUNT.secretId,
      COS_SECRET_KEY: ACCOUNT.secretKey,
    };
    const emulator = spawnEmulatorProcess(['--seed', EXAMPLE], env);
    children.push(emulator.child);
    const url = await endpointOf(emulator);
    const stdout = emulator.stdout();
    expect(stdout).toContain(`COS_UIN=${ACCOUNT.uin} COS_APPID=${ACCOUNT.appId}`);
    expect(stdout).not.toContain(ACCOUNT.secretKey);

    const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
    try {
      const reply = await sendCall(url, agent, { now: () => Date.now() }, { method: 'GET', path: '/jobs' });
      expect(reply.status).toBe(200);
      expect(parseXml(reply.text).ListJobsResult.Jobs.member.length).toBe(
        (await loadSeedFile(EXAMPLE)).length,
      );
      const bad = await sendCall(
        url,
        agent,
        { now: () => Date.now() },
        { method: 'GET', path: '/jobs', appId: null },
      );
      expect(errorOf(bad).code).toBe('InvalidArgument');
    } finally {
      await agent.close();
    }
    emulator.child.kill('SIGTERM');
    expect(await emulator.exited).toBe(0);
    expect(emulator.stdout()).toContain('SIGTERM: stopping the emulator');
  });
});
