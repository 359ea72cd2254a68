import { describe, expect, it } from 'vitest';
import {
  computeSignatureParts,
  cosAuthorization,
  cosUrlEncode,
  encodePath,
  encodeQuery,
  parseAuthorization,
} from '../../src/cos/signing.js';

// Published vectors: Tencent's signing examples (upload and download), the Go SDK's unit test and the older
// documentation vectors, each reproduced byte for byte.
const DOC = {
  secretId: 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q',
  secretKey: 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz',
};

const uploadHeaders = {
  Date: 'Thu, 16 May 2019 06:45:51 GMT',
  Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com',
  'Content-Type': 'text/plain',
  'Content-Length': '13',
  'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==',
  'x-cos-acl': 'private',
  'x-cos-grant-read': 'uin="100000000011"',
};

describe('COS request signing', () => {
  it('reuses the signing key only for the same key time and secret', () => {
    const request = { method: 'PUT', path: '/exampleobject(腾讯云)', query: {}, headers: uploadHeaders };
    const keyTime = { start: 1557989151, end: 1557996351 };
    const credentials = { ...DOC };
    const first = computeSignatureParts(request, credentials, keyTime);
    expect(computeSignatureParts(request, credentials, keyTime)).toEqual(first);
    // Another key time: another key, as a fresh derivation gives it.
    const later = { start: keyTime.start + 1, end: keyTime.end + 1 };
    expect(computeSignatureParts(request, credentials, later).signKey).toBe(
      computeSignatureParts(request, { ...DOC }, later).signKey,
    );
    expect(computeSignatureParts(request, credentials, later).signKey).not.toBe(first.signKey);
    // The secret rotated on the same object: never the old key.
    credentials.secretKey = 'A'.repeat(32);
    const rotated = computeSignatureParts(request, credentials, keyTime);
    expect(rotated.signKey).not.toBe(first.signKey);
    expect(rotated).toEqual(computeSignatureParts(request, { ...credentials }, keyTime));
  });

  it('(A) official upload example, non-ASCII path signed raw', () => {
    const parts = computeSignatureParts(
      { method: 'PUT', path: '/exampleobject(腾讯云)', query: {}, headers: uploadHeaders },
      DOC,
      { start: 1557989151, end: 1557996351 },
    );
    expect(parts.signKey).toBe('eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f');
    expect(parts.headerList).toBe(
      'content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read',
    );
    expect(parts.httpString.split('\n')[3]).toBe(
      'content-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D&content-type=text%2Fplain&date=Thu%2C%2016%20May%202019%2006%3A45%3A51%20GMT&host=examplebucket-1250000000.cos.ap-beijing.myqcloud.com&x-cos-acl=private&x-cos-grant-read=uin%3D%22100000000011%22',
    );
    expect(parts.stringToSign.split('\n')[2]).toBe('8b2751e77f43a0995d6e9eb9477f4b685cca4172');
    expect(parts.signature).toBe('3b8851a11a569213c17ba8fa7dcf2abec6935172');
  });

  it('(A) without date and content-type: only what is sent is signed', () => {
    const { Date: _d, 'Content-Type': _c, ...reduced } = uploadHeaders;
    const parts = computeSignatureParts(
      { method: 'PUT', path: '/exampleobject(腾讯云)', query: {}, headers: reduced },
      DOC,
      { start: 1557989151, end: 1557996351 },
    );
    expect(parts.headerList).toBe('content-length;content-md5;host;x-cos-acl;x-cos-grant-read');
    expect(parts.signature).toBe('65788349a05a472789af1637995918716f64cc20');
  });

  it('(B) official download example with query parameters', () => {
    const request = {
      method: 'GET',
      path: '/exampleobject(腾讯云)',
      query: { 'response-content-type': 'application/octet-stream', 'response-cache-control': 'max-age=600' },
      headers: {
        Date: 'Thu, 16 May 2019 06:55:53 GMT',
        Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com',
      },
    };
    const parts = computeSignatureParts(request, DOC, { start: 1557989753, end: 1557996953 });
    expect(parts.signKey).toBe('937914bf490e9e8c189836aad2052e4feeb35eaf');
    expect(parts.urlParamList).toBe('response-cache-control;response-content-type');
    expect(parts.headerList).toBe('date;host');
    expect(parts.stringToSign.split('\n')[2]).toBe('54ecfe22f59d3514fdc764b87a32d8133ea611e6');
    expect(parts.signature).toBe('01681b8c9d798a678e43b685a9f1bba0f6c0e012');

    const { Date: _d, ...hostOnly } = request.headers;
    expect(
      computeSignatureParts({ ...request, headers: hostOnly }, DOC, { start: 1557989753, end: 1557996953 })
        .signature,
    ).toBe('cf18ded2f669fcafa4b98e02c2a3fdb2b2e55c43');
  });

  it('(C) Go SDK unit test, full Authorization string', () => {
    const auth = cosAuthorization(
      {
        method: 'PUT',
        path: '/testfile2',
        query: {},
        headers: {
          Host: 'testbucket-125000000.cos.ap-guangzhou.myqcloud.com',
          'x-cos-content-sha1': 'db8ac1c259eb89d4a131b253bacfca5f319d54f2',
          'x-cos-stroage-class': 'nearline',
        },
      },
      { secretId: 'QmFzZTY0IGlzIGEgZ2VuZXJp', secretKey: 'AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM' },
      { start: 1480932292, end: 1481012292 },
    );
    expect(auth).toBe(
      'q-sign-algorithm=sha1&q-ak=QmFzZTY0IGlzIGEgZ2VuZXJp&q-sign-time=1480932292;1481012292&q-key-time=1480932292;1481012292&q-header-list=host;x-cos-content-sha1;x-cos-stroage-class&q-url-param-list=&q-signature=ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a',
    );
  });

  it('(D) older doc vectors', () => {
    const keyTime = { start: 1417773892, end: 1417853898 };
    const creds = { secretId: 'x', secretKey: 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz' };
    expect(
      computeSignatureParts(
        {
          method: 'GET',
          path: '/testfile',
          query: {},
          headers: { host: 'bucket1-1254000000.cos.ap-beijing.myqcloud.com', range: 'bytes=0-3' },
        },
        creds,
        keyTime,
      ).signature,
    ).toBe('4b6cbab14ce01381c29032423481ebffd514e8be');
    expect(
      computeSignatureParts(
        {
          method: 'PUT',
          path: '/testfile2',
          query: {},
          headers: {
            host: 'bucket1-1254000000.cos.ap-beijing.myqcloud.com',
            'x-cos-content-sha1': '7b502c3a1f48c8609ae212cdfb639dee39673f5e',
            'x-cos-storage-class': 'standard',
          },
        },
        creds,
        keyTime,
      ).signature,
    ).toBe('14e6ebd7955b0c6da532151bf97045e2c5a64e10');
  });

  it('encodes the wire query exactly as signed: %20 for spaces, never +', () => {
    expect(cosUrlEncode("a b+c/d;e!'()*~")).toBe('a%20b%2Bc%2Fd%3Be%21%27%28%29%2A~');
    expect(encodeQuery({ requestedJobStatus: 'Cancelled', statusUpdateReason: 'to test' })).toBe(
      '?requestedJobStatus=Cancelled&statusUpdateReason=to%20test',
    );
    expect(encodeQuery({})).toBe('');
    expect(encodePath('/exampleobject(腾讯云)')).toBe('/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29');
  });

  it('lowercases query keys in the signature only', () => {
    const parts = computeSignatureParts(
      { method: 'GET', path: '/jobs', query: { maxResults: '2' }, headers: { host: 'h' } },
      DOC,
      { start: 1, end: 2 },
    );
    expect(parts.urlParamList).toBe('maxresults');
    expect(parts.httpString).toBe('get\n/jobs\nmaxresults=2\nhost=h\n');
  });

  it('parses an Authorization value back into its parts and rejects malformed ones', () => {
    const auth = cosAuthorization(
      { method: 'GET', path: '/jobs', query: { a: '1' }, headers: { host: 'h', 'x-cos-appid': '1' } },
      DOC,
      { start: 10, end: 20 },
    );
    const parsed = parseAuthorization(auth);
    expect(parsed).toMatchObject({
      algorithm: 'sha1',
      secretId: DOC.secretId,
      keyTime: { start: 10, end: 20 },
      headerList: ['host', 'x-cos-appid'],
      urlParamList: ['a'],
    });
    expect(parseAuthorization('garbage')).toBeUndefined();
    expect(parseAuthorization(auth.replace('q-key-time=10;20', 'q-key-time=x'))).toBeUndefined();
  });
});
