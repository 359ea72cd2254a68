/**
 * Which job: a Tencent Cloud account (by its cosjob name), a COS region and a JobId, and the key text that
 * names one job in the tracked-jobs set in Redis, in the card queue and in Slack button values.
 *
 * Key text: `region|jobId` for the account named `default` (exactly what versions before several accounts
 * wrote, so their members still parse and mean that account), `account|region|jobId` for any other. It is
 * unambiguous because neither an account name, a region nor a JobId can contain `|`.
 */
import { isValidRegion } from '../cos/region.js';
import { isValidJobId, MAX_JOB_ID_BYTES, utf8Length } from '../cos/validation.js';

/** The account that environment-only configuration means, and that keys without an account name mean. */
export const DEFAULT_ACCOUNT_NAME = 'default';
/**
 * Account names go into JobRefs, Redis keys and Slack button values: short and plain (no `|`, `:` or
 * braces, which separate key parts and mark Redis Cluster hash tags).
 */
export const ACCOUNT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface JobRef {
  account: string;
  region: string;
  jobId: string;
}

const SEPARATOR = '|';
/** The longest account name the pattern allows. */
const MAX_ACCOUNT_LENGTH = 32;
/** The longest region the region rule allows. */
const MAX_REGION_LENGTH = 40;
/** Longest legal account + region + JobId with their separators; anything longer is not a job key. */
export const MAX_JOB_REF_KEY_LENGTH =
  MAX_ACCOUNT_LENGTH + SEPARATOR.length + MAX_REGION_LENGTH + SEPARATOR.length + MAX_JOB_ID_BYTES;

/** What a value is, for a message about it ("a number", "nothing", "a list"). */
export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Why a JobId is not acceptable, or undefined when it is. */
export function jobIdProblem(jobId: unknown): string | undefined {
  if (typeof jobId !== 'string') return `the JobId must be text, not ${describeType(jobId)}`;
  if (jobId.length === 0) return 'the JobId is empty';
  if (utf8Length(jobId) > MAX_JOB_ID_BYTES) return `the JobId is longer than ${MAX_JOB_ID_BYTES} bytes`;
  if (!isValidJobId(jobId)) {
    return 'the JobId may contain only letters, digits, "-" and "_", and must start with a letter or digit';
  }
  return undefined;
}

/** Why a region is not acceptable, or undefined when it is. */
export function regionProblem(region: unknown): string | undefined {
  if (typeof region !== 'string') return `the region must be text, not ${describeType(region)}`;
  if (!isValidRegion(region))
    return 'the region must look like "ap-guangzhou" (lowercase letters, digits, "-")';
  return undefined;
}

/** Whether a text is a usable account name. */
export function isValidAccountName(name: unknown): name is string {
  return typeof name === 'string' && ACCOUNT_NAME_PATTERN.test(name);
}

/** Why an account name is not acceptable, or undefined when it is. */
export function accountProblem(account: unknown): string | undefined {
  if (typeof account !== 'string') return `the account must be text, not ${describeType(account)}`;
  if (!isValidAccountName(account)) {
    return 'the account name must be lowercase letters, digits, "-" and "_" (at most 32, starting with a letter or digit)';
  }
  return undefined;
}

/** Why a reference is not acceptable (the account, then the region, then the JobId), or undefined. */
export function jobRefProblem(ref: {
  account: unknown;
  region: unknown;
  jobId: unknown;
}): string | undefined {
  return accountProblem(ref.account) ?? regionProblem(ref.region) ?? jobIdProblem(ref.jobId);
}

/**
 * The key text of a job: `region|jobId` for the default account, `account|region|jobId` for another. It
 * does not validate: every part is checked where it enters cosjob (configuration, COS listings, Slack
 * values, the CLI), and a key is also built from records read back from Redis, where one odd record must
 * not stop the others from being followed. Whatever does not meet the rules is refused again when the key
 * is parsed.
 */
export function jobRefKey(ref: JobRef): string {
  const regionAndJob = `${ref.region}${SEPARATOR}${ref.jobId}`;
  return ref.account === DEFAULT_ACCOUNT_NAME ? regionAndJob : `${ref.account}${SEPARATOR}${regionAndJob}`;
}

/** How a job is named to people: `prod/ap-guangzhou/<JobId>`, or `ap-guangzhou/<JobId>` for the default account. */
export function jobRefLabel(ref: JobRef): string {
  const regionAndJob = `${ref.region}/${ref.jobId}`;
  return ref.account === DEFAULT_ACCOUNT_NAME ? regionAndJob : `${ref.account}/${regionAndJob}`;
}

/** `ref` is absent on failure, so `const { ref } = parseJobRefKey(text)` reads as "the job, if any". */
export type ParsedJobRefKey = { ok: true; ref: JobRef } | { ok: false; ref?: undefined; problem: string };

/**
 * Reads a key text back, accepting only an account, a region and a JobId that meet the rules; a key
 * without an account names the default account. The problem reads after "… is not a job reference: ",
 * e.g. 'it is not of the form "[<account>|]<region>|<JobId>"'.
 */
export function parseJobRefKey(text: unknown): ParsedJobRefKey {
  if (typeof text !== 'string') return { ok: false, problem: `it must be text, not ${describeType(text)}` };
  if (text.length > MAX_JOB_REF_KEY_LENGTH) {
    return {
      ok: false,
      problem: `it is ${text.length} characters long; a job reference is at most ${MAX_JOB_REF_KEY_LENGTH}`,
    };
  }
  const parts = text.split(SEPARATOR);
  if (parts.length !== 2 && parts.length !== 3) {
    return { ok: false, problem: 'it is not of the form "[<account>|]<region>|<JobId>"' };
  }
  const [account, region, jobId] =
    parts.length === 2
      ? [DEFAULT_ACCOUNT_NAME, ...(parts as [string, string])]
      : (parts as [string, string, string]);
  const problem = jobRefProblem({ account, region, jobId });
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, ref: { account, region, jobId } };
}

/** One (account, region) pair: what the watcher polls and what a COS client serves. */
export interface AccountRegion {
  account: string;
  region: string;
}

/** `prod/ap-guangzhou`, or `ap-guangzhou` for the default account: how a poll target is named to people. */
export function accountRegionLabel(at: AccountRegion): string {
  return at.account === DEFAULT_ACCOUNT_NAME ? at.region : `${at.account}/${at.region}`;
}

/** `account|region`: an (account, region) pair as a map key. */
export function accountRegionKey(at: AccountRegion): string {
  return `${at.account}${SEPARATOR}${at.region}`;
}

/**
 * A job inside a deterministic audit entryId (`posted:<job>`, `finished:<job>`…): `<region>:<jobId>` for
 * the default account, exactly what earlier versions wrote (so an entry written before an upgrade is not
 * appended again), `<account>:<region>:<jobId>` for another.
 */
export function entryIdPart(ref: JobRef): string {
  const regionAndJob = `${ref.region}:${ref.jobId}`;
  return ref.account === DEFAULT_ACCOUNT_NAME ? regionAndJob : `${ref.account}:${regionAndJob}`;
}
