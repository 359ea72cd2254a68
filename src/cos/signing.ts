import { createHmac, hash } from 'node:crypto';

/**
 * COS "q-sign" request signing (HMAC-SHA1), as specified by the COS Request Signature document.
 * Pure: the clock comes in as `keyTime`, so published vectors reproduce byte for byte.
 */

const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ (spaces become %20, never +). */
export function cosUrlEncode(value: string): string {
  // Most names and values (header names, hosts, digits, JobIds) need no escaping at all.
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface KeyTime {
  /** Unix seconds. */
  start: number;
  /** Unix seconds. */
  end: number;
}

export interface SigningCredentials {
  secretId: string;
  secretKey: string;
}

export interface SignableRequest {
  method: string;
  /** The raw, un-encoded path, e.g. `/jobs/<id>/status`. */
  path: string;
  query: Readonly<Record<string, string>>;
  /** Exactly the headers to sign, with the values sent on the wire. */
  headers: Readonly<Record<string, string>>;
}

interface Canonical {
  joined: string;
  keyList: string;
}

const NO_PAIRS: Canonical = { joined: '', keyList: '' };

function canonicalise(pairs: Readonly<Record<string, string>>): Canonical {
  // Most reads (DescribeJob) have no query at all.
  if (isEmpty(pairs)) return NO_PAIRS;
  const encoded = Object.entries(pairs)
    .map(([key, value]) => [cosUrlEncode(key).toLowerCase(), cosUrlEncode(value ?? '')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    joined: encoded.map(([k, v]) => `${k}=${v}`).join('&'),
    keyList: encoded.map(([k]) => k).join(';'),
  };
}

function isEmpty(pairs: Readonly<Record<string, string>>): boolean {
  for (const _key in pairs) return false;
  return true;
}

export interface SignatureParts {
  keyTime: string;
  signKey: string;
  httpString: string;
  stringToSign: string;
  signature: string;
  headerList: string;
  urlParamList: string;
}

/**
 * The SignKey is HMAC-SHA1(SecretKey, KeyTime) and depends on nothing else, so requests signed within the
 * same key time (the client's window moves once a second) share it: one HMAC saved per request. One entry
 * per credentials object, held beside it (a WeakMap), never in a table keyed by the secret.
 */
const signKeys = new WeakMap<SigningCredentials, { keyTime: string; secretKey: string; signKey: string }>();

function signKeyFor(credentials: SigningCredentials, keyTimeText: string): string {
  const cached = signKeys.get(credentials);
  // The secret is compared too: a caller may rotate it on the same object.
  if (cached?.keyTime === keyTimeText && cached.secretKey === credentials.secretKey) return cached.signKey;
  const signKey = createHmac('sha1', credentials.secretKey).update(keyTimeText).digest('hex');
  signKeys.set(credentials, { keyTime: keyTimeText, secretKey: credentials.secretKey, signKey });
  return signKey;
}

export function computeSignatureParts(
  request: SignableRequest,
  credentials: SigningCredentials,
  keyTime: KeyTime,
): SignatureParts {
  const keyTimeText = `${keyTime.start};${keyTime.end}`;
  const signKey = signKeyFor(credentials, keyTimeText);
  const query = canonicalise(request.query);
  const headers = canonicalise(request.headers);
  const httpString = `${request.method.toLowerCase()}\n${request.path}\n${query.joined}\n${headers.joined}\n`;
  const httpStringSha1 = hash('sha1', httpString, 'hex');
  const stringToSign = `sha1\n${keyTimeText}\n${httpStringSha1}\n`;
  const signature = createHmac('sha1', signKey).update(stringToSign).digest('hex');
  return {
    keyTime: keyTimeText,
    signKey,
    httpString,
    stringToSign,
    signature,
    headerList: headers.keyList,
    urlParamList: query.keyList,
  };
}

/** The value of the `Authorization` header for `request`. */
export function cosAuthorization(
  request: SignableRequest,
  credentials: SigningCredentials,
  keyTime: KeyTime,
): string {
  const parts = computeSignatureParts(request, credentials, keyTime);
  return (
    `q-sign-algorithm=sha1&q-ak=${credentials.secretId}` +
    `&q-sign-time=${parts.keyTime}&q-key-time=${parts.keyTime}` +
    `&q-header-list=${parts.headerList}&q-url-param-list=${parts.urlParamList}` +
    `&q-signature=${parts.signature}`
  );
}

/** The wire query string, encoded exactly as it is signed. Empty string when there is no query. */
export function encodeQuery(query: Readonly<Record<string, string>>): string {
  if (isEmpty(query)) return '';
  const entries = Object.entries(query);
  return `?${entries.map(([k, v]) => `${cosUrlEncode(k)}=${cosUrlEncode(v)}`).join('&')}`;
}

const UNRESERVED_PATH = /^[A-Za-z0-9\-_.~/]*$/;

/** The wire path: each segment percent-encoded, slashes kept. */
export function encodePath(path: string): string {
  if (UNRESERVED_PATH.test(path)) return path;
  return path
    .split('/')
    .map((segment) => cosUrlEncode(segment))
    .join('/');
}

export interface ParsedAuthorization {
  algorithm: string;
  secretId: string;
  signTime: string;
  keyTime: KeyTime;
  headerList: string[];
  urlParamList: string[];
  signature: string;
}

/** Parses an `Authorization` value; returns undefined when any required field is missing or malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const fields = new Map<string, string>();
  for (const part of value.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const algorithm = fields.get('q-sign-algorithm');
  const secretId = fields.get('q-ak');
  const signTime = fields.get('q-sign-time');
  const keyTimeText = fields.get('q-key-time');
  const headerList = fields.get('q-header-list');
  const urlParamList = fields.get('q-url-param-list');
  const signature = fields.get('q-signature');
  if (
    algorithm === undefined ||
    secretId === undefined ||
    signTime === undefined ||
    keyTimeText === undefined ||
    headerList === undefined ||
    urlParamList === undefined ||
    signature === undefined
  ) {
    return undefined;
  }
  const match = /^(\d{1,12});(\d{1,12})$/.exec(keyTimeText);
  if (!match) return undefined;
  const splitList = (s: string) => (s === '' ? [] : s.split(';'));
  return {
    algorithm,
    secretId,
    signTime,
    keyTime: { start: Number(match[1]), end: Number(match[2]) },
    headerList: splitList(headerList),
    urlParamList: splitList(urlParamList),
    signature,
  };
}
