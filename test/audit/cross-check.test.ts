/**
 * Tampering that walking one chain cannot show, done with raw Redis commands on a real server, and the
 * cross-checks (src/audit/cross-check.ts) that name it.
 */
import { describe, expect, it } from 'vitest';
import { AuditVerifier } from '../../src/audit/cross-check.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { useRedis } from '../helpers/redis.js';
import {
  cutGlobalTail,
  cutJobTail,
  entry,
  JOB_A,
  JOB_B,
  keysFor,
  REGION,
  readStream,
  rehash,
  rewriteStream,
  type SixEntryTrail,
  setField,
  sixEntryTrail,
  useClients,
} from './support.js';

const redisCtx = useRedis();
const client = useClients();
const HMAC_KEY = 'cross-check-test-hmac-key-0123456789';

interface Fixture extends SixEntryTrail {
  verifier: AuditVerifier;
}

async function fixture(hmacKey?: string, pageSize?: number): Promise<Fixture> {
  const trail = await sixEntryTrail(client(redisCtx.url), redisCtx.keyPrefix, hmacKey);
  const verifier = new AuditVerifier(trail.redis, {
    keys: trail.keys,
    trail: trail.audit,
    ...(pageSize ? { pageSize } : {}),
  });
  expect(await verifier.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 6 });
  return { ...trail, verifier };
}

const JOB_A_SCOPE = { kind: 'job', account: 'default', region: REGION, jobId: JOB_A } as const;
const JOB_B_SCOPE = { kind: 'job', account: 'default', region: REGION, jobId: JOB_B } as const;

async function deleteAllAuditKeys(f: Fixture): Promise<void> {
  for (const key of await f.redis.keys(`${f.keys.auditTag}:*`)) await f.redis.del(key);
}

