/**
 * Audit entries as Redis stream fields, both ways, and validation of what callers append.
 *
 * Stream fields, in write order: v, entryId, time, actorId, actorName, action, account (only for an
 * account other than `default`), region, jobId, then the optional reason, outcome, cosStatus,
 * cosRequestId, cosErrorCode, source, intentId, rule, ruleHash when present, then seq, jobSeq, prevHash,
 * jobPrevHash, hash. See hash.ts for what the hash covers.
 *
 * The account is left out for `default`: entries written before several accounts have no account field
 * and read as the default account, and their hashes (over the stored fields) still verify; an entry of
 * the default account written now is encoded exactly as before. Entries written before rules existed
 * have no rule or ruleHash; the hash covers the fields an entry has, so they verify as they are.
 */
import { randomUUID } from 'node:crypto';
import { isValidRegion } from '../cos/region.js';
import { isValidJobId } from '../cos/validation.js';
import { DEFAULT_ACCOUNT_NAME, isValidAccountName } from '../jobs/job-ref.js';
import type { StreamRecord } from '../redis/replies.js';
import { AuditInputError } from './errors.js';
import { HASH_PATTERN } from './hash.js';
import type { AuditAction, AuditActor, AuditEntry, AuditEntryInput } from './types.js';

export const AUDIT_FORMAT_VERSION = '1';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'posted',
  'approve_vote',
  'approve_requested',
  'approved',
  'cancel_requested',
  'cancelled',
  'denied',
  'failed',
  'status_changed',
  'changed_outside',
  'reminded',
  'expired',
  'reconciled',
  'finished',
  'rule_changed',
];

const OPTIONAL_FIELDS = [
  'reason',
  'outcome',
  'cosStatus',
  'cosRequestId',
  'cosErrorCode',
  'source',
  'intentId',
  'rule',
  'ruleHash',
] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];

/**
 * Longest accepted text per optional field (characters). Reasons come from a Slack modal (≤ 3000).
 * Exported so checks of COS answers (src/cos/answer-checks.ts) refuse what the audit would refuse.
 */
export const OPTIONAL_LIMITS: Record<OptionalField, number> = {
  reason: 4000,
  outcome: 500,
  cosStatus: 64,
  cosRequestId: 256,
  cosErrorCode: 128,
  source: 64,
  intentId: 200,
  rule: 63,
  ruleHash: 64,
};

/** Printable ASCII without spaces: safe in logs, Slack code spans and Redis field values. */
const TOKEN_PATTERN = /^[\x21-\x7e]{1,200}$/;
const SEQ_PATTERN = /^[1-9]\d{0,15}$/;
const ACTION_PATTERN = /^[a-z][a-z_]{0,39}$/;
const RULE_HASH_PATTERN = /^[0-9a-f]{8,64}$/;
/** Control characters other than tab and newline have no business in an audit line. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0x7f) return true;
  }
  return false;
}

/** What the caller asked to append, validated and normalised; the chain fields come later. */
export interface PreparedEntry {
  entryId: string;
  actor: AuditActor;
  action: AuditAction;
  account: string;
  region: string;
  jobId: string;
  optional: Partial<Record<OptionalField, string>>;
}

export interface ChainPosition {
  timeMs: number;
  seq: number;
  jobSeq: number;
  prevHash: string;
  jobPrevHash: string;
}

/**
 * Strings go to Redis as UTF-8; a lone UTF-16 surrogate would come back as U+FFFD and no longer match
 * its hash. Normalising first means what is hashed is exactly what is stored.
 */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function textProblem(label: string, value: unknown, max: number, allowEmpty: boolean): string | undefined {
  if (typeof value !== 'string') return `${label} must be a string`;
  if (!allowEmpty && value.trim() === '') return `${label} is empty`;
  if (value.length > max) return `${label} is ${value.length} characters long; the limit is ${max}`;
  if (hasControlCharacters(value)) return `${label} contains control characters`;
  return undefined;
}

/** Validates everything at once and reports every problem; generates the entryId when absent. */
export function prepareEntry(input: AuditEntryInput, newEntryId: () => string = randomUUID): PreparedEntry {
  const problems: string[] = [];
  const entryId = input.entryId ?? newEntryId();
  if (!TOKEN_PATTERN.test(entryId)) {
    problems.push('entryId must be 1–200 printable ASCII characters without spaces');
  }
  const actor = input.actor as Partial<AuditActor> | undefined;
  if (typeof actor !== 'object' || actor === null) {
    problems.push("actor is missing: give the Slack user's id and name, or { id: 'system', name: 'cosjob' }");
  } else {
    if (typeof actor.id !== 'string' || !TOKEN_PATTERN.test(actor.id)) {
      problems.push('actor.id must be a Slack user id (or "system"): printable ASCII without spaces');
    }
    const nameProblem = textProblem('actor.name', actor.name, 256, true);
    if (nameProblem) problems.push(nameProblem);
  }
  if (!AUDIT_ACTIONS.includes(input.action)) {
    problems.push(`action must be one of ${AUDIT_ACTIONS.join(', ')}`);
  }
  if (!isValidAccountName(input.account)) {
    problems.push('account must be an account name: lowercase letters, digits, - and _ (at most 32)');
  }
  if (typeof input.region !== 'string' || !isValidRegion(input.region)) {
    problems.push('region must be a COS region such as ap-guangzhou');
  }
  if (typeof input.jobId !== 'string' || !isValidJobId(input.jobId)) {
    problems.push(
      'jobId must be a COS JobId: 1–64 letters, digits, - and _, starting with a letter or digit',
    );
  }
  const optional: Partial<Record<OptionalField, string>> = {};
  for (const field of OPTIONAL_FIELDS) {
    const value = input[field];
    // Absent and empty mean the same thing, so an entry has one encoding.
    if (value === undefined || value === '') continue;
    const problem = textProblem(field, value, OPTIONAL_LIMITS[field], false);
    if (problem) problems.push(problem);
    else optional[field] = wellFormed(value);
  }
  if (optional.intentId !== undefined && !TOKEN_PATTERN.test(optional.intentId)) {
    problems.push('intentId must be printable ASCII without spaces');
  }
  if (optional.ruleHash !== undefined && !RULE_HASH_PATTERN.test(optional.ruleHash)) {
    problems.push('ruleHash must be lowercase hex (the hash of the rule as applied)');
  }
  if (problems.length > 0) throw new AuditInputError(problems);
  return {
    entryId,
    actor: { id: (actor as AuditActor).id, name: wellFormed((actor as AuditActor).name) },
    action: input.action,
    account: input.account,
    region: input.region,
    jobId: input.jobId,
    optional,
  };
}

