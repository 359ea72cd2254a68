/** 1. Request signing: the full COS q-sign computation against the one HMAC at its core. */
import { createHmac } from 'node:crypto';
import { cosControlHost } from '../../src/cos/client.js';
import { computeSignatureParts, cosAuthorization, type SignableRequest } from '../../src/cos/signing.js';
import { BENCH_ACCOUNT, BENCH_REGION } from '../fixtures.js';
import { measure } from '../harness.js';
import type { BenchParams } from '../params.js';
import { type BenchGroup, compare, formatRatio, row } from '../report.js';

/** What the client signs to approve a job: two query parameters (one free text) and two headers. */
export const SIGNED_REQUEST: SignableRequest = {
  method: 'POST',
  path: '/jobs/53bc7a2f-9b5e-4c1a-8f0e-0f6b1d2c3e4f/status',
  query: {
    requestedJobStatus: 'Ready',
    statusUpdateReason: 'approved by Alice (UALICE) via Slack: copy before the migration',
  },
  headers: { host: cosControlHost(BENCH_ACCOUNT.uin, BENCH_REGION), 'x-cos-appid': BENCH_ACCOUNT.appId },
};

export async function runSigningBench(params: BenchParams): Promise<BenchGroup> {
  const credentials = { secretId: BENCH_ACCOUNT.secretId, secretKey: BENCH_ACCOUNT.secretKey };
  const keyTime = { start: 1_767_225_600, end: 1_767_226_200 };
  const { signKey, stringToSign, signature } = computeSignatureParts(SIGNED_REQUEST, credentials, keyTime);
  // The baseline must compute the very signature the full path produces, or it measures something else.
  if (createHmac('sha1', signKey).update(stringToSign).digest('hex') !== signature) {
    throw new Error('the bare HMAC baseline does not reproduce the COS signature');
  }

  let sink = 0;
  const full = row(
    'signing.cosAuthorization',
    'cosAuthorization (UpdateJobStatus)',
    await measure(
      'cosAuthorization',
      () => {
        sink += cosAuthorization(SIGNED_REQUEST, credentials, keyTime).length;
      },
      params.micro,
    ),
  );
  const bare = row(
    'signing.hmacSha1',
    'bare HMAC-SHA1 of the string-to-sign',
    await measure(
      'hmac-sha1',
      () => {
        sink += createHmac('sha1', signKey).update(stringToSign).digest('hex').length;
      },
      params.micro,
    ),
  );
  if (sink === 0) throw new Error('the signing benchmark produced nothing');
  compare(
    full,
    bare,
    'rate',
    (r) =>
      `one signature costs ${formatRatio(1 / r)} one HMAC: the SHA-1 of the canonical request and the ` +
      'encode/sort canonicalisation are the overhead (the key-derivation HMAC is reused within one key time).',
  );
  return {
    id: 'signing',
    title: 'Request signing (src/cos/signing.ts)',
    rows: [full, bare],
    notes: [
      'Fixed key time, so every call signs the same bytes and reuses the signing key, as requests within the ' +
        'same second do; the client signs once per request attempt.',
    ],
  };
}
