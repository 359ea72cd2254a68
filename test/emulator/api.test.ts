import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  CREATE_JOB_XML,
  controlHost,
  errorOf,
  type Harness,
  jobInput,
  OTHER_ACCOUNT,
  parseXml,
  REGION,
  startHarness,
} from './helpers.js';

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
  h.emulator.faults.clear();
});

describe('emulator: the five job APIs over HTTP', () => {
  it('CreateJob stores the posted job and DescribeJob returns it in the documented shape', async () => {
    const created = await h.call({ method: 'POST', path: '/jobs', body: CREATE_JOB_XML('tok-create-1') });
    expect(created.status).toBe(200);
    expect(created.headers['content-type']).toBe('application/xml');
    const jobId: string = parseXml(created.text).CreateJobResult.JobId;
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);

    const stored = h.emulator.store.getJob(REGION, jobId);
    expect(stored?.status).toBe('New');
    expect(stored?.priority).toBe(7);
    expect(stored?.description).toBe('Copy & archive <2025>');
    expect(stored?.operation.parameters).toEqual({
      TargetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:destinationbucket-1250000000',
      MetadataDirective: 'Copy',
    });

    const described = await h.call({ method: 'GET', path: `/jobs/${jobId}` });
    expect(described.status).toBe(200);
    // Escaping on the wire: ETag quotes as &quot;, and the description's & < >.
    expect(described.text).toContain('<ETag>&quot;15150651828fa9cdcb8356b6d1c7638b&quot;</ETag>');
    expect(described.text).toContain('<Description>Copy &amp; archive &lt;2025&gt;</Description>');
    const job = parseXml(described.text).DescribeJobResult.Job;
    expect(job).toMatchObject({
      ConfirmationRequired: 'true',
      CreationTime: '2026-03-01T09:00:00Z',
      Description: 'Copy & archive <2025>',
      JobId: jobId,
      Priority: '7',
      RoleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
      Status: 'New',
      ProgressSummary: { NumberOfTasksFailed: '0', NumberOfTasksSucceeded: '0', TotalNumberOfTasks: '100' },
      Manifest: {
        Location: {
          ETag: '"15150651828fa9cdcb8356b6d1c7638b"',
          ObjectArn:
            'qcs::cos:ap-guangzhou:uid/1250000000:sourcebucket-1250000000/manifests/batch-copy-manifest.csv',
        },
        Spec: { Fields: { member: ['Bucket', 'Key'] }, Format: 'COSBatchOperations_CSV_V1' },
      },
      Operation: {
        COSPutObjectCopy: {
          TargetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:destinationbucket-1250000000',
          MetadataDirective: 'Copy',
        },
      },
      Report: {
        Bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:sourcebucket-1250000000',
        Enabled: 'true',
        Format: 'Report_CSV_V1',
        Prefix: 'job-result',
        ReportScope: 'AllTasks',
      },
    });
    // No failure yet: one empty JobFailure, as in the documented sample.
    expect(job.FailureReasons.JobFailure).toEqual([{ FailureCode: '', FailureReason: '' }]);
    expect(job.TerminationDate).toBeUndefined();
  });

  it('ListJobs lists members with the summary fields and an empty NextToken on the last page', async () => {
    const a = h.emulator.store.createJob(REGION, jobInput({ description: 'first' }), { status: 'Suspended' });
    const b = h.emulator.store.createJob(REGION, jobInput({ description: 'second' }), {
      status: 'Complete',
      totalTasks: 10,
    });
    const reply = await h.call({ method: 'GET', path: '/jobs' });
    expect(reply.status).toBe(200);
    const result = parseXml(reply.text).ListJobsResult;
    expect(result.Jobs.member.map((m: { JobId: string }) => m.JobId)).toEqual([a.id, b.id]);
    expect(result.Jobs.member[1]).toEqual({
      CreationTime: b.creationTime,
      Description: 'second',
      JobId: b.id,
      Operation: 'COSPutObjectCopy',
      Priority: '10',
      ProgressSummary: { NumberOfTasksFailed: '0', NumberOfTasksSucceeded: '10', TotalNumberOfTasks: '10' },
      Status: 'Complete',
      TerminationDate: b.terminationDate,
    });
    expect(result.NextToken).toBe('');

    const filtered = parseXml(
      (await h.call({ method: 'GET', path: '/jobs', query: { jobStatuses: 'Suspended' } })).text,
    );
    expect(filtered.ListJobsResult.Jobs.member.map((m: { JobId: string }) => m.JobId)).toEqual([a.id]);
  });

  it('ListJobs with no jobs answers an empty Jobs element', async () => {
    const reply = await h.call({ method: 'GET', path: '/jobs' });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<Jobs></Jobs>');
    expect(parseXml(reply.text).ListJobsResult.NextToken).toBe('');
  });

  it('UpdateJobPriority changes the priority', async () => {
    const job = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    const reply = await h.call({
      method: 'POST',
      path: `/jobs/${job.id}/priority`,
      query: { priority: '42' },
    });
    expect(reply.status).toBe(200);
    expect(parseXml(reply.text).UpdateJobPriorityResult).toEqual({ JobId: job.id, Priority: '42' });
    expect(h.emulator.store.getJob(REGION, job.id)?.priority).toBe(42);

    const missing = await h.call({ method: 'POST', path: `/jobs/${job.id}/priority` });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('InvalidRequest');
    const bad = await h.call({
      method: 'POST',
      path: `/jobs/${job.id}/priority`,
      query: { priority: '2147483648' },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('InvalidArgument');
  });

  it('UpdateJobStatus approves (Ready) and cancels (Cancelling) with the reason echoed', async () => {
    const approve = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    const reason = 'approved by <alice> & bob: 同意';
    const ok = await h.call({
      method: 'POST',
      path: `/jobs/${approve.id}/status`,
      query: { requestedJobStatus: 'Ready', statusUpdateReason: reason },
    });
    expect(ok.status).toBe(200);
    expect(parseXml(ok.text).UpdateJobStatusResult).toEqual({
      JobId: approve.id,
      Status: 'Ready',
      StatusUpdateReason: reason,
    });
    expect(h.emulator.store.getJob(REGION, approve.id)).toMatchObject({
      status: 'Ready',
      statusUpdateReason: reason,
    });

    const cancel = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    const cancelled = await h.call({
      method: 'POST',
      path: `/jobs/${cancel.id}/status`,
      query: { requestedJobStatus: 'Cancelled' },
    });
    expect(cancelled.status).toBe(200);
    expect(parseXml(cancelled.text).UpdateJobStatusResult.Status).toBe('Cancelling');
  });

  it('accepts the Go SDK wire form: + for a space in the query, signed as %20', async () => {
    const job = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    const reply = await h.call({
      method: 'POST',
      path: `/jobs/${job.id}/status`,
      query: { requestedJobStatus: 'Ready', statusUpdateReason: 'to test' },
      rawQuery: '?requestedJobStatus=Ready&statusUpdateReason=to+test',
    });
    expect(reply.status).toBe(200);
    expect(h.emulator.store.getJob(REGION, job.id)?.statusUpdateReason).toBe('to test');
  });

  it('every response carries x-cos-request-id and a Date from the emulator clock; errors a TraceId', async () => {
    const ok = await h.call({ method: 'GET', path: '/jobs' });
    const missing = await h.call({ method: 'GET', path: '/jobs/does-not-exist' });
    expect(ok.headers['x-cos-request-id']).toBeTruthy();
    expect(missing.headers['x-cos-request-id']).toBeTruthy();
    expect(ok.headers['x-cos-request-id']).not.toBe(missing.headers['x-cos-request-id']);
    expect(ok.headers.date).toBe(new Date(h.clock.now()).toUTCString());
    expect(missing.status).toBe(404);
    const error = parseXml(missing.text).Error;
    expect(error.Code).toBe('NoSuchJob');
    expect(error.Resource).toBe(`${controlHost()}/jobs/does-not-exist`);
    expect(error.RequestId).toBe(missing.headers['x-cos-request-id']);
    expect(error.TraceId).toBe(missing.headers['x-cos-trace-id']);
  });

  it('unknown routes answer 404 and wrong methods 405, as XML errors', async () => {
    const notFound = await h.call({ method: 'GET', path: '/buckets' });
    expect(notFound.status).toBe(404);
    expect(errorOf(notFound).code).toBe('NoSuchResource');
    const wrongMethod = await h.call({ method: 'DELETE', path: '/jobs/abc' });
    expect(wrongMethod.status).toBe(405);
    expect(errorOf(wrongMethod).code).toBe('MethodNotAllowed');
    const getStatus = await h.call({ method: 'GET', path: '/jobs/abc/status' });
    expect(getStatus.status).toBe(405);
    const putJobs = await h.call({ method: 'PUT', path: '/jobs' });
    expect(putJobs.status).toBe(405);
    expect(putJobs.headers['x-cos-request-id']).toBeTruthy();
  });

  it('CreateJob refuses malformed bodies and a repeated ClientRequestToken', async () => {
    const first = await h.call({ method: 'POST', path: '/jobs', body: CREATE_JOB_XML('tok-dup') });
    expect(first.status).toBe(200);
    const again = await h.call({ method: 'POST', path: '/jobs', body: CREATE_JOB_XML('tok-dup') });
    expect(again.status).toBe(400);
    expect(errorOf(again).code).toBe('InvalidRequest');

    const broken = await h.call({ method: 'POST', path: '/jobs', body: '<CreateJobRequest><Priority>1' });
    expect(broken.status).toBe(400);
    expect(errorOf(broken).code).toBe('MalformedXML');

    const noOperation = CREATE_JOB_XML('tok-noop').replace(
      /<Operation>[\s\S]*<\/Operation>/,
      '<Operation></Operation>',
    );
    const op = await h.call({ method: 'POST', path: '/jobs', body: noOperation });
    expect(op.status).toBe(400);
    expect(errorOf(op)).toMatchObject({
      code: 'MalformedXML',
      message: expect.stringContaining('Operation'),
    });

    const badPriority = CREATE_JOB_XML('tok-prio').replace(
      '<Priority>7</Priority>',
      '<Priority>-1</Priority>',
    );
    const prio = await h.call({ method: 'POST', path: '/jobs', body: badPriority });
    expect(prio.status).toBe(400);
    expect(errorOf(prio).code).toBe('InvalidArgument');

    const empty = await h.call({ method: 'POST', path: '/jobs', body: '' });
    expect(empty.status).toBe(400);
    expect(errorOf(empty).code).toBe('InvalidRequest');
    expect(h.emulator.store.listJobs(REGION)).toHaveLength(1);
  });

  it('renders each operation kind created through the store', async () => {
    const restore = h.emulator.store.createJob(
      REGION,
      jobInput({ operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 7, jobTier: 'Bulk' } }),
    );
    const tagging = h.emulator.store.createJob(
      REGION,
      jobInput({
        operation: {
          kind: 'COSPutObjectTagging',
          tags: [
            { key: 'team', value: 'media' },
            { key: 'env', value: 'prod' },
          ],
        },
      }),
    );
    const remove = h.emulator.store.createJob(REGION, jobInput({ operation: { kind: 'COSDeleteObject' } }));
    const op = async (id: string) =>
      parseXml((await h.call({ method: 'GET', path: `/jobs/${id}` })).text).DescribeJobResult.Job.Operation;
    expect(await op(restore.id)).toEqual({
      COSInitiateRestoreObject: { ExpirationInDays: '7', JobTier: 'Bulk' },
    });
    expect(await op(tagging.id)).toEqual({
      COSPutObjectTagging: {
        TagSet: {
          COSTag: [
            { Key: 'team', Value: 'media' },
            { Key: 'env', Value: 'prod' },
          ],
        },
      },
    });
    expect(await op(remove.id)).toEqual({ COSDeleteObject: '' });
    expect(remove.operation.destructive).toBe(true);
    expect(restore.operation.destructive).toBe(false);
  });

  it('keeps jobs apart per account and per region (taken from the Host header)', async () => {
    const here = h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' });
    const shanghai = h.emulator.store.createJob('ap-shanghai', jobInput(), { status: 'Suspended' });
    const other = h.emulator.store.createJob({ uin: OTHER_ACCOUNT.uin, region: REGION }, jobInput(), {
      status: 'Suspended',
    });
    const ids = async (call: Parameters<Harness['call']>[0]) =>
      (parseXml((await h.call(call)).text).ListJobsResult.Jobs.member ?? []).map(
        (m: { JobId: string }) => m.JobId,
      );
    expect(await ids({ method: 'GET', path: '/jobs' })).toEqual([here.id]);
    expect(await ids({ method: 'GET', path: '/jobs', host: controlHost('ap-shanghai') })).toEqual([
      shanghai.id,
    ]);
    expect(await ids({ method: 'GET', path: '/jobs', account: OTHER_ACCOUNT })).toEqual([other.id]);
    // Without a cos-control Host: the account of x-cos-appid, in the default region.
    expect(await ids({ method: 'GET', path: '/jobs', host: '127.0.0.1' })).toEqual([here.id]);
    const cross = await h.call({ method: 'GET', path: `/jobs/${other.id}` });
    expect(cross.status).toBe(404);
    expect(ACCOUNT.uin).not.toBe(OTHER_ACCOUNT.uin);
  });
});