/** The stream fields of an entry, without `hash` (the hash is computed over exactly these). */
export function entryFields(entry: PreparedEntry, position: ChainPosition): [string, string][] {
  const fields: [string, string][] = [
    ['v', AUDIT_FORMAT_VERSION],
    ['entryId', entry.entryId],
    ['time', new Date(position.timeMs).toISOString()],
    ['actorId', entry.actor.id],
    ['actorName', entry.actor.name],
    ['action', entry.action],
    ...(entry.account === DEFAULT_ACCOUNT_NAME ? [] : [['account', entry.account] as [string, string]]),
    ['region', entry.region],
    ['jobId', entry.jobId],
  ];
  for (const field of OPTIONAL_FIELDS) {
    const value = entry.optional[field];
    if (value !== undefined) fields.push([field, value]);
  }
  fields.push(
    ['seq', String(position.seq)],
    ['jobSeq', String(position.jobSeq)],
    ['prevHash', position.prevHash],
    ['jobPrevHash', position.jobPrevHash],
  );
  return fields;
}

export type DecodedEntry =
  | { ok: true; entry: AuditEntry; fields: [string, string][] }
  | { ok: false; problem: string };

/** Reads a stored entry strictly; any deviation from what cosjob writes is reported, not guessed. */
export function decodeEntry(record: StreamRecord): DecodedEntry {
  const values = new Map<string, string>();
  for (const [name, value] of record.fields) {
    if (values.has(name)) return { ok: false, problem: `field ${name} appears twice` };
    values.set(name, value);
  }
  const missing = (name: string) => ({ ok: false as const, problem: `field ${name} is missing or invalid` });
  const version = values.get('v');
  if (version !== AUDIT_FORMAT_VERSION) {
    return { ok: false, problem: `unknown format version ${JSON.stringify(version ?? null)}` };
  }
  const entryId = values.get('entryId');
  if (entryId === undefined || !TOKEN_PATTERN.test(entryId)) return missing('entryId');
  const time = values.get('time');
  if (time === undefined || Number.isNaN(Date.parse(time)) || !time.endsWith('Z')) return missing('time');
  const actorId = values.get('actorId');
  if (actorId === undefined || actorId === '') return missing('actorId');
  const actorName = values.get('actorName');
  if (actorName === undefined) return missing('actorName');
  const action = values.get('action');
  // Unknown but well-formed actions are read as they are, so a newer writer does not look like damage.
  if (action === undefined || !ACTION_PATTERN.test(action)) return missing('action');
  // Absent in entries of the default account, including every entry written before several accounts.
  const account = values.get('account') ?? DEFAULT_ACCOUNT_NAME;
  if (!isValidAccountName(account)) return missing('account');
  const region = values.get('region');
  if (region === undefined || region === '') return missing('region');
  const jobId = values.get('jobId');
  if (jobId === undefined || jobId === '') return missing('jobId');
  const seq = values.get('seq');
  if (seq === undefined || !SEQ_PATTERN.test(seq)) return missing('seq');
  const jobSeq = values.get('jobSeq');
  if (jobSeq === undefined || !SEQ_PATTERN.test(jobSeq)) return missing('jobSeq');
  const hashes: Record<'prevHash' | 'jobPrevHash' | 'hash', string> = {
    prevHash: '',
    jobPrevHash: '',
    hash: '',
  };
  for (const name of ['prevHash', 'jobPrevHash', 'hash'] as const) {
    const value = values.get(name);
    if (value === undefined || !HASH_PATTERN.test(value)) return missing(name);
    hashes[name] = value;
  }
  const entry: AuditEntry = {
    entryId,
    actor: { id: actorId, name: actorName },
    action: action as AuditAction,
    account,
    region,
    jobId,
    time,
    seq: Number(seq),
    jobSeq: Number(jobSeq),
    prevHash: hashes.prevHash,
    jobPrevHash: hashes.jobPrevHash,
    hash: hashes.hash,
    streamId: record.id,
  };
  for (const field of OPTIONAL_FIELDS) {
    const value = values.get(field);
    if (value !== undefined) entry[field] = value;
  }
  return { ok: true, entry, fields: record.fields };
}
