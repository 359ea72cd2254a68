import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { computeSignatureParts, cosUrlEncode, parseAuthorization } from '../../src/cos/signing.js';
import { accessDenied, CosApiError, invalidArgument, REQUEST_EXPIRED_MESSAGE } from './errors.js';

/**
 * Request authentication as COS does it: account from Host + x-cos-appid, then the q-sign signature
 * recomputed over exactly what the client says it signed. The Host carries the UIN
 * (<uin>.cos-control.<region>.myqcloud.com), x-cos-appid the APPID; the SecretId (q-ak) must belong to that
 * same account, so one account's key never acts on another's jobs.
 */

export interface EmulatorAccount {
  uin: string;
  appId: string;
  secretId: string;
  secretKey: string;
}

export interface AuthenticatedRequest {
  account: EmulatorAccount;
  region: string;
}

/** A start time this far ahead of the emulator's clock is clock skew, not a short-lived key. */
export const MAX_FUTURE_SKEW_SECONDS = 15 * 60;

const CONTROL_HOST =
  /^(\d{1,20})\.cos-control\.([a-z0-9-]{1,40})\.(?:myqcloud\.com|tencentcos\.cn)(?::\d{1,5})?$/i;

export interface HostInfo {
  uin: string;
  region: string;
}

export function parseControlHost(host: string | undefined): HostInfo | undefined {
  if (host === undefined) return undefined;
  const match = CONTROL_HOST.exec(host);
  if (!match) return undefined;
  return { uin: match[1]!, region: match[2]!.toLowerCase() };
}

export class AccountDirectory {
  private readonly byUin = new Map<string, EmulatorAccount>();
  private readonly byAppId = new Map<string, EmulatorAccount>();
  private readonly bySecretId = new Map<string, EmulatorAccount>();

  constructor(accounts: readonly EmulatorAccount[]) {
    if (accounts.length === 0) throw new Error('the emulator needs at least one account');
    for (const account of accounts) {
      for (const [label, value] of Object.entries(account)) {
        if (typeof value !== 'string' || value === '') {
          throw new Error(`emulator account ${label} must be a non-empty string`);
        }
      }
      if (this.byUin.has(account.uin)) throw new Error(`two emulator accounts share UIN ${account.uin}`);
      if (this.bySecretId.has(account.secretId)) throw new Error('two emulator accounts share a SecretId');
      this.byUin.set(account.uin, account);
      this.byAppId.set(account.appId, account);
      this.bySecretId.set(account.secretId, account);
    }
  }

  /** Key rotation: from now on only `secretKey` signs for this SecretId (the old key gets SignatureDoesNotMatch). */
  replaceSecretKey(secretId: string, secretKey: string): void {
    const account = this.bySecretId.get(secretId);
    if (!account) throw new Error('no emulator account has that SecretId');
    const next = { ...account, secretKey };
    this.byUin.set(next.uin, next);
    this.byAppId.set(next.appId, next);
    this.bySecretId.set(next.secretId, next);
  }

  get first(): EmulatorAccount {
    return this.byUin.values().next().value as EmulatorAccount;
  }

  uin(uin: string): EmulatorAccount | undefined {
    return this.byUin.get(uin);
  }

  appId(appId: string): EmulatorAccount | undefined {
    return this.byAppId.get(appId);
  }

