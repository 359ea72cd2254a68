/**
 * The account in the audit trail (issue 11): entries of the default account are stored exactly as before
 * several accounts (no account field), so entries written by earlier versions read as `default` and their
 * hashes still verify; another account's entries carry it, in their own job chain.
 */
import { describe, expect, it } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { useRedis } from '../helpers/redis.js';
import {
  entry,
  field,
  JOB_A,
  keysFor,
  REGION,
  readStream,
  rewriteStream,
  SteppingClock,
  setField,
  specHash,
  useClients,
} from './support.js';

const redisCtx = useRedis();
const client = useClients();

/** The stream fields a version before several accounts wrote, in its order. */
const LEGACY_FIELDS = [
  'v',
  'entryId',
  'time',
  'actorId',
  'actorName',
  'action',
  'region',
  'jobId',
  'source',
  'seq',
  'jobSeq',
  'prevHash',
  'jobPrevHash',
  'hash',
];

function trail() {
  const redis = client(redisCtx.url);
  const keys = keysFor(redisCtx.keyPrefix);
  return { redis, keys, audit: new RedisAuditTrail(redis, { keys, clock: new SteppingClock() }) };
}

describe('the account in audit entries', () => {
  it('stores a default-account entry in the legacy encoding, which reads back as default and verifies', async () => {
    const { redis, keys, audit } = trail();
    const written = await audit.append(entry(JOB_A));
    const [record] = await readStream(redis, keys.auditLog());
    expect(record!.fields.map(([name]) => name)).toEqual(LEGACY_FIELDS);
    // The hash, computed as the documentation defines it over exactly those fields.
    expect(field(record!, 'hash')).toBe(specHash(record!.fields));
    expect(written.account).toBe('default');
    expect((await audit.history({ account: 'default', region: REGION, jobId: JOB_A }))[0]?.account).toBe(
      'default',
    );
    expect(
      await audit.verify({ kind: 'job', account: 'default', region: REGION, jobId: JOB_A }),
    ).toMatchObject({ ok: true, entries: 1 });
    // The legacy job chain key is the one written.
    expect(await redis.exists(`{${redisCtx.keyPrefix}:audit}:job:${REGION}:${JOB_A}`)).toBe(1);
  });

  it("keeps another account's entries, with the account, in that account's own job chain", async () => {
    const { redis, keys, audit } = trail();
    await audit.append(entry(JOB_A));
    const prod = await audit.append(entry(JOB_A, { account: 'prod', action: 'approved' }));
    expect(prod).toMatchObject({ account: 'prod', jobSeq: 1, seq: 2 });
    const [, record] = await readStream(redis, keys.auditLog());
    expect(field(record!, 'account')).toBe('prod');
    expect(await audit.history({ account: 'prod', region: REGION, jobId: JOB_A })).toEqual([prod]);
    expect(await audit.history({ account: 'default', region: REGION, jobId: JOB_A })).toHaveLength(1);
    expect((await audit.verify({ kind: 'global' })).ok).toBe(true);
    expect((await audit.verify({ kind: 'job', account: 'prod', region: REGION, jobId: JOB_A })).ok).toBe(
      true,
    );
  });

  it('refuses an account name the key layout cannot hold', async () => {
    const { audit } = trail();
    await expect(audit.append(entry(JOB_A, { account: 'Prod:x' }))).rejects.toThrow(/account must be/);
  });

  it('detects an entry moved to another account after it was written', async () => {
    const { redis, keys, audit } = trail();
    await audit.append(entry(JOB_A));
    await audit.append(entry(JOB_A, { account: 'prod' }));
    await rewriteStream(redis, keys.auditLog(), (records) =>
      records.map((r, i) => (i === 1 ? setField(r, 'account', 'other') : r)),
    );
    expect(await audit.verify({ kind: 'global' })).toMatchObject({
      ok: false,
      problem: { kind: 'edited', seq: 2 },
    });
  });
});
