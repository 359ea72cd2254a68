import { describe, expect, it } from 'vitest';
import {
  CosError,
  CosValidationError,
  DOCUMENTED_COS_ERROR_CODES,
  explainCosError,
  isRetryableFailure,
  sanitizeServerText,
} from '../../src/cos/errors.js';
import { registerSecret } from '../../src/logger.js';

describe('CosError', () => {
  it('carries every field and a summary line', () => {
    const error = new CosError({
      code: 'NoSuchJob',
      message: 'The specified job does not exist',
      api: 'DescribeJob',
      httpStatus: 404,
      requestId: 'NjQ1',
      traceId: 'trace',
      resource: '/jobs/x',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CosError);
    expect(error.name).toBe('CosError');
    expect(error).toMatchObject({
      code: 'NoSuchJob',
      api: 'DescribeJob',
      httpStatus: 404,
      requestId: 'NjQ1',
      traceId: 'trace',
      resource: '/jobs/x',
      retryable: false,
      mayHaveReachedServer: true,
    });
    expect(error.summary).toBe(
      'NoSuchJob (DescribeJob, HTTP 404, request id NjQ1): The specified job does not exist',
    );
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'NoSuchJob', requestId: 'NjQ1' });
  });

  it('has a specific explanation for every documented code', () => {
    const generic = explainCosError('SomethingNew', '', undefined);
    for (const code of DOCUMENTED_COS_ERROR_CODES) {
      const explanation = explainCosError(code, '', 'ListJobs', 400);
      expect(explanation, code).not.toBe(generic);
      expect(explanation.length, code).toBeGreaterThan(40);
    }
    for (const code of ['NetworkError', 'Timeout', 'InvalidResponse', 'TooManyPages']) {
      expect(explainCosError(code, '', 'ListJobs'), code).not.toBe(generic);
    }
  });

  it('explains both meanings of InvalidRequest and the expired-request form of AccessDenied', () => {
    const transition = new CosError({
      code: 'InvalidRequest',
      message: '任务状态变更错误',
      api: 'UpdateJobStatus',
      httpStatus: 400,
    });
    expect(transition.explanation).toMatch(/current state/);
    const duplicate = new CosError({
      code: 'InvalidRequest',
      message: 'duplicate',
      api: 'CreateJob',
      httpStatus: 400,
    });
    expect(duplicate.explanation).toMatch(/ClientRequestToken/);
    const expired = new CosError({ code: 'AccessDenied', message: 'Request has expired', httpStatus: 403 });
    expect(expired.explanation).toMatch(/clock/);
    expect(expired.isClockSkew).toBe(true);
    const denied = new CosError({ code: 'AccessDenied', message: 'Access Denied.', httpStatus: 403 });
    expect(denied.explanation).toMatch(/cos:ListJobs/);
    expect(denied.isClockSkew).toBe(false);
    expect(new CosError({ code: 'RequestTimeTooSkewed', message: '', httpStatus: 403 }).isClockSkew).toBe(
      true,
    );
    expect(
      new CosError({ code: 'InvalidArgument', message: 'x-cos-appid 不能为空', httpStatus: 400 }).explanation,
    ).toMatch(/COS_APPID/);
  });

  it('decides retryability from code and status', () => {
    expect(isRetryableFailure('InternalError', 500)).toBe(true);
    expect(isRetryableFailure('ServiceUnavailable', 503)).toBe(true);
    expect(isRetryableFailure('SlowDown', 503)).toBe(true);
    expect(isRetryableFailure('NetworkError', undefined)).toBe(true);
    expect(isRetryableFailure('Timeout', undefined)).toBe(true);
    expect(isRetryableFailure('TooManyJobs', 500)).toBe(false);
    expect(isRetryableFailure('InvalidResponse', 502)).toBe(true);
    expect(isRetryableFailure('InvalidResponse', 200)).toBe(true);
    expect(isRetryableFailure('InvalidResponse', 404)).toBe(false);
    for (const code of [
      'NoSuchJob',
      'InvalidArgument',
      'InvalidRequest',
      'AccessDenied',
      'SignatureDoesNotMatch',
    ]) {
      expect(isRetryableFailure(code, 400), code).toBe(false);
    }
    expect(isRetryableFailure('BrandNew5xx', 504)).toBe(true);
    expect(
      new CosError({ code: 'InternalError', message: 'x', httpStatus: 500, retryable: false }).retryable,
    ).toBe(false);
  });

  it('never keeps a registered secret or signature material in its text', () => {
    const secretKey = 'errors-test-secret-key-7f3a9c';
    registerSecret(secretKey);
    const error = new CosError({
      code: 'SignatureDoesNotMatch',
      message: `expected key ${secretKey}; got Authorization q-sign-algorithm=sha1&q-ak=AKID&q-signature=aabbccddeeff00112233445566778899aabbccdd`,
      requestId: `id-${secretKey}`,
      httpStatus: 403,
    });
    const everything = `${error.message} ${error.summary} ${JSON.stringify(error)} ${error.explanation}`;
    expect(everything).not.toContain(secretKey);
    expect(everything).not.toContain('aabbccddeeff00112233445566778899aabbccdd');
  });

  it('strips control characters and bounds the length of server text', () => {
    expect(sanitizeServerText('a\u0000b\u001bc\n  d')).toBe('abc d');
    expect(sanitizeServerText('x'.repeat(1000)).length).toBeLessThanOrEqual(501);
  });

  it('gives an empty message a readable default', () => {
    expect(new CosError({ code: 'InternalError', message: '' }).message).toBe(
      'InternalError without a message',
    );
  });
});

describe('CosValidationError', () => {
  it('names the field and is distinguishable from CosError', () => {
    const error = new CosValidationError('jobId', 'The job id is empty.');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CosError);
    expect(error).toMatchObject({ name: 'CosValidationError', code: 'ValidationError', field: 'jobId' });
  });
});