  secretId(secretId: string): EmulatorAccount | undefined {
    return this.bySecretId.get(secretId);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AuthInput {
  method: string;
  /** Decoded path, as signed. */
  path: string;
  query: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
  /** Emulator clock, Unix seconds. */
  nowSeconds: number;
  defaultRegion: string;
}

/** Resolves account and region from Host / x-cos-appid (no signature check yet). */
export function resolveAccount(
  directory: AccountDirectory,
  headers: IncomingHttpHeaders,
  defaultRegion: string,
): AuthenticatedRequest {
  const appId = headerValue(headers, 'x-cos-appid');
  if (appId === undefined || appId === '') {
    throw invalidArgument(
      'x-cos-appid must not be empty (x-cos-appid 不能为空): send the APPID, e.g. 1250000000',
    );
  }
  const host = parseControlHost(headerValue(headers, 'host'));
  if (host !== undefined) {
    const account = directory.uin(host.uin);
    if (account === undefined) {
      throw accessDenied(`UIN ${host.uin} in the Host header is not an account this endpoint knows`);
    }
    if (account.appId !== appId) {
      throw accessDenied(
        `x-cos-appid ${appId} does not belong to UIN ${host.uin} (the Host carries the UIN)`,
      );
    }
    return { account, region: host.region };
  }
  const account = directory.appId(appId);
  if (account === undefined) throw accessDenied(`x-cos-appid ${appId} is not an account this endpoint knows`);
  return { account, region: defaultRegion };
}

/** Verifies the q-sign Authorization header; throws the COS error a real endpoint would answer. */
export function verifySignature(
  directory: AccountDirectory,
  account: EmulatorAccount,
  input: AuthInput,
): void {
  const header = headerValue(input.headers, 'authorization');
  if (header === undefined || header === '') {
    throw accessDenied(
      'the Authorization header is missing: sign the request (q-sign-algorithm=sha1&q-ak=...)',
    );
  }
  const auth = parseAuthorization(header);
  if (auth === undefined || auth.algorithm !== 'sha1') {
    throw accessDenied(
      'the Authorization header is malformed: expected q-sign-algorithm=sha1&q-ak=&q-sign-time=&q-key-time=&q-header-list=&q-url-param-list=&q-signature=',
    );
  }
  const owner = directory.secretId(auth.secretId);
  if (owner === undefined) {
    throw new CosApiError(
      403,
      'InvalidAccessKeyId',
      'the SecretId (q-ak) does not exist; check COS_SECRET_ID',
    );
  }
  if (owner !== account) {
    throw accessDenied('the SecretId (q-ak) belongs to another account than x-cos-appid / Host');
  }
  const { start, end } = auth.keyTime;
  if (start > end) throw accessDenied('q-key-time starts after it ends');
  if (start > input.nowSeconds + MAX_FUTURE_SKEW_SECONDS) {
    throw new CosApiError(
      403,
      'RequestTimeTooSkewed',
      "The difference between the request time and the server's time is too large; correct the clock from the Date header",
    );
  }
  // COS answers a key time that does not cover now with this exact text; clients key clock correction on it.
  if (input.nowSeconds < start || input.nowSeconds > end) throw accessDenied(REQUEST_EXPIRED_MESSAGE);

  const signedHeaders = new Set(auth.headerList);
  if (!signedHeaders.has('host'))
    throw accessDenied('the host header must be signed: add host to q-header-list');
  const signedParams = new Set(auth.urlParamList);
  for (const name of input.query.keys()) {
    if (!signedParams.has(cosUrlEncode(name).toLowerCase())) {
      throw accessDenied(
        `query parameter "${name}" is not signed: every query parameter must be in q-url-param-list`,
      );
    }
  }
  const sentParams = new Set([...input.query.keys()].map((name) => cosUrlEncode(name).toLowerCase()));
  for (const name of auth.urlParamList) {
    if (!sentParams.has(name)) {
      throw new CosApiError(
        403,
        'SignatureDoesNotMatch',
        `q-url-param-list names "${name}", but the request has no such query parameter`,
      );
    }
  }
  const headers: Record<string, string> = {};
  for (const name of auth.headerList) {
    const value = headerValue(input.headers, name.toLowerCase());
    if (value === undefined) {
      throw new CosApiError(
        403,
        'SignatureDoesNotMatch',
        `q-header-list names "${name}", but the request has no such header`,
      );
    }
    headers[name] = value;
  }
  const expected = computeSignatureParts(
    { method: input.method, path: input.path, query: Object.fromEntries(input.query), headers },
    { secretId: account.secretId, secretKey: account.secretKey },
    { start, end },
  );
  if (!sameText(expected.signature, auth.signature)) {
    throw new CosApiError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check the SecretKey and that the raw path, every query parameter and the listed headers are signed as sent.',
    );
  }
}
