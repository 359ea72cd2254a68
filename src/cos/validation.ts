/**
 * Input checks run before any request is signed or sent, so a bad value never reaches COS (or changes
 * the request path) and the person gets an error naming the field and the fix.
 */
import { CosValidationError } from './errors.js';
import { isKnownJobStatus, JOB_STATUSES, type KnownJobStatus, type RequestedJobStatus } from './model.js';
import { isValidRegion } from './region.js';

export const MAX_JOB_ID_BYTES = 64;
export const MAX_STATUS_UPDATE_REASON_BYTES = 256;
export const MAX_PRIORITY = 2_147_483_647;
export const MAX_LIST_RESULTS = 1000;
export const MAX_NEXT_TOKEN_BYTES = 64;

// Starting with a letter or digit and allowing only - and _ keeps `.`/`..`, `/` and `%` out of the path.
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function shown(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The one JobId rule: 1–64 bytes, letters, digits, - and _, starting with a letter or digit. */
export function isValidJobId(jobId: string): boolean {
  return utf8Length(jobId) <= MAX_JOB_ID_BYTES && JOB_ID_PATTERN.test(jobId);
}

export function validateJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || jobId === '') {
    throw new CosValidationError('jobId', 'The job id is empty: pass the JobId exactly as COS lists it.');
  }
  if (!isValidJobId(jobId)) {
    throw new CosValidationError(
      'jobId',
      `The job id ${shown(jobId)} is not valid: a COS JobId has at most ${MAX_JOB_ID_BYTES} characters, letters, digits, - and _ only (e.g. 53dc6228-c50b-46f7-8ad7-65e7159f1aae).`,
    );
  }
  return jobId;
}

/** Accepts undefined (no reason); rejects reasons COS would refuse instead of silently cutting them. */
export function validateStatusUpdateReason(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string') {
    throw new CosValidationError('statusUpdateReason', `The reason must be text, not ${typeof reason}.`);
  }
  if (LONE_SURROGATE.test(reason)) {
    throw new CosValidationError(
      'statusUpdateReason',
      'The reason contains a broken character (an unpaired UTF-16 surrogate); retype it.',
    );
  }
  const bytes = utf8Length(reason);
  if (bytes > MAX_STATUS_UPDATE_REASON_BYTES) {
    throw new CosValidationError(
      'statusUpdateReason',
      `The reason is ${bytes} bytes of UTF-8; COS accepts at most ${MAX_STATUS_UPDATE_REASON_BYTES} (CJK characters take 3 bytes, emoji 4). Shorten it, e.g. with truncateUtf8.`,
    );
  }
  return reason;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character: surrogate pairs, combining
 * marks and emoji sequences (ZWJ families, flags, skin tones) stay whole or go whole. When text is cut,
 * `marker` (e.g. '…') is appended within the budget.
 */
export function truncateUtf8(text: string, maxBytes: number, marker = ''): string {
  if (!Number.isInteger(maxBytes) || maxBytes < 0) {
    throw new CosValidationError('maxBytes', 'maxBytes must be a whole number of bytes, 0 or more.');
  }
  if (utf8Length(text) <= maxBytes) return text;
  const markerBytes = utf8Length(marker);
  const budget = markerBytes <= maxBytes ? maxBytes - markerBytes : maxBytes;
  let used = 0;
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Length(segment);
    if (used + size > budget) break;
    used += size;
    out += segment;
  }
  // A lone surrogate at the cut would be encoded as U+FFFD; drop it rather than corrupt the text.
  out = out.replace(/[\uD800-\uDBFF]$/, '');
  return markerBytes <= maxBytes ? out + marker : out;
}

export function validatePriority(priority: unknown): number {
  if (
    typeof priority !== 'number' ||
    !Number.isInteger(priority) ||
    priority < 0 ||
    priority > MAX_PRIORITY
  ) {
    throw new CosValidationError(
      'priority',
      `The priority ${String(priority)} is not valid: use a whole number from 0 to ${MAX_PRIORITY}.`,
    );
  }
  return priority;
}

export function validateRegion(region: unknown): string {
  if (typeof region !== 'string' || !isValidRegion(region)) {
    throw new CosValidationError(
      'region',
      `The region ${shown(region)} is not a COS region name: use one such as ap-guangzhou or ap-shanghai.`,
    );
  }
  return region;
}

export function validateMaxResults(maxResults: unknown): number {
  if (
    typeof maxResults !== 'number' ||
    !Number.isInteger(maxResults) ||
    maxResults < 1 ||
    maxResults > MAX_LIST_RESULTS
  ) {
    throw new CosValidationError(
      'maxResults',
      `The page size ${String(maxResults)} is not valid: use a whole number from 1 to ${MAX_LIST_RESULTS}.`,
    );
  }
  return maxResults;
}

export function validateNextToken(token: unknown): string {
  if (
    typeof token !== 'string' ||
    token === '' ||
    utf8Length(token) > MAX_NEXT_TOKEN_BYTES ||
    CONTROL_CHARACTER.test(token)
  ) {
    throw new CosValidationError(
      'nextToken',
      `The page token ${shown(token)} is not valid: pass the NextToken exactly as the previous ListJobs page returned it (1 to ${MAX_NEXT_TOKEN_BYTES} bytes).`,
    );
  }
  return token;
}

export function validateRequestedJobStatus(status: unknown): RequestedJobStatus {
  if (status !== 'Ready' && status !== 'Cancelled') {
    throw new CosValidationError(
      'requestedJobStatus',
      `The requested status ${shown(status)} is not valid: use Ready (approve) or Cancelled (cancel).`,
    );
  }
  return status;
}

export function validateJobStatusFilter(status: unknown): KnownJobStatus {
  if (typeof status !== 'string' || !isKnownJobStatus(status)) {
    throw new CosValidationError(
      'status',
      `The status ${shown(status)} is not a COS job status: use one of ${JOB_STATUSES.join(', ')}.`,
    );
  }
  return status;
}