describe.each([
  ['without HMAC', undefined],
  ['with HMAC', HMAC_KEY],
])('cross-checks name tampering one chain cannot show (%s)', (_label, hmacKey) => {
  it('rolled_back: newest global entries cut and the head rolled back (job chains still hold them)', async () => {
    const f = await fixture(hmacKey);
    await cutGlobalTail(f, 4);
    // The global chain alone walks clean: this is what the issue reported.
    expect(await f.audit.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 4 });
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      entries: 4,
      problem: { kind: 'rolled_back', afterSeq: 4, streamId: f.entries[4]!.streamId },
    });
    expect(result.problem!.detail).toMatch(/chain of job .*claims global seq 5.*comes after it/);
    // Per job too: job A's chain is intact on its own but holds global seq 5.
    expect((await f.audit.verify(JOB_A_SCOPE)).ok).toBe(true);
    expect((await f.verifier.verify(JOB_A_SCOPE)).problem).toMatchObject({
      kind: 'rolled_back',
      afterSeq: 4,
      streamId: f.entries[4]!.streamId,
    });
    expect((await f.verifier.verify(JOB_B_SCOPE)).problem).toMatchObject({
      kind: 'rolled_back',
      streamId: f.entries[5]!.streamId,
    });
  });

  it('rolled_back: global and job chains cut consistently, the entryId index still holds the cut entries', async () => {
    const f = await fixture(hmacKey);
    await cutGlobalTail(f, 4);
    await cutJobTail(f, JOB_A, 2);
    await cutJobTail(f, JOB_B, 2);
    // The index still holds the cut entries (cutEverywhere would remove them too).
    expect((await f.audit.verify(JOB_A_SCOPE)).ok).toBe(true);
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'rolled_back', afterSeq: 4 });
    expect([f.entries[4]!.streamId, f.entries[5]!.streamId]).toContain(
      (result.problem as { streamId: string }).streamId,
    );
    expect(result.problem!.detail).toMatch(/entryId .* \(indexed at stream id/);
  });

  it('lost: every audit key deleted while decisions and carded job records remain', async () => {
    const f = await fixture(hmacKey);
    await f.redis.set(
      f.keys.jobDecision({ account: 'default', region: REGION, jobId: JOB_A }),
      JSON.stringify({ action: 'approve' }),
    );
    await deleteAllAuditKeys(f);
    expect(await f.audit.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 0 });
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result).toMatchObject({ ok: false, entries: 0, problem: { kind: 'lost' } });
    expect(result.problem!.detail).toContain(`decision for job ${REGION}/${JOB_A}`);
    expect((await f.verifier.verify(JOB_A_SCOPE)).problem).toMatchObject({ kind: 'lost' });
    // Job B has no decision, so its empty chain says nothing by itself.
    expect((await f.verifier.verify(JOB_B_SCOPE)).ok).toBe(true);
  });

  it('lost: an empty trail while a job record shows a posted card', async () => {
    const f = await fixture(hmacKey);
    await f.redis.hset(
      f.keys.jobRecord({ account: 'default', region: REGION, jobId: JOB_B }),
      'jobId',
      JOB_B,
      'cardChannel',
      'C0AUDIT',
      'cardTs',
      '1.000100',
    );
    await deleteAllAuditKeys(f);
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'lost' });
    expect(result.problem!.detail).toMatch(/card was posted \(C0AUDIT\/1\.000100\)/);
  });

  it('an empty trail with no history anywhere verifies (a fresh install)', async () => {
    const redis = client(redisCtx.url);
    const keys = keysFor(redisCtx.keyPrefix);
    const audit = new RedisAuditTrail(redis, { keys, ...(hmacKey ? { hmacKey } : {}) });
    // A record without a card: the job was seen but nothing was posted or decided yet.
    await redis.hset(keys.jobRecord({ account: 'default', region: REGION, jobId: JOB_A }), 'jobId', JOB_A);
    const verifier = new AuditVerifier(redis, { keys, trail: audit });
    expect(await verifier.verify({ kind: 'global' })).toEqual({ ok: true, entries: 0 });
  });

  it('lost: the global stream and head evicted, job chains left', async () => {
    const f = await fixture(hmacKey);
    await f.redis.del(f.keys.auditLog(), f.keys.auditHead());
    expect(await f.audit.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 0 });
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'lost' });
    expect(result.problem!.detail).toMatch(/global chain is empty, but entry .* of the chain of job/);
  });

  it('lost: a decision whose result entry was cut consistently (global, job chain and index)', async () => {
    const f = await fixture(hmacKey);
    // Job B's result entry is global seq 6; everything of it is removed consistently, index included.
    const cancelled = await f.audit.append(entry(JOB_B, { action: 'cancelled', outcome: 'applied' }));
    await f.redis.set(
      f.keys.jobDecision({ account: 'default', region: REGION, jobId: JOB_B }),
      JSON.stringify({ action: 'cancel' }),
    );
    await f.redis.call('XDEL', f.keys.auditLog(), cancelled.streamId);
    await f.redis.call(
      'XDEL',
      f.keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_B }),
      cancelled.streamId,
    );
    await f.redis.hdel(f.keys.auditEntryIds(), cancelled.entryId);
    await cutGlobalTail(f, 6);
    await cutJobTail(f, JOB_B, 3);
    expect((await f.audit.verify({ kind: 'global' })).ok).toBe(true);
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'lost' });
    expect(result.problem!.detail).toContain(`decision for job ${REGION}/${JOB_B}`);
  });

  it('missing_from_job: the newest job entry cut and the job head rolled back', async () => {
    const f = await fixture(hmacKey);
    await cutJobTail(f, JOB_B, 2);
    expect((await f.audit.verify(JOB_B_SCOPE)).ok).toBe(true);
    expect(await f.verifier.verify({ kind: 'global' })).toMatchObject({
      ok: false,
      problem: { kind: 'missing_from_job', seq: 6, streamId: f.entries[5]!.streamId },
    });
    expect((await f.verifier.verify(JOB_B_SCOPE)).problem).toMatchObject({
      kind: 'missing_from_job',
      seq: 6,
    });
  });

  it("missing_from_job: a job's whole chain deleted (stream and head)", async () => {
    const f = await fixture(hmacKey);
    await f.redis.del(
      f.keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      f.keys.auditJobHead({ account: 'default', region: REGION, jobId: JOB_A }),
    );
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'missing_from_job', seq: 1 });
    expect(result.problem!.detail).toContain(`chain of job ${REGION}/${JOB_A}`);
  });

  it('diverged: a job-stream copy edited (the job chain walk alone also names it)', async () => {
    const f = await fixture(hmacKey);
    await rewriteStream(
      f.redis,
      f.keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      (records) =>
        records.map((r) => (r.id === f.entries[2]!.streamId ? setField(r, 'reason', 'changed') : r)),
    );
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'diverged', seq: 3, streamId: f.entries[2]!.streamId });
    expect(result.problem!.detail).toContain('field reason differs');
  });

  it('misindexed: an entry removed from the index, or re-pointed', async () => {
    const f = await fixture(hmacKey);
    await f.redis.hdel(f.keys.auditEntryIds(), f.entries[1]!.entryId);
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'misindexed',
      entryId: f.entries[1]!.entryId,
      streamId: f.entries[1]!.streamId,
    });
    await f.redis.hset(f.keys.auditEntryIds(), f.entries[1]!.entryId, f.entries[3]!.streamId);
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'misindexed', entryId: f.entries[1]!.entryId });
    expect(result.problem!.detail).toContain(`points at ${f.entries[3]!.streamId}`);
  });

  it('misindexed: an index entry pointing into the chain where there is no entry', async () => {
    const f = await fixture(hmacKey);
    const between = `${Number(f.entries[1]!.streamId.split('-')[0]) + 1}-0`;
    await f.redis.hset(f.keys.auditEntryIds(), 'forged-entry', between);
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'misindexed',
      entryId: 'forged-entry',
      streamId: between,
    });
  });

  it('misindexed: an index entry that is not a stream id at all', async () => {
    const f = await fixture(hmacKey);
    await f.redis.hset(f.keys.auditEntryIds(), 'junk-entry', 'not-a-stream-id');
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'misindexed',
      entryId: 'junk-entry',
    });
  });

  it('a problem inside one job chain is reported with the job', async () => {
    const f = await fixture(hmacKey);
    const head = await f.redis.hgetall(
      f.keys.auditJobHead({ account: 'default', region: REGION, jobId: JOB_A }),
    );
    await f.redis.hset(
      f.keys.auditJobHead({ account: 'default', region: REGION, jobId: JOB_A }),
      'seq',
      '2',
      'hash',
      f.entries[2]!.hash,
      'streamId',
      f.entries[2]!.streamId,
    );
    expect(head.seq).toBe('3');
    const result = await f.verifier.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      job: { region: REGION, jobId: JOB_A },
      problem: { kind: 'inserted', seq: 3 },
    });
    expect(result.problem!.detail).toMatch(/^in the chain of job /);
  });

  it('a key under the audit tag that cosjob does not write is malformed', async () => {
    const f = await fixture(hmacKey);
    const stray = `${f.keys.auditTag}:job:not a region`;
    await f.redis.set(stray, 'x');
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'malformed',
      streamId: stray,
    });
  });

  it('first-pass problems of the global chain are reported as before', async () => {
    const f = await fixture(hmacKey);
    await f.redis.call('XDEL', f.keys.auditLog(), f.entries[2]!.streamId);
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'removed',
      afterSeq: 2,
    });
  });
});

