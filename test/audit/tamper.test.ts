/**
 * Tampering with the stored trail through raw Redis commands (as someone with Redis access could), and
 * checking that verify names the first problem, its kind and the entry.
 */
import { describe, expect, it } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { useRedis } from '../helpers/redis.js';
import {
  field,
  JOB_A,
  JOB_B,
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
const HMAC_KEY = 'tamper-test-hmac-key-0123456789';

async function fixture(hmacKey?: string): Promise<SixEntryTrail> {
  const trail = await sixEntryTrail(client(redisCtx.url), redisCtx.keyPrefix, hmacKey);
  expect(await trail.audit.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 6 });
  return trail;
}

const JOB_A_SCOPE = { kind: 'job', account: 'default', region: REGION, jobId: JOB_A } as const;
const JOB_B_SCOPE = { kind: 'job', account: 'default', region: REGION, jobId: JOB_B } as const;

/** A stream id strictly between two existing ones (the fixture's entries are one second apart). */
function idBetween(a: AuditEntry, b: AuditEntry): string {
  const aMs = Number(a.streamId.split('-')[0]);
  const bMs = Number(b.streamId.split('-')[0]);
  return `${Math.floor((aMs + bMs) / 2)}-0`;
}

describe.each([
  ['without HMAC', undefined],
  ['with HMAC', HMAC_KEY],
])('verify names each kind of tampering (%s)', (_label, hmacKey) => {
  it('edited: a field of a middle entry changed', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => (r.id === entries[2]!.streamId ? setField(r, 'reason', 'nothing to see') : r)),
    );
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      problem: { kind: 'edited', seq: 3, streamId: entries[2]!.streamId },
    });
    expect(result.problem!.detail).toContain(entries[2]!.streamId);
  });

  it('edited: a field added to an entry', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) =>
        r.id === entries[3]!.streamId ? { id: r.id, fields: [...r.fields, ['note', 'x']] } : r,
      ),
    );
    expect((await audit.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'edited', seq: 4 });
  });

  it('inserted: a forged entry between two genuine ones', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    const forgedId = idBetween(entries[1]!, entries[2]!);
    await rewriteStream(redis, keys.auditLog(), (records) => {
      const template = records[2]!;
      const forged = setField(setField(template, 'reason', 'forged approval'), 'entryId', 'forged-1');
      return [...records.slice(0, 2), { id: forgedId, fields: forged.fields }, ...records.slice(2)];
    });
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      problem: { kind: 'inserted', seq: 3, streamId: forgedId },
    });
  });

  it('inserted: a forged entry with a recomputed hash, continuing the chain', async () => {
    // Without the key the forger can make the entry itself look valid; the genuine chain still names it.
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    const forgedId = idBetween(entries[1]!, entries[2]!);
    await rewriteStream(redis, keys.auditLog(), (records) => {
      const forged = rehash(setField(setField(records[2]!, 'reason', 'forged'), 'entryId', 'forged-2'));
      return [...records.slice(0, 2), { id: forgedId, fields: forged.fields }, ...records.slice(2)];
    });
    const result = await audit.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'inserted', seq: 3, streamId: forgedId });
    expect(result.entries).toBe(2);
  });

  it('inserted: an entry appended after the head outside cosjob', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    const last = (await readStream(redis, keys.auditLog()))[5]!;
    const forged = rehash(
      setField(
        setField(setField(last, 'seq', '7'), 'prevHash', entries[5]!.hash),
        'entryId',
        'forged-after-head',
      ),
    );
    const forgedId = `${Number(entries[5]!.streamId.split('-')[0]) + 1}-0`;
    await redis.call('XADD', keys.auditLog(), forgedId, ...forged.fields.flat());
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      entries: 6,
      problem: { kind: 'inserted', seq: 7, streamId: forgedId },
    });
    expect(result.problem!.detail).toMatch(/after the recorded head/);
  });

  it('removed: a middle entry deleted (XDEL)', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await redis.call('XDEL', keys.auditLog(), entries[2]!.streamId);
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({ ok: false, entries: 2, problem: { kind: 'removed', afterSeq: 2 } });
    expect(result.problem!.detail).toMatch(/seq 3 is missing/);
    expect(result.problem!.detail).toContain(entries[3]!.streamId);
  });

  it('removed: the first entry deleted', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await redis.call('XDEL', keys.auditLog(), entries[0]!.streamId);
    expect((await audit.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'removed', afterSeq: 0 });
  });

  it('removed: several entries deleted', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await redis.call('XDEL', keys.auditLog(), entries[1]!.streamId, entries[2]!.streamId);
    const result = await audit.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'removed', afterSeq: 1 });
    expect(result.problem!.detail).toMatch(/seqs 2–3 are missing/);
  });

  it('truncated: the newest entry deleted', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await redis.call('XDEL', keys.auditLog(), entries[5]!.streamId);
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({ ok: false, entries: 5, problem: { kind: 'truncated' } });
    expect(result.problem!.detail).toMatch(/head records seq 6/);
  });

  it('truncated: the head record deleted', async () => {
    const { redis, keys, audit } = await fixture(hmacKey);
    await redis.call('DEL', keys.auditHead());
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({ ok: false, entries: 6, problem: { kind: 'truncated' } });
    expect(result.problem!.detail).toMatch(/head record .* is missing/);
  });

  it('malformed: an entry that cannot be read', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => (r.id === entries[1]!.streamId ? setField(r, 'seq', 'two') : r)),
    );
    const result = await audit.verify({ kind: 'global' });
    expect(result).toMatchObject({
      ok: false,
      entries: 1,
      problem: { kind: 'malformed', streamId: entries[1]!.streamId },
    });
    expect(result.problem!.detail).toMatch(/seq/);
  });

  it('malformed: an unreadable head record, named by its key', async () => {
    const { redis, keys, audit } = await fixture(hmacKey);
    await redis.call('HSET', keys.auditHead(), 'hash', 'not-a-hash');
    expect((await audit.verify({ kind: 'global' })).problem).toMatchObject({
      kind: 'malformed',
      streamId: keys.auditHead(),
    });
  });

  it('job chain and global chain are verified independently', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    // Job A's middle entry (global seq 3, job seq 2) deleted from the job stream only.
    await redis.call(
      'XDEL',
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      entries[2]!.streamId,
    );
    expect(await audit.verify(JOB_A_SCOPE)).toMatchObject({
      ok: false,
      entries: 1,
      problem: { kind: 'removed', afterSeq: 1 },
    });
    expect(await audit.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 6 });
    expect(await audit.verify(JOB_B_SCOPE)).toMatchObject({ ok: true, entries: 3 });

    // Job B's entry (global seq 4, job seq 2) edited in the global stream only.
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => (r.id === entries[3]!.streamId ? setField(r, 'actorName', 'Mallory') : r)),
    );
    expect((await audit.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'edited', seq: 4 });
    expect(await audit.verify(JOB_B_SCOPE)).toMatchObject({ ok: true, entries: 3 });
  });

  it('job chain: an edit is reported at the job seq', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await rewriteStream(
      redis,
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      (records) =>
        records.map((r) =>
          r.id === entries[4]!.streamId ? setField(r, 'reason', 'edited in the job stream') : r,
        ),
    );
    expect((await audit.verify(JOB_A_SCOPE)).problem).toMatchObject({
      kind: 'edited',
      seq: 3,
      streamId: entries[4]!.streamId,
    });
  });

  it('job chain: an entry of another job copied in', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    const otherJobRecord = (await readStream(redis, keys.auditLog()))[5]!;
    const copyId = `${Number(entries[4]!.streamId.split('-')[0]) + 1}-0`;
    await rewriteStream(
      redis,
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_A }),
      (records) => [...records, { id: copyId, fields: otherJobRecord.fields }],
    );
    const result = await audit.verify(JOB_A_SCOPE);
    expect(result.problem).toMatchObject({ kind: 'inserted', streamId: copyId });
    expect(result.problem!.detail).toContain(`belongs to job ${REGION}/${JOB_B}`);
  });

  it('job chain: the newest job entry deleted', async () => {
    const { redis, keys, audit, entries } = await fixture(hmacKey);
    await redis.call(
      'XDEL',
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB_B }),
      entries[5]!.streamId,
    );
    expect((await audit.verify(JOB_B_SCOPE)).problem).toMatchObject({ kind: 'truncated' });
    expect((await audit.verify(JOB_A_SCOPE)).ok).toBe(true);
  });
});

