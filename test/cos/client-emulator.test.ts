/**
 * The client against the COS emulator (tools/emulator/server.ts): real signing checks, real routing by
 * Host header, real lifecycle, and the emulator's fault injection.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type CosClientOptions, CosJobsClient } from '../../src/cos/client.js';
import { CosError, CosValidationError } from '../../src/cos/errors.js';
import type { CreateJobInput } from '../../tools/cos/create-job-xml.js';
import { createJob, updateJobPriority } from '../../tools/cos/test-client.js';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';

const ACCOUNT = {
  uin: '100000000042',
  appId: '1250000042',
  secretId: 'AKIDemulatortest000000000000000000',
  secretKey: 'emulator-test-secret-key-5d1e8a7f',
};
const REGION = 'ap-guangzhou';

let emulator: RunningEmulator;
let clock: ManualClock;
const clients: CosJobsClient[] = [];

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  emulator = await startEmulator({ accounts: [ACCOUNT], clock });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await emulator.close();
});

function client(overrides: Partial<CosClientOptions> = {}): CosJobsClient {
  const created = new CosJobsClient({
    region: REGION,
    uin: ACCOUNT.uin,
    appId: ACCOUNT.appId,
    credentials: { secretId: ACCOUNT.secretId, secretKey: ACCOUNT.secretKey },
    endpoint: emulator.url,
    clock,
    timeouts: { deadlineMs: 5000 },
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 5 },
    ...overrides,
  });
  clients.push(created);
  return created;
}

let tokens = 0;
function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  tokens++;
  return {
    clientRequestToken: `emu-token-${tokens}`,
    confirmationRequired: true,
    description: `copy <${tokens}> & "more"`,
    priority: 10,
    roleArn: `qcs::cam::uin/${ACCOUNT.uin}:roleName/COS_Batch_QcsRole`,
    manifest: {
      objectArn: `qcs::cos:${REGION}:uid/${ACCOUNT.appId}:src-${ACCOUNT.appId}/manifests/list.csv`,
      etag: '"60e1c4ec8f4b3c1f1a2f3b6b6a1b2c3d"',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: `qcs::cos:${REGION}:uid/${ACCOUNT.appId}:dst-${ACCOUNT.appId}`,
    },
    report: {
      bucket: `qcs::cos:${REGION}:uid/${ACCOUNT.appId}:rep-${ACCOUNT.appId}`,
      enabled: true,
      reportScope: 'AllTasks',
    },
    ...overrides,
  };
}

function suspendedJob(overrides: Partial<CreateJobInput> = {}): string {
  return emulator.store.createJob(REGION, jobInput(overrides), { status: 'Suspended', totalTasks: 1200 }).id;
}

describe('the five APIs', () => {
  it('CreateJob, DescribeJob, UpdateJobPriority, ListJobs and UpdateJobStatus round-trip', async () => {
    const c = client();
    const input = jobInput({
      operation: { kind: 'COSPutObjectTagging', tags: [{ key: 'team', value: 'data & ml' }] },
    });
    const jobId = await createJob(c, input);
    expect(emulator.store.getJob(REGION, jobId)).toBeDefined();

    const created = await c.describeJob(jobId);
    expect(created).toMatchObject({
      id: jobId,
      status: 'New',
      priority: 10,
      description: input.description,
      confirmationRequired: true,
      operation: { kind: 'COSPutObjectTagging', destructive: false },
    });
    expect(created.manifest?.location.etag).toBe('"60e1c4ec8f4b3c1f1a2f3b6b6a1b2c3d"');
    expect(Object.values(created.operation.parameters)).toContain('data & ml');

    // The lifecycle on the emulator's clock brings a confirmation-required job to Suspended.
    clock.advance(1_000);
    emulator.tick();
    clock.advance(2_000);
    emulator.tick();
    expect((await c.describeJob(jobId)).status).toBe('Suspended');

    expect(await updateJobPriority(c, jobId, 99)).toEqual({ jobId, priority: 99 });
    expect(emulator.store.getJob(REGION, jobId)?.priority).toBe(99);

    const page = await c.listJobs({ status: 'Suspended' });
    expect(page.jobs.map((job) => job.id)).toContain(jobId);
    expect(page.jobs.find((job) => job.id === jobId)).toMatchObject({ status: 'Suspended', priority: 99 });

    const outcome = await c.updateJobStatus(jobId, 'Ready', 'approved by 运维 😀');
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: false, result: { jobId, status: 'Ready' } });
    if (outcome.kind === 'applied') expect(outcome.result.requestId).toBeTruthy();
    expect(emulator.stats.statusUpdates.at(-1)).toMatchObject({
      jobId,
      requested: 'Ready',
      reason: 'approved by 运维 😀',
    });
  });

  it('cancels a Suspended job', async () => {
    const jobId = suspendedJob();
    const outcome = await client().updateJobStatus(jobId, 'Cancelled', 'not today');
    expect(outcome.kind).toBe('applied');
    expect(['Cancelling', 'Cancelled']).toContain(emulator.store.getJob(REGION, jobId)?.status);
  });

  it('routes by the Host header: regions are separate', async () => {
    const jobId = suspendedJob();
    const shanghai = client({ region: 'ap-shanghai' });
    await expect(shanghai.describeJob(jobId)).rejects.toMatchObject({ code: 'NoSuchJob', httpStatus: 404 });
    expect((await client().describeJob(jobId)).id).toBe(jobId);
  });

  it('reports a destructive operation', async () => {
    const jobId = suspendedJob({ operation: { kind: 'COSDeleteObject' } });
    expect((await client().describeJob(jobId)).operation).toMatchObject({
      kind: 'COSDeleteObject',
      destructive: true,
    });
  });
});

describe('pagination', () => {
  it('lists 2,500 jobs in three pages of up to 1,000, each exactly once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 2500; i++) {
      created.push(emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' }).id);
    }
    const seen: string[] = [];
    for await (const job of client().listAllJobs({ status: 'Suspended' })) seen.push(job.id);
    expect(seen).toHaveLength(2500);
    expect(new Set(seen).size).toBe(2500);
    expect([...seen].sort()).toEqual([...created].sort());
    expect(emulator.stats.requests.ListJobs).toBe(3);
  });

  describe('against pages as Tencent documents them (no more than maxResults, a token on the last page)', () => {
    async function restartWith(paging: { maxJobsPerPage?: number; lastPageToken?: 'empty' | 'lastJobId' }) {
      await emulator.close();
      emulator = await startEmulator({ accounts: [ACCOUNT], clock, paging });
    }

    it('reads every job from 2-job pages that carry a NextToken under maxResults 1000', async () => {
      await restartWith({ maxJobsPerPage: 2 });
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        created.push(suspendedJob());
      }
      const seen: string[] = [];
      for await (const job of client().listAllJobs({ status: 'Suspended' })) seen.push(job.id);
      expect(seen).toEqual(created);
      expect(emulator.stats.requests.ListJobs).toBe(4);
    });

    it('ends on the empty page that follows a last page carrying its last JobId', async () => {
      await restartWith({ maxJobsPerPage: 2, lastPageToken: 'lastJobId' });
      const created: string[] = [];
      for (let i = 0; i < 3; i++) {
        created.push(suspendedJob());
      }
      const seen: string[] = [];
      for await (const job of client().listAllJobs({ status: 'Suspended' })) seen.push(job.id);
      expect(seen).toEqual(created);
      expect(emulator.stats.requests.ListJobs).toBe(3);
      expect(emulator.stats.responseCount('ListJobs', 200)).toBe(3);
    });
  });

  it('surfaces InvalidArgument for a page token COS does not know', async () => {
    const error = (await client()
      .listJobs({ nextToken: 'no-such-token' })
      .catch((e: unknown) => e)) as CosError;
    expect(error).toBeInstanceOf(CosError);
    expect(error).toMatchObject({ code: 'InvalidArgument', httpStatus: 400, api: 'ListJobs' });
    expect(error.requestId).toBeTruthy();
  });
});

describe('faults', () => {
  it('retries reads through injected 5xx, SlowDown, resets, truncated XML and HTML pages', async () => {
    const jobId = suspendedJob();
    const c = client();
    emulator.faults.add({ api: 'DescribeJob', kind: 'status5xx', times: 1 });
    emulator.faults.add({ api: 'DescribeJob', kind: 'status5xx', statusCode: 503, times: 1 });
    emulator.faults.add({ api: 'DescribeJob', kind: 'reset', times: 1 });
    expect((await c.describeJob(jobId)).status).toBe('Suspended');
    expect(emulator.stats.requests.DescribeJob).toBe(4);

    emulator.faults.add({ api: 'ListJobs', kind: 'slowDown', times: 1 });
    emulator.faults.add({ api: 'ListJobs', kind: 'malformedXml', times: 1 });
    emulator.faults.add({ api: 'ListJobs', kind: 'htmlError', times: 1 });
    expect((await c.listJobs()).jobs.map((job) => job.id)).toEqual([jobId]);
    expect(emulator.stats.requests.ListJobs).toBe(4);
  });

  it('gives up after maxAttempts with the last error, code and request id included', async () => {
    emulator.faults.add({ api: 'DescribeJob', kind: 'status5xx', statusCode: 503 });
    const error = (await client({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })
      .describeJob(suspendedJob())
      .catch((e: unknown) => e)) as CosError;
    expect(error).toMatchObject({ code: 'ServiceUnavailable', httpStatus: 503 });
    expect(error.requestId).toBeTruthy();
    expect(emulator.stats.requests.DescribeJob).toBe(3);
  });

  it('ends a hanging read at the deadline with Timeout', async () => {
    emulator.faults.add({ api: 'DescribeJob', kind: 'hang' });
    const error = (await client({ timeouts: { deadlineMs: 300 } })
      .describeJob(suspendedJob())
      .catch((e: unknown) => e)) as CosError;
    expect(error).toBeInstanceOf(CosError);
    expect(error.code).toBe('Timeout');
  });

  it('an UpdateJobStatus applied and then reset is reconciled as applied, sent exactly once', async () => {
    const jobId = suspendedJob();
    emulator.faults.add({ api: 'UpdateJobStatus', kind: 'reset', afterEffect: true, times: 1 });
    const outcome = await client().updateJobStatus(jobId, 'Ready', 'go');
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: true, result: { jobId, status: 'Ready' } });
    expect(emulator.store.getJob(REGION, jobId)?.status).toBe('Ready');
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
    expect(emulator.stats.statusUpdates).toHaveLength(1);
  });

  it('an UpdateJobStatus that failed before its effect is not_applied, sent exactly once', async () => {
    const jobId = suspendedJob();
    emulator.faults.add({ api: 'UpdateJobStatus', kind: 'status5xx', times: 1 });
    const outcome = await client().updateJobStatus(jobId, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'not_applied',
      observedStatus: 'Suspended',
      error: { code: 'InternalError' },
    });
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
    expect(emulator.store.getJob(REGION, jobId)?.status).toBe('Suspended');
  });

  it('an UpdateJobStatus that applied and then hung is reconciled after the deadline', async () => {
    const jobId = suspendedJob();
    emulator.faults.add({ api: 'UpdateJobStatus', kind: 'hang', afterEffect: true, times: 1 });
    const outcome = await client({ timeouts: { deadlineMs: 300 } }).updateJobStatus(
      jobId,
      'Cancelled',
      'stop',
    );
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: true });
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
  });

  it('an UpdateJobStatus slower than the deadline is unknown, and the job turns Ready later', async () => {
    const jobId = suspendedJob();
    // COS takes 600 ms; the client gives up at 300 ms and reads the job back before the change lands.
    emulator.faults.add({ api: 'UpdateJobStatus', kind: 'latency', latencyMs: 600, times: 1 });
    const c = client({ timeouts: { deadlineMs: 300 } });
    const outcome = await c.updateJobStatus(jobId, 'Ready', 'go');
    expect(outcome).toMatchObject({
      kind: 'unknown',
      observedStatus: 'Suspended',
      error: { code: 'Timeout' },
    });
    if (outcome.kind !== 'unknown') throw new Error('unreachable');
    expect(outcome.error.message).toMatch(/may still reach COS and take effect/);
    await vi.waitFor(() => expect(emulator.stats.statusUpdates).toHaveLength(1), {
      timeout: 5000,
      interval: 20,
    });
    expect((await c.describeJob(jobId)).status).toBe('Ready');
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
  });

  it('an UpdateJobStatus with a truncated 200 is reconciled', async () => {
    const jobId = suspendedJob();
    emulator.faults.add({ api: 'UpdateJobStatus', kind: 'malformedXml', afterEffect: true, times: 1 });
    const outcome = await client().updateJobStatus(jobId, 'Ready');
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: true });
    expect(emulator.stats.requests.UpdateJobStatus).toBe(1);
  });
});

describe('documented errors', () => {
  it('surfaces every UpdateJobStatus refusal with its code and the status COS shows', async () => {
    const c = client();
    const complete = emulator.store.createJob(REGION, jobInput(), { status: 'Complete' }).id;
    const finished = await c.updateJobStatus(complete, 'Cancelled');
    expect(finished).toMatchObject({
      kind: 'not_applied',
      observedStatus: 'Complete',
      error: { code: 'InvalidRequest', httpStatus: 400 },
    });
    if (finished.kind === 'not_applied') expect((finished.error as CosError).requestId).toBeTruthy();

    const active = emulator.store.createJob(REGION, jobInput(), { status: 'Active' }).id;
    const transition = await c.updateJobStatus(active, 'Ready');
    expect(transition).toMatchObject({
      kind: 'not_applied',
      observedStatus: 'Active',
      error: { code: 'InvalidRequest' },
    });
    if (transition.kind === 'not_applied') {
      expect((transition.error as CosError).explanation).toMatch(/current state/);
    }

    const missing = await c.updateJobStatus('no-such-job-1', 'Ready');
    expect(missing).toMatchObject({ kind: 'not_applied', error: { code: 'NoSuchJob', httpStatus: 404 } });

    // InvalidArgument (bad requestedJobStatus, reason over 256 bytes) never reaches COS: refused locally.
    await expect(c.updateJobStatus(active, 'Paused' as 'Ready')).rejects.toBeInstanceOf(CosValidationError);
    await expect(c.updateJobStatus(active, 'Ready', '中'.repeat(86))).rejects.toBeInstanceOf(
      CosValidationError,
    );
    expect(emulator.stats.statusUpdates.map((update) => update.errorCode)).toEqual([
      'InvalidRequest',
      'InvalidRequest',
      'NoSuchJob',
    ]);
  });

  it('surfaces NoSuchJob from DescribeJob with its request id', async () => {
    const error = (await client()
      .describeJob('53dc6228-0000-0000-0000-000000000000')
      .catch((e: unknown) => e)) as CosError;
    expect(error).toMatchObject({ code: 'NoSuchJob', httpStatus: 404, api: 'DescribeJob', retryable: false });
    expect(error.requestId).toBeTruthy();
    expect(emulator.stats.requests.DescribeJob).toBe(1);
  });

  it('surfaces authentication failures by code', async () => {
    const wrongKey = client({
      credentials: { secretId: ACCOUNT.secretId, secretKey: 'not-the-right-secret-key' },
    });
    await expect(wrongKey.listJobs()).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      httpStatus: 403,
    });
    const wrongId = client({ credentials: { secretId: 'AKIDunknown', secretKey: ACCOUNT.secretKey } });
    await expect(wrongId.listJobs()).rejects.toMatchObject({ code: 'InvalidAccessKeyId', httpStatus: 403 });
    const wrongAppId = client({ appId: '1259999999' });
    await expect(wrongAppId.listJobs()).rejects.toMatchObject({ code: 'AccessDenied', httpStatus: 403 });
  });

  it('corrects clock skew once from the emulator Date header', async () => {
    await emulator.close();
    emulator = await startEmulator({ accounts: [ACCOUNT], clock, clockOffsetMs: 2 * 3_600_000 });
    const c = client();
    const page = await c.listJobs();
    expect(page.jobs).toEqual([]);
    expect(emulator.stats.requests.ListJobs).toBe(2);
    expect(Math.abs(c.clockOffset - 2 * 3_600_000)).toBeLessThan(2000);
    await c.listJobs();
    expect(emulator.stats.requests.ListJobs).toBe(3); // corrected: no more skew errors
  });
});

describe('statusUpdateReason on the wire', () => {
  it('an empty reason is left out of the request, not sent as statusUpdateReason=', async () => {
    const quiet = suspendedJob();
    const reasoned = suspendedJob();
    await client().updateJobStatus(quiet, 'Ready', '');
    await client().updateJobStatus(reasoned, 'Cancelled', 'duplicate run');
    expect(emulator.stats.statusUpdates.map((u) => [u.jobId, u.reasonParameter])).toEqual([
      [quiet, 'absent'],
      [reasoned, 'value'],
    ]);
  });
});
