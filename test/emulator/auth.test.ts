import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, controlHost, errorOf, type Harness, OTHER_ACCOUNT, startHarness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function nowSeconds(): number {
  return Math.floor(h.clock.now() / 1000);
}

describe('emulator: request authentication', () => {
  it('accepts a correctly signed request, with or without a security token', async () => {
    expect((await h.call({ method: 'GET', path: '/jobs' })).status).toBe(200);
    const signedToken = await h.call({
      method: 'GET',
      path: '/jobs',
      signedHeaders: { 'x-cos-security-token': 'any-sts-token' },
    });
    expect(signedToken.status).toBe(200);
    const unsignedToken = await h.call({
      method: 'GET',
      path: '/jobs',
      unsignedHeaders: { 'x-cos-security-token': 'any-sts-token' },
    });
    expect(unsignedToken.status).toBe(200);
  });

  it('missing x-cos-appid → 400 InvalidArgument', async () => {
    const reply = await h.call({ method: 'GET', path: '/jobs', appId: null });
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('x-cos-appid'),
    });
  });

  it('unknown x-cos-appid → 403 AccessDenied (with and without a cos-control Host)', async () => {
    const viaHost = await h.call({ method: 'GET', path: '/jobs', appId: '1999999999' });
    expect(viaHost.status).toBe(403);
    expect(errorOf(viaHost).code).toBe('AccessDenied');
    const plainHost = await h.call({ method: 'GET', path: '/jobs', appId: '1999999999', host: 'localhost' });
    expect(plainHost.status).toBe(403);
    expect(errorOf(plainHost).code).toBe('AccessDenied');
    const unknownUin = await h.call({
      method: 'GET',
      path: '/jobs',
      host: controlHost('ap-guangzhou', '999'),
    });
    expect(unknownUin.status).toBe(403);
    expect(errorOf(unknownUin).code).toBe('AccessDenied');
  });

  it('unknown SecretId → 403 InvalidAccessKeyId; another account’s key → AccessDenied', async () => {
    const unknown = await h.call({
      method: 'GET',
      path: '/jobs',
      account: { ...ACCOUNT, secretId: 'AKIDnobodyHasThisKey' },
    });
    expect(unknown.status).toBe(403);
    expect(errorOf(unknown).code).toBe('InvalidAccessKeyId');
    const foreign = await h.call({
      method: 'GET',
      path: '/jobs',
      account: { ...ACCOUNT, secretId: OTHER_ACCOUNT.secretId, secretKey: OTHER_ACCOUNT.secretKey },
    });
    expect(foreign.status).toBe(403);
    expect(errorOf(foreign).code).toBe('AccessDenied');
  });

  it('wrong secret key or a tampered signature → 403 SignatureDoesNotMatch, without echoing secrets', async () => {
    const wrongKey = await h.call({
      method: 'GET',
      path: '/jobs',
      account: { ...ACCOUNT, secretKey: 'not-the-key' },
    });
    expect(wrongKey.status).toBe(403);
    expect(errorOf(wrongKey).code).toBe('SignatureDoesNotMatch');
    expect(wrongKey.text).not.toContain(ACCOUNT.secretKey);
    expect(wrongKey.text).not.toContain('q-signature');

    const tampered = await h.call({
      method: 'GET',
      path: '/jobs',
      tamper: (auth) =>
        auth.replace(/q-signature=([0-9a-f])/, (_m, c: string) => `q-signature=${c === 'a' ? 'b' : 'a'}`),
    });
    expect(tampered.status).toBe(403);
    expect(errorOf(tampered).code).toBe('SignatureDoesNotMatch');

    // Signed for one path, sent to another; and the path must be signed raw, not percent-encoded.
    const otherPath = await h.call({ method: 'GET', path: '/jobs/abc', signedPath: '/jobs' });
    expect(otherPath.status).toBe(403);
    expect(errorOf(otherPath).code).toBe('SignatureDoesNotMatch');
    const encoded = await h.call({
      method: 'GET',
      path: '/jobs/任务',
      signedPath: '/jobs/%E4%BB%BB%E5%8A%A1',
    });
    expect(errorOf(encoded).code).toBe('SignatureDoesNotMatch');
    const raw = await h.call({ method: 'GET', path: '/jobs/任务' });
    expect(errorOf(raw).code).toBe('NoSuchJob');
  });

  it('a signed header whose value changed on the wire → SignatureDoesNotMatch', async () => {
    const reply = await h.call({
      method: 'GET',
      path: '/jobs',
      signedHeaders: { 'x-cos-meta-note': 'signed value' },
      unsignedHeaders: { 'x-cos-meta-note': 'changed value' },
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply).code).toBe('SignatureDoesNotMatch');
  });

  it('a query parameter left out of the signature → 403, naming the parameter', async () => {
    const reply = await h.call({ method: 'GET', path: '/jobs', unsignedQuery: { maxResults: '5' } });
    expect(reply.status).toBe(403);
    expect(errorOf(reply)).toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining('maxResults'),
    });
  });

  it('a query value changed after signing → SignatureDoesNotMatch', async () => {
    const reply = await h.call({
      method: 'GET',
      path: '/jobs',
      query: { maxResults: '5' },
      rawQuery: '?maxResults=6',
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply).code).toBe('SignatureDoesNotMatch');
  });

  it('host missing from q-header-list → 403', async () => {
    const reply = await h.call({ method: 'GET', path: '/jobs', skipHostSignature: true });
    expect(reply.status).toBe(403);
    expect(errorOf(reply)).toMatchObject({ code: 'AccessDenied', message: expect.stringContaining('host') });
  });

  it('missing or malformed Authorization → 403 AccessDenied', async () => {
    const malformed = await h.call({ method: 'GET', path: '/jobs', tamper: () => 'Bearer abc' });
    expect(malformed.status).toBe(403);
    expect(errorOf(malformed).code).toBe('AccessDenied');
    const empty = await h.call({ method: 'GET', path: '/jobs', tamper: () => '' });
    expect(empty.status).toBe(403);
    expect(errorOf(empty).code).toBe('AccessDenied');
  });

  it('a key time that ended → 403 AccessDenied "Request has expired"', async () => {
    const now = nowSeconds();
    const reply = await h.call({
      method: 'GET',
      path: '/jobs',
      keyTime: { start: now - 3600, end: now - 60 },
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply)).toMatchObject({ code: 'AccessDenied', message: 'Request has expired' });
  });

  it('a start time more than 15 minutes ahead → 403 RequestTimeTooSkewed; the Date header tells the real time', async () => {
    const now = nowSeconds();
    const skewed = await h.call({
      method: 'GET',
      path: '/jobs',
      keyTime: { start: now + 16 * 60, end: now + 3600 },
    });
    expect(skewed.status).toBe(403);
    expect(errorOf(skewed).code).toBe('RequestTimeTooSkewed');
    expect(Date.parse(String(skewed.headers.date))).toBe(now * 1000);
    // Within 15 minutes ahead it is not skew, but the key is not valid yet either.
    const early = await h.call({
      method: 'GET',
      path: '/jobs',
      keyTime: { start: now + 60, end: now + 3600 },
    });
    expect(early.status).toBe(403);
    expect(errorOf(early).message).toBe('Request has expired');
  });

  it('clockOffsetMs: an emulator running ahead expires keys signed with the caller’s clock', async () => {
    const ahead = await startHarness({ clockOffsetMs: 2 * 3600_000 });
    try {
      const reply = await ahead.call({ method: 'GET', path: '/jobs' });
      expect(reply.status).toBe(403);
      expect(errorOf(reply).message).toBe('Request has expired');
      const serverTime = Date.parse(String(reply.headers.date));
      expect(serverTime - ahead.clock.now()).toBe(2 * 3600_000);
      // Correcting by the Date header makes the next call pass.
      const corrected = await ahead.call({
        method: 'GET',
        path: '/jobs',
        keyTime: { start: serverTime / 1000 - 1, end: serverTime / 1000 + 600 },
      });
      expect(corrected.status).toBe(200);
    } finally {
      await ahead.close();
    }
  });
});