describe('forgeries only possible without the HMAC key', () => {
  it('an entry replaced with a recomputed hash is named as edited', async () => {
    const { redis, keys, audit, entries } = await fixture();
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => (r.id === entries[2]!.streamId ? rehash(setField(r, 'reason', 'rewritten')) : r)),
    );
    const result = await audit.verify({ kind: 'global' });
    expect(result.problem).toMatchObject({ kind: 'edited', seq: 3, streamId: entries[2]!.streamId });
    expect(result.problem!.detail).toMatch(/replaced/);
  });

  it('the newest entry replaced with a recomputed hash no longer matches the head', async () => {
    const { redis, keys, audit, entries } = await fixture();
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => (r.id === entries[5]!.streamId ? rehash(setField(r, 'reason', 'rewritten')) : r)),
    );
    expect((await audit.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'edited', seq: 6 });
  });

  it('a whole chain recomputed after an edit verifies without the key and fails with it', async () => {
    const { redis, keys, entries } = await fixture(HMAC_KEY);
    let prevHash = '0'.repeat(64);
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r) => {
        let forged = setField(r, 'prevHash', prevHash);
        if (r.id === entries[1]!.streamId) forged = setField(forged, 'reason', 'rewritten history');
        forged = rehash(forged);
        prevHash = field(forged, 'hash');
        return forged;
      }),
    );
    await redis.call('HSET', keys.auditHead(), 'hash', prevHash);
    const keyless = new RedisAuditTrail(redis, { keys });
    expect((await keyless.verify({ kind: 'global' })).ok).toBe(true);
    const keyed = new RedisAuditTrail(redis, { keys, hmacKey: HMAC_KEY });
    expect((await keyed.verify({ kind: 'global' })).problem).toMatchObject({ kind: 'edited', seq: 1 });
  });
});
