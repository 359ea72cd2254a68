/**
 * Every Redis key cosjob uses, in one place.
 *
 * Layout (prefix `cosjob` shown). `<job>` names one job: `<region>:<jobId>` for the account named
 * `default`, `<account>:<region>:<jobId>` for any other account. The default account keeps the text
 * versions before several accounts wrote, so an upgrade keeps its data; the two forms cannot be confused
 * because no account, region or JobId contains `:`.
 *
 *   {cosjob:audit}:log                         stream  global audit chain
 *   {cosjob:audit}:head                        hash    global head: seq, hash, streamId, timeMs
 *   {cosjob:audit}:job:<job>                   stream  one job's audit chain
 *   {cosjob:audit}:jobhead:<job>               hash    that job's head: seq, hash, streamId
 *   {cosjob:audit}:ids                         hash    entryId → stream id (makes appends idempotent)
 *   {cosjob:job:<job>}:<name>                  engine  claim, votes, record, decision…
 *   cosjob:<name>[:<part>]                     plain   leader leases, seen sets, …
 *   cosjob:tracked                             set     JobRef key text (`[<account>|]<region>|<jobId>`)
 *   cosjob:limit:<bucket>:<userId>:<window>    hash    one user's attempts in one rate-limit window
 *   cosjob:limit:pending                       set     windows whose excess is still to be audited
 *   cosjob:told                                set     configuration warnings the channel was told
 *
 * Why the braces: on Redis Cluster a script may only touch keys in one hash slot, and the slot is
 * computed from the text between the first `{` and the next `}`. The audit append script writes the
 * global stream, a job stream and both heads together, so every audit key carries the same tag; the
 * engine's per-job keys share a per-job tag. Plain keys are never used together in one script.
 *
 * ACL patterns must match the literal key text, braces included: `~{cosjob:audit}:*`, not `~cosjob:audit*`
 * (see acl.ts).
 *
 * Adding a key is one line: a method that calls `auditKey`, `jobKey` or `plainKey`.
 */

import { isValidRegion } from '../cos/region.js';
import { isValidJobId } from '../cos/validation.js';
import { DEFAULT_ACCOUNT_NAME, isValidAccountName, type JobRef } from '../jobs/job-ref.js';

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export class InvalidKeyPartError extends Error {
  constructor(what: string, expected: string) {
    super(`cannot build a Redis key: ${what} must be ${expected}`);
    this.name = 'InvalidKeyPartError';
  }
}

function checked(value: string, valid: boolean, what: string, expected: string): string {
  if (!valid) throw new InvalidKeyPartError(what, expected);
  return value;
}

// Accounts, regions and JobIds follow the same rules as everywhere else in cosjob; no rule lets through a
// brace, a colon or a `|`, so a part can never break a hash tag or the key text around it.
function region(value: string): string {
  return checked(value, isValidRegion(value), 'the region', 'a COS region such as ap-guangzhou');
}

function jobId(value: string): string {
  return checked(
    value,
    isValidJobId(value),
    'the JobId',
    'a COS JobId: 1–64 letters, digits, - and _, starting with a letter or digit',
  );
}

function account(value: string): string {
  return checked(
    value,
    isValidAccountName(value),
    'the account',
    'an account name: 1–32 lowercase letters, digits, - and _, starting with a letter or digit',
  );
}

/** The `<job>` part of the per-job keys: `<region>:<jobId>` (default account) or `<account>:<region>:<jobId>`. */
export function jobKeyPart(ref: JobRef): string {
  const regionAndJob = `${region(ref.region)}:${jobId(ref.jobId)}`;
  return ref.account === DEFAULT_ACCOUNT_NAME ? regionAndJob : `${account(ref.account)}:${regionAndJob}`;
}

/**
 * Reads a `<job>` part back (undefined when it is not one): two parts mean the default account. Only the
 * shape is read here; callers rebuild the key from the result and compare, which applies every rule.
 */
export function parseJobKeyPart(text: string): JobRef | undefined {
  const parts = text.split(':');
  if (parts.length === 2) return { account: DEFAULT_ACCOUNT_NAME, region: parts[0]!, jobId: parts[1]! };
  if (parts.length === 3) return { account: parts[0]!, region: parts[1]!, jobId: parts[2]! };
  return undefined;
}

function name(value: string): string {
  return checked(
    value,
    NAME_PATTERN.test(value),
    'the key name',
    '1–64 letters, digits, dots, dashes or underscores',
  );
}

