import { describe, expect, it } from 'vitest';
import { isValidRegion } from '../../src/cos/region.js';
import { isValidJobId } from '../../src/cos/validation.js';
import { hashTagOf, InvalidKeyPartError, KeySpace, parseJobKeyPart } from '../../src/redis/keys.js';

const REGION = 'ap-guangzhou';
const JOB = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';

/** Redis Cluster's CRC16 (XMODEM) of the hash-tag text, modulo 16384. */
function clusterSlot(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTagOf(key), 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

describe('KeySpace', () => {
  const keys = new KeySpace('cosjob');

  it('names audit keys under one hash tag', () => {
    expect(keys.auditLog()).toBe('{cosjob:audit}:log');
    expect(keys.auditHead()).toBe('{cosjob:audit}:head');
    expect(keys.auditEntryIds()).toBe('{cosjob:audit}:ids');
    expect(keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB })).toBe(
      `{cosjob:audit}:job:${REGION}:${JOB}`,
    );
    expect(keys.auditJobHead({ account: 'default', region: REGION, jobId: JOB })).toBe(
      `{cosjob:audit}:jobhead:${REGION}:${JOB}`,
    );
  });

  it('names per-job engine keys under a per-job tag', () => {
    const tag = `{cosjob:job:${REGION}:${JOB}}`;
    expect(keys.jobClaim({ account: 'default', region: REGION, jobId: JOB })).toBe(`${tag}:claim`);
    expect(keys.jobVotes({ account: 'default', region: REGION, jobId: JOB })).toBe(`${tag}:votes`);
    expect(keys.jobRecord({ account: 'default', region: REGION, jobId: JOB })).toBe(`${tag}:record`);
    expect(keys.jobDecision({ account: 'default', region: REGION, jobId: JOB })).toBe(`${tag}:decision`);
  });

  it('puts a non-default account into the per-job keys; the default account keeps the old text', () => {
    const prod = { account: 'prod', region: REGION, jobId: JOB };
    expect(keys.jobRecord(prod)).toBe(`{cosjob:job:prod:${REGION}:${JOB}}:record`);
    expect(keys.auditJobStream(prod)).toBe(`{cosjob:audit}:job:prod:${REGION}:${JOB}`);
    expect(keys.auditJobHead(prod)).toBe(`{cosjob:audit}:jobhead:prod:${REGION}:${JOB}`);
    // The same JobId in two accounts never shares a key.
    expect(keys.jobRecord(prod)).not.toBe(keys.jobRecord({ ...prod, account: 'default' }));
    expect(parseJobKeyPart(`prod:${REGION}:${JOB}`)).toEqual(prod);
    expect(parseJobKeyPart(`${REGION}:${JOB}`)).toEqual({ ...prod, account: 'default' });
    expect(parseJobKeyPart('a:b:c:d')).toBeUndefined();
    expect(() => keys.jobRecord({ ...prod, account: 'Pro:d' })).toThrow(InvalidKeyPartError);
    expect(() => keys.jobRecord({ ...prod, account: '{x}' })).toThrow(/the account must be/);
  });

  it('names plain keys under the prefix', () => {
    expect(keys.leader('cos-poller')).toBe('cosjob:leader:cos-poller');
    expect(keys.intents()).toBe('cosjob:intents');
    expect(keys.tracked()).toBe('cosjob:tracked');
  });

  it('puts every audit key in one cluster slot, and a job\u2019s engine keys in one slot', () => {
    const audit = [
      keys.auditLog(),
      keys.auditHead(),
      keys.auditEntryIds(),
      keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB }),
      keys.auditJobHead({ account: 'default', region: 'eu-frankfurt', jobId: 'other-job' }),
    ].map(clusterSlot);
    expect(new Set(audit).size).toBe(1);
    const job = [
      keys.jobClaim({ account: 'default', region: REGION, jobId: JOB }),
      keys.jobVotes({ account: 'default', region: REGION, jobId: JOB }),
      keys.jobDecision({ account: 'default', region: REGION, jobId: JOB }),
    ].map(clusterSlot);
    expect(new Set(job).size).toBe(1);
    // Different jobs spread over the cluster instead of piling onto one slot.
    const manyJobs = new Set(
      Array.from({ length: 50 }, (_, i) =>
        clusterSlot(keys.jobClaim({ account: 'default', region: REGION, jobId: `job-${i}` })),
      ),
    );
    expect(manyJobs.size).toBeGreaterThan(40);
  });

  it('matches the published CRC16 test vector for slots', () => {
    // From the Redis Cluster specification: "123456789" → 0x31C3 (12739).
    expect(clusterSlot('123456789')).toBe(12739);
    expect(hashTagOf('{user1000}.following')).toBe('user1000');
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
  });

  it('namespaces by prefix', () => {
    const other = new KeySpace('staging:cosjob');
    expect(other.auditLog()).toBe('{staging:cosjob:audit}:log');
    expect(other.leader('x')).toBe('staging:cosjob:leader:x');
    expect(other.patterns()).toEqual({
      audit: '{staging:cosjob:audit}:*',
      jobs: '{staging:cosjob:job:*',
      plain: 'staging:cosjob:*',
    });
  });

  it('refuses key parts that would break tags or patterns, saying what is expected', () => {
    expect(() => new KeySpace('')).toThrow(InvalidKeyPartError);
    expect(() => new KeySpace('a{b}')).toThrow(/REDIS_KEY_PREFIX/);
    expect(() => keys.auditJobStream({ account: 'default', region: 'ap-guangzhou}', jobId: JOB })).toThrow(
      /region/,
    );
    expect(() => keys.jobClaim({ account: 'default', region: REGION, jobId: 'a:b' })).toThrow(/JobId/);
    expect(() => keys.jobClaim({ account: 'default', region: REGION, jobId: 'x'.repeat(65) })).toThrow(
      /JobId/,
    );
    // A dot is no more a JobId here than at COS: one rule (cos/validation) for keys, requests and Slack.
    expect(() => keys.jobRecord({ account: 'default', region: REGION, jobId: 'a.b' })).toThrow(/JobId/);
    expect(() => keys.auditJobStream({ account: 'default', region: REGION, jobId: '..' })).toThrow(/JobId/);
    expect(() => keys.leader('a b')).toThrow(/key name/);
  });

  it('accepts exactly the JobIds and regions the COS client accepts', () => {
    for (const jobId of [JOB, 'a', 'A_b-c', 'a'.repeat(64), 'a.b', '..', '-a', '_a', 'é', '']) {
      if (isValidJobId(jobId))
        expect(keys.auditJobStream({ account: 'default', region: REGION, jobId: jobId })).toContain(jobId);
      else
        expect(() => keys.jobClaim({ account: 'default', region: REGION, jobId: jobId }), jobId).toThrow(
          /JobId/,
        );
    }
    for (const region of ['ap-guangzhou', 'na-siliconvalley', 'x', 'ap-', 'AP-GUANGZHOU']) {
      if (isValidRegion(region))
        expect(keys.jobClaim({ account: 'default', region: region, jobId: JOB })).toContain(region);
      else
        expect(() => keys.jobClaim({ account: 'default', region: region, jobId: JOB }), region).toThrow(
          /region/,
        );
    }
  });
});
