/**
 * Every Redis key cosjob uses, in one place.
 *
 * Layout (prefix `cosjob` shown):
 *
 *   {cosjob:audit}:log                         stream  global audit chain
 *   {cosjob:audit}:head                        hash    global head: seq, hash, streamId, timeMs
 *   {cosjob:audit}:job:<region>:<jobId>        stream  one job's audit chain
 *   {cosjob:audit}:jobhead:<region>:<jobId>    hash    that job's head: seq, hash, streamId
 *   {cosjob:audit}:ids                         hash    entryId → stream id (makes appends idempotent)
 *   {cosjob:job:<region>:<jobId>}:<name>       engine  claim, votes, record, decision…
 *   cosjob:<name>[:<part>]                     plain   leader leases, seen sets, …
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

// Regions and JobIds follow the same rules as everywhere else in cosjob; neither rule lets through a
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

  /** The hash tag shared by one job's engine keys, e.g. `{cosjob:job:ap-guangzhou:<id>}`. */
  jobTag(jobRegion: string, id: string): string {
    return `{${this.prefix}:job:${region(jobRegion)}:${jobId(id)}}`;
  }

  private auditKey(...parts: string[]): string {
    return [this.auditTag, ...parts].join(':');
  }

  private jobKey(jobRegion: string, id: string, keyName: string): string {
    return `${this.jobTag(jobRegion, id)}:${keyName}`;
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
  auditJobStream(jobRegion: string, id: string): string {
    return this.auditKey('job', region(jobRegion), jobId(id));
  }
  /** Hash: one job's head (seq, hash, streamId). */
  auditJobHead(jobRegion: string, id: string): string {
    return this.auditKey('jobhead', region(jobRegion), jobId(id));
  }
  /** Hash: entryId → global stream id, so a retried append finds the entry it already wrote. */
  auditEntryIds(): string {
    return this.auditKey('ids');
  }

  // ---- approval engine, per job (one hash tag per job) ----

  jobClaim(jobRegion: string, id: string): string {
    return this.jobKey(jobRegion, id, 'claim');
  }
  jobVotes(jobRegion: string, id: string): string {
    return this.jobKey(jobRegion, id, 'votes');
  }
  jobRecord(jobRegion: string, id: string): string {
    return this.jobKey(jobRegion, id, 'record');
  }
  jobDecision(jobRegion: string, id: string): string {
    return this.jobKey(jobRegion, id, 'decision');
  }
  /** String with expiry: the replica posting the job's card, so two replicas never both post it. */
  jobCardLock(jobRegion: string, id: string): string {
    return this.jobKey(jobRegion, id, 'cardlock');
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
  /** Set: `region|jobId` of jobs cosjob announced and follows until they finish. */
  tracked(): string {
    return this.plainKey('tracked');
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