export class KeySpace {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = checked(
      prefix,
      PREFIX_PATTERN.test(prefix),
      'the key prefix (REDIS_KEY_PREFIX)',
      '1–64 letters, digits or _ . : -',
    );
  }

  // ---- building blocks ----

  /** The hash tag shared by every audit key, e.g. `{cosjob:audit}`. */
  get auditTag(): string {
    return `{${this.prefix}:audit}`;
  }

  /**
   * The hash tag shared by one job's engine keys, e.g. `{cosjob:job:ap-guangzhou:<id>}` (default account)
   * or `{cosjob:job:prod:ap-guangzhou:<id>}`.
   */
  jobTag(ref: JobRef): string {
    return `{${this.prefix}:job:${jobKeyPart(ref)}}`;
  }

  private auditKey(...parts: string[]): string {
    return [this.auditTag, ...parts].join(':');
  }

  private jobKey(ref: JobRef, keyName: string): string {
    return `${this.jobTag(ref)}:${keyName}`;
  }

  private plainKey(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  // ---- audit trail (one hash tag) ----

  /** Stream: the global chain, every entry in one total order. */
  auditLog(): string {
    return this.auditKey('log');
  }
  /** Hash: the global head (seq, hash, streamId, timeMs), written with every append. */
  auditHead(): string {
    return this.auditKey('head');
  }
  /** Stream: one job's chain; its entries carry the same stream ids as in the global stream. */
  auditJobStream(ref: JobRef): string {
    return this.auditKey('job', jobKeyPart(ref));
  }
  /** Hash: one job's head (seq, hash, streamId). */
  auditJobHead(ref: JobRef): string {
    return this.auditKey('jobhead', jobKeyPart(ref));
  }
  /** Hash: entryId → global stream id, so a retried append finds the entry it already wrote. */
  auditEntryIds(): string {
    return this.auditKey('ids');
  }

  // ---- approval engine, per job (one hash tag per job) ----

  jobClaim(ref: JobRef): string {
    return this.jobKey(ref, 'claim');
  }
  jobVotes(ref: JobRef): string {
    return this.jobKey(ref, 'votes');
  }
  jobRecord(ref: JobRef): string {
    return this.jobKey(ref, 'record');
  }
  jobDecision(ref: JobRef): string {
    return this.jobKey(ref, 'decision');
  }
  /** String with expiry: the replica posting the job's card, so two replicas never both post it. */
  jobCardLock(ref: JobRef): string {
    return this.jobKey(ref, 'cardlock');
  }

  // ---- plain keys ----

  /** String with expiry: the lease of the instance that runs `<name>` (e.g. the COS poller). */
  leader(leaseName: string): string {
    return this.plainKey('leader', name(leaseName));
  }
  /** Hash: intent id → an act whose result is not recorded yet (the reconciler settles these). */
  intents(): string {
    return this.plainKey('intents');
  }
  /** String with expiry: a cancel dialog cosjob opened (view id), who for and which job. */
  dialog(viewId: string): string {
    return this.plainKey('dialog', name(viewId));
  }
  /** Set: JobRef key text (`[account|]region|jobId`) of jobs cosjob announced and follows until they finish. */
  tracked(): string {
    return this.plainKey('tracked');
  }
  /**
   * String: a token replaced after every write to any job record, so a reader holding records read under
   * the same token knows none has been written since (JobRecords.getMany).
   */
  jobRecordsVersion(): string {
    return this.plainKey('records-version');
  }

  /**
   * Hash with expiry: how many `bucket` attempts (refusals, COS lookups) one user made in one window, and
   * where the first one over the limit was aimed.
   */
  userWindow(bucket: string, userId: string, window: number): string {
    return this.plainKey('limit', name(bucket), name(userId), String(Math.trunc(window)));
  }
  /** Set: `bucket|userId|window` of windows with refusals counted but not yet audited as one entry. */
  limitPending(): string {
    return this.plainKey('limit', 'pending');
  }
  /** Set: fingerprints of the configuration warnings already told in the approval channel. */
  toldWarnings(): string {
    return this.plainKey('told');
  }

  // ---- patterns ----

  /**
   * Glob patterns covering every key above, for ACL rules and for SCAN in tests. Brace characters are
   * literal in Redis globs, so `{cosjob:audit}:*` matches exactly the audit keys.
   */
  patterns(): { audit: string; jobs: string; plain: string } {
    return {
      audit: `${this.auditTag}:*`,
      jobs: `{${this.prefix}:job:*`,
      plain: `${this.prefix}:*`,
    };
  }
}

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next `}` when it is
 * non-empty, otherwise the whole key. Keys with the same hash-tag text always share a slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
