import { describe, expect, it } from 'vitest';
import {
  describeType,
  jobIdProblem,
  jobRefKey,
  jobRefProblem,
  MAX_JOB_REF_KEY_LENGTH,
  parseJobRefKey,
  regionProblem,
} from '../../src/jobs/job-ref.js';

const REGION = 'ap-guangzhou';
const JOB_ID = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';

describe('the job key text', () => {
  it('is region|jobId, byte for byte as earlier versions wrote it to Redis', () => {
    expect(jobRefKey({ account: 'default', region: REGION, jobId: JOB_ID })).toBe(`ap-guangzhou|${JOB_ID}`);
    // A tracked-set member written before this module existed.
    expect(parseJobRefKey('ap-shanghai|0e9f2a41-7d3c-4b8e-9f10-2c5d6e7f8a9b')).toEqual({
      ok: true,
      ref: { account: 'default', region: 'ap-shanghai', jobId: '0e9f2a41-7d3c-4b8e-9f10-2c5d6e7f8a9b' },
    });
  });

  it('is account|region|jobId for any account but the default one, and parses back', () => {
    const ref = { account: 'prod', region: REGION, jobId: JOB_ID };
    expect(jobRefKey(ref)).toBe(`prod|ap-guangzhou|${JOB_ID}`);
    expect(parseJobRefKey(`prod|ap-guangzhou|${JOB_ID}`)).toEqual({ ok: true, ref });
    // Naming the default account explicitly still means it, and formats back to the legacy text.
    const named = parseJobRefKey(`default|ap-guangzhou|${JOB_ID}`);
    expect(named).toEqual({ ok: true, ref: { ...ref, account: 'default' } });
    expect(named.ref && jobRefKey(named.ref)).toBe(`ap-guangzhou|${JOB_ID}`);
  });

  it.each([
    ['an upper-case account', `Prod|${REGION}|${JOB_ID}`],
    ['an empty account', `|${REGION}|${JOB_ID}`],
    ['an account with a colon', `a:b|${REGION}|${JOB_ID}`],
    ['an account with a brace', `{x}|${REGION}|${JOB_ID}`],
    ['an account of 33 characters', `${'a'.repeat(33)}|${REGION}|${JOB_ID}`],
  ])('refuses %s, naming the account rule', (_label, text) => {
    const parsed = parseJobRefKey(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(/account name must be lowercase/);
  });

  it('round-trips the longest legal account, region and JobId', () => {
    const ref = { account: 'a'.repeat(32), region: `ap-${'a'.repeat(37)}`, jobId: 'b'.repeat(64) };
    const key = jobRefKey(ref);
    expect(key.length).toBe(MAX_JOB_REF_KEY_LENGTH);
    expect(parseJobRefKey(key)).toEqual({ ok: true, ref });
  });

  it.each([
    ['no separator', JOB_ID, /form/],
    ['three separators', `prod|${REGION}|${JOB_ID}|x`, /form/],
    ['a JobId where the region goes', `prod|${JOB_ID}|x`, /region/],
    ['an empty JobId', `${REGION}|`, /JobId is empty/],
    ['an empty region', `|${JOB_ID}`, /region/],
    ['a dotted JobId', `${REGION}|a.b`, /JobId/],
    ['a traversal', `${REGION}|../x`, /JobId/],
    ['an uppercase region', `AP-GUANGZHOU|${JOB_ID}`, /region/],
    ['too long', 'x'.repeat(MAX_JOB_REF_KEY_LENGTH + 1), /at most/],
    ['a number', 42, /must be text, not a number/],
  ])('refuses %s, saying why', (_label, text, why) => {
    const parsed = parseJobRefKey(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ref).toBeUndefined();
    if (!parsed.ok) expect(parsed.problem).toMatch(why);
  });

  it('formats without validating, so one odd record read back from Redis cannot stop a pass', () => {
    expect(jobRefKey({ account: 'default', region: 'x', jobId: 'a.b' })).toBe('x|a.b');
    expect(parseJobRefKey('x|a.b').ok).toBe(false);
  });
});

describe('the reference rules', () => {
  it('names the region problem first, then the JobId problem', () => {
    expect(jobRefProblem({ account: 'default', region: REGION, jobId: JOB_ID })).toBeUndefined();
    expect(jobRefProblem({ account: 'default', region: 'Guangzhou', jobId: '' })).toMatch(/region/);
    expect(jobRefProblem({ account: 'default', region: REGION, jobId: '' })).toBe('the JobId is empty');
    expect(jobIdProblem('x'.repeat(65))).toMatch(/longer than 64 bytes/);
    expect(jobIdProblem(7)).toBe('the JobId must be text, not a number');
    expect(regionProblem(undefined)).toBe('the region must be text, not nothing');
  });

  it('describes values by kind', () => {
    expect([undefined, null, [], {}, 1, 'x', true].map(describeType)).toEqual([
      'nothing',
      'null',
      'a list',
      'an object',
      'a number',
      'a string',
      'a boolean',
    ]);
  });
});
