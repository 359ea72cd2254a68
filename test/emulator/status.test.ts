import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../src/cos/model.js';
import { errorOf, type Harness, jobInput, parseXml, REGION, startHarness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.store.deleteAll();
  h.emulator.stats.reset();
});

function jobIn(status: JobStatus): string {
  return h.emulator.store.createJob(REGION, jobInput(), { status }).id;
}

function updateStatus(jobId: string, requested: string, reason?: string) {
  return h.call({
    method: 'POST',
    path: `/jobs/${jobId}/status`,
    query: { requestedJobStatus: requested, ...(reason !== undefined ? { statusUpdateReason: reason } : {}) },
  });
}

describe('emulator: UpdateJobStatus errors, per the documented table', () => {
  it('requestedJobStatus other than Ready/Cancelled → 400 InvalidArgument, job untouched', async () => {
    const id = jobIn('Suspended');
    for (const value of ['Active', 'ready', '']) {
      const reply = await updateStatus(id, value);
      expect(reply.status).toBe(400);
      expect(errorOf(reply).code).toBe('InvalidArgument');
    }
    const missing = await h.call({ method: 'POST', path: `/jobs/${id}/status` });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('InvalidArgument');
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Suspended');
  });

  it.each(['Complete', 'Cancelled', 'Failed'] as const)(
    'a %s job → 400 InvalidRequest "job already completed"',
    async (status) => {
      const id = jobIn(status);
      for (const requested of ['Ready', 'Cancelled']) {
        const reply = await updateStatus(id, requested);
        expect(reply.status).toBe(400);
        expect(errorOf(reply)).toMatchObject({
          code: 'InvalidRequest',
          message: expect.stringContaining('job already completed'),
        });
      }
      expect(h.emulator.store.getJob(REGION, id)?.status).toBe(status);
    },
  );

  it.each(['Active', 'Ready', 'New', 'Paused', 'Cancelling', 'Completing', 'Failing'] as const)(
    'Ready requested on a %s job → 400 InvalidRequest "status change error"',
    async (status) => {
      const id = jobIn(status);
      const reply = await updateStatus(id, 'Ready');
      expect(reply.status).toBe(400);
      expect(errorOf(reply)).toMatchObject({
        code: 'InvalidRequest',
        message: expect.stringContaining('status change error'),
      });
      expect(h.emulator.store.getJob(REGION, id)?.status).toBe(status);
    },
  );

  it('Ready is accepted from Suspended and (tolerated) from Preparing', async () => {
    for (const status of ['Suspended', 'Preparing'] as const) {
      const id = jobIn(status);
      const reply = await updateStatus(id, 'Ready');
      expect(reply.status).toBe(200);
      expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Ready');
    }
  });

  it.each(['New', 'Preparing', 'Suspended', 'Ready', 'Active', 'Paused', 'Cancelling'] as const)(
    'Cancelled is accepted from %s and leads to Cancelling',
    async (status) => {
      const id = jobIn(status);
      const reply = await updateStatus(id, 'Cancelled', 'not needed');
      expect(reply.status).toBe(200);
      expect(parseXml(reply.text).UpdateJobStatusResult.Status).toBe('Cancelling');
    },
  );

  it('an unknown job → 404 NoSuchJob', async () => {
    const reply = await updateStatus('53dc6228-c50b-46f7-8ad7-65e7159f1aae', 'Ready');
    expect(reply.status).toBe(404);
    expect(errorOf(reply).code).toBe('NoSuchJob');
  });

  it('statusUpdateReason over 256 bytes → InvalidArgument; exactly 256 bytes of CJK-free text passes', async () => {
    const id = jobIn('Suspended');
    // 86 CJK characters are 258 bytes although only 86 characters.
    const tooLong = await updateStatus(id, 'Cancelled', '拒'.repeat(86));
    expect(tooLong.status).toBe(400);
    expect(errorOf(tooLong)).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('256 bytes'),
    });
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Suspended');
    const fits = await updateStatus(id, 'Cancelled', 'x'.repeat(256));
    expect(fits.status).toBe(200);
  });

  it('records every authenticated call in stats, accepted or not', async () => {
    const id = jobIn('Suspended');
    await updateStatus(id, 'Ready', 'ok by alice');
    await updateStatus(id, 'Ready');
    await updateStatus('missing-job', 'Cancelled');
    const updates = h.emulator.stats.statusUpdates;
    expect(updates.map((u) => [u.jobId, u.requested, u.httpStatus, u.errorCode, u.resultingStatus])).toEqual([
      [id, 'Ready', 200, undefined, 'Ready'],
      [id, 'Ready', 400, 'InvalidRequest', 'Ready'],
      ['missing-job', 'Cancelled', 404, 'NoSuchJob', undefined],
    ]);
    expect(updates[0]).toMatchObject({ region: REGION, reason: 'ok by alice', at: h.clock.now() });
    expect(h.emulator.stats.requests.UpdateJobStatus).toBe(3);
  });

  it('tells an empty statusUpdateReason= from none at all, on the wire as sent', async () => {
    const id = jobIn('Suspended');
    await h.call({
      method: 'POST',
      path: `/jobs/${id}/status`,
      query: { requestedJobStatus: 'Ready', statusUpdateReason: '' },
    });
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Ready');
    const other = jobIn('Suspended');
    await updateStatus(other, 'Cancelled');
    const third = jobIn('Suspended');
    await updateStatus(third, 'Cancelled', 'duplicate run');
    expect(h.emulator.stats.statusUpdates.map((u) => [u.jobId, u.reasonParameter, u.reason])).toEqual([
      [id, 'empty', ''],
      [other, 'absent', undefined],
      [third, 'value', 'duplicate run'],
    ]);
  });
});

describe('emulator: ListJobs parameter validation', () => {
  it.each([
    [{ jobStatuses: 'Waiting' }, 'jobStatuses'],
    [{ jobStatuses: 'Suspended,Active' }, 'jobStatuses'],
    [{ maxResults: '0' }, 'maxResults'],
    [{ maxResults: '1001' }, 'maxResults'],
    [{ maxResults: 'ten' }, 'maxResults'],
    [{ nextToken: 'no-such-job' }, 'nextToken'],
    [{ nextToken: 'x'.repeat(65) }, 'nextToken'],
  ])('%o → 400 InvalidArgument', async (query, name) => {
    const reply = await h.call({ method: 'GET', path: '/jobs', query });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining(name) });
  });

  it('a repeated query parameter → 400', async () => {
    const reply = await h.call({
      method: 'GET',
      path: '/jobs',
      query: { maxResults: '5' },
      rawQuery: '?maxResults=5&maxResults=5',
    });
    expect(reply.status).toBe(400);
  });
});