describe('cross-checks across pages and concurrent appends', () => {
  it('small pages find the same problems', async () => {
    const f = await fixture(undefined, 2);
    await cutGlobalTail(f, 5);
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'rolled_back',
      afterSeq: 5,
      streamId: f.entries[5]!.streamId,
    });
  });

  it('entries appended while verifying are not reported', async () => {
    const f = await fixture(undefined, 2);
    const verifying = f.verifier.verify({ kind: 'global' });
    const appended = Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        f.audit.append(entry(i % 2 ? JOB_A : JOB_B, { reason: `late ${i}` })),
      ),
    );
    const [result] = await Promise.all([verifying, appended]);
    expect(result.problem).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(await f.verifier.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 16 });
    expect(await f.verifier.verify(JOB_A_SCOPE)).toMatchObject({ ok: true, entries: 8 });
  });

  it('without the key, a job chain recomputed after an edit walks clean but diverges from the global one', async () => {
    const f = await fixture();
    let prevHash = '0'.repeat(64);
    await rewriteStream(
      f.redis,
      f.keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      (records) =>
        records.map((r) => {
          let forged = setField(r, 'jobPrevHash', prevHash);
          if (r.id === f.entries[2]!.streamId) forged = setField(forged, 'reason', 'rewritten');
          forged = rehash(forged);
          prevHash = forged.fields.find(([name]) => name === 'hash')![1];
          return forged;
        }),
    );
    await f.redis.hset(
      f.keys.auditJobHead({ account: 'default', region: REGION, jobId: JOB_A }),
      'hash',
      prevHash,
    );
    expect((await f.audit.verify(JOB_A_SCOPE)).ok).toBe(true);
    const records = await readStream(
      f.redis,
      f.keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
    );
    expect(records).toHaveLength(3);
    expect((await f.verifier.verify(JOB_A_SCOPE)).problem).toMatchObject({ kind: 'diverged', seq: 3 });
    expect((await f.verifier.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'diverged', seq: 3 });
  });
});
