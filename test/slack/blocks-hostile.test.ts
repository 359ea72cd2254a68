/**
 * Every field of every Block Kit builder, one at a time, set to a hostile value and to an overlong one.
 * The inputs are walked automatically, so a field added to a builder's input is covered without editing
 * this file; each field must have a cap declared below, so showing a new field is a conscious choice.
 */
import type { ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, VerifyResult } from '../../src/audit/types.js';
import type { Job, JobOperation, JobSummary } from '../../src/cos/model.js';
import {
  auditEntryReply,
  auditTrailMessage,
  type CardPhase,
  cancelReasonModal,
  changedOutsideReply,
  expiredReply,
  finishedSummary,
  helpMessage,
  type JobCardInput,
  jobCard,
  jobListMessage,
  jobStatusMessage,
  MESSAGE_TEXT_BUDGET,
  noticeMessage,
  progressReply,
  refusalMessage,
  reminderReply,
  type SlackMessage,
} from '../../src/slack/blocks/index.js';
import { blockKitProblems, viewProblems } from '../helpers/fake-slack.js';

// ---- the hostile values --------------------------------------------------------------------------------

/**
 * Every way text could act in Slack: broadcast mentions, a disguised link, user, channel and group pings,
 * a forged date token, a pre-escaped entity, a bare ampersand, a bidi override, NUL, CR/LF and ESC, and
 * enough `&<>` after it that truncation has to cut in the middle of an escape.
 */
const HOSTILE =
  '<!channel> <!here> <!everyone> <https://evil.example|Re-approve here> <@U0EVIL> <#C0EVIL> ' +
  '<!subteam^S0EVIL> <!date^1^{date}|x> &amp; & \u202eevil\u202c \u0000\r\n\u001b[31m *bold* `tick` ' +
  '&<>'.repeat(3000);
/** A run of one character Slack leaves alone and no builder writes itself, to measure what is shown. */
const MARK = 'ж';
const LONG = MARK.repeat(5000);
const NUMBERS = [Number.NaN, Number.POSITIVE_INFINITY, -1, 1e21];

// ---- base inputs, with every optional field filled in --------------------------------------------------

const REGION = 'ap-guangzhou';
const JOB_ID = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';
/** The only mentions cosjob may produce here: the validated ids the fixtures hand in. */
const USERS = ['U0ALICE', 'U0BOB', 'U0CAROL'];
const GROUP = 'S0APPROVERS';
const TIME = '2026-01-01T08:00:00Z';

const OPERATIONS: Record<string, JobOperation> = {
  copy: {
    kind: 'COSPutObjectCopy',
    rawKind: 'COSPutObjectCopy',
    parameters: {
      TargetResource: 'qcs::cos:ap-beijing:uid/1250000000:dst-1250000000',
      StorageClass: 'STANDARD_IA',
      MetadataDirective: 'Copy',
      TaggingDirective: 'Replace',
      AccessControlDirective: 'Copy',
      'UserMetadata.member.0.Key': 'x-cos-meta-a',
    },
    destructive: false,
  },
  restore: {
    kind: 'COSInitiateRestoreObject',
    rawKind: 'COSInitiateRestoreObject',
    parameters: { ExpirationInDays: '7', JobTier: 'Bulk', Extra: 'value' },
    destructive: false,
  },
  tagging: {
    kind: 'COSPutObjectTagging',
    rawKind: 'COSPutObjectTagging',
    parameters: { 'Tags.0.Key': 'team', 'Tags.0.Value': 'photos', Other: 'value' },
    destructive: false,
  },
  delete: { kind: 'COSDeleteObject', rawKind: 'COSDeleteObject', parameters: {}, destructive: true },
  unknown: {
    kind: 'unknown',
    rawKind: 'COSFutureOperation',
    parameters: { Setting: 'value' },
    destructive: true,
  },
};

function fullJob(operation: JobOperation = OPERATIONS.copy as JobOperation): Job {
  return {
    id: JOB_ID,
    status: 'Failed',
    priority: 10,
    description: 'Nightly copy of the photo archive',
    creationTime: TIME,
    terminationDate: '2026-01-02T08:00:00Z',
    confirmationRequired: true,
    operation,
    manifest: {
      location: {
        objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/manifests/m.csv',
        etag: '"60e2bd1d8bc93e15fd1b7cd4c4bca7ea"',
        objectVersionId: 'MTg0NDUxNzc2ODQ2',
      },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    report: {
      bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:reports-1250000000',
      enabled: true,
      format: 'Report_CSV_V1',
      prefix: 'job-reports',
      reportScope: 'AllTasks',
    },
    roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
    progress: { totalTasks: 1000, succeededTasks: 990, failedTasks: 10 },
    failureReasons: [{ code: 'AccessDenied', reason: 'no permission on key a.jpg' }],
    statusUpdateReason: 'Job failed',
    suspendedCause: 'waiting for confirmation',
    suspendedDate: TIME,
  };
}

function summary(): JobSummary {
  return {
    id: 'job-0001',
    status: 'Suspended',
    priority: 3,
    description: 'Listed job',
    creationTime: TIME,
    terminationDate: TIME,
    operation: 'COSPutObjectCopy',
    progress: { totalTasks: 10, succeededTasks: 0, failedTasks: 0 },
  };
}

function entry(seq: number): AuditEntry {
  return {
    account: 'default',
    entryId: `entry-${seq}`,
    actor: { id: USERS[0] as string, name: 'alice' },
    action: 'cancelled',
    region: REGION,
    jobId: JOB_ID,
    reason: 'duplicate run',
    outcome: 'applied',
    cosStatus: 'Cancelled',
    cosRequestId: 'NjVmYzA2MmNfNjE',
    cosErrorCode: 'InvalidRequest',
    source: 'slack-modal',
    intentId: 'intent-1',
    time: TIME,
    seq,
    jobSeq: seq,
    prevHash: 'a'.repeat(64),
    jobPrevHash: 'b'.repeat(64),
    hash: 'c'.repeat(64),
    streamId: `1700000000000-${seq}`,
  };
}

const DECIDED_BY = { byUserIds: [...USERS], at: TIME, reason: 'looks right', cosStatus: 'Ready' };
const PHASES: CardPhase[] = [
  { kind: 'pending' },
  { kind: 'in_progress', byUserId: USERS[0] as string, action: 'cancel' },
  { kind: 'approved', ...DECIDED_BY },
  {
    kind: 'cancelled',
    byUserId: USERS[1] as string,
    at: TIME,
    reason: 'wrong bucket',
    cosStatus: 'Cancelled',
  },
  { kind: 'changed_outside', status: 'Active', at: TIME },
  { kind: 'expired', at: TIME, hours: 24 },
  {
    kind: 'finished',
    status: 'Complete',
    progress: { totalTasks: 10, succeededTasks: 9, failedTasks: 1 },
    failureReasons: [{ code: 'NoSuchKey', reason: 'gone' }],
    at: TIME,
    decision: { action: 'approve', byUserIds: [...USERS], at: TIME, reason: 'ok' },
  },
];

function cardInput(phase: CardPhase, operation?: JobOperation): JobCardInput {
  return {
    account: 'default',
    region: REGION,
    job: { ...fullJob(operation), status: 'Suspended' },
    phase,
    approvals: { required: 2, voterIds: [...USERS] },
    postedAt: TIME,
  };
}

const VERIFY_PROBLEMS: NonNullable<VerifyResult['problem']>[] = [
  { kind: 'edited', seq: 2, streamId: '1700000000000-2', detail: 'hash mismatch' },
  { kind: 'inserted', seq: 2, streamId: '1700000000000-2', detail: 'unexpected entry' },
  { kind: 'removed', afterSeq: 1, detail: 'gap in seq' },
  { kind: 'truncated', detail: 'head is behind' },
  { kind: 'malformed', streamId: '1700000000000-2', detail: 'field seq missing' },
];

// ---- the builders, each with the fields a hostile value may make it refuse -----------------------------

type Rendered = SlackMessage | ModalView;

interface BuilderCase {
  name: string;
  input: unknown;
  render: (input: never) => Rendered;
  /** Fields that must be valid ids (they go into button values or modal metadata): refusing is right. */
  refusesFor?: RegExp;
  /** Only these fields are varied (a long input repeats the same fields many times). */
  only?: RegExp;
}

function builder<T>(
  name: string,
  input: T,
  render: (input: T) => Rendered,
  refusesFor?: RegExp,
  only?: RegExp,
): BuilderCase {
  return {
    name,
    input,
    render: render as (input: never) => Rendered,
    ...(refusesFor ? { refusesFor } : {}),
    ...(only ? { only } : {}),
  };
}

const ID_FIELDS = /^(account|region|job\.id|items\[\d+\]\.(account|region|job\.id))$/;

const CASES: BuilderCase[] = [
  ...PHASES.map((phase) => builder(`jobCard (${phase.kind})`, cardInput(phase), jobCard, ID_FIELDS)),
  ...Object.entries(OPERATIONS).map(([name, operation]) =>
    builder(
      `jobCard (pending, ${name} operation)`,
      cardInput({ kind: 'pending' }, operation),
      jobCard,
      ID_FIELDS,
    ),
  ),
  builder(
    'jobListMessage',
    {
      items: [
        { account: 'default', region: REGION, job: summary() },
        { account: 'default', region: REGION, job: fullJob() },
      ],
      unreachable: [
        { account: 'default', region: 'ap-shanghai', cosCode: 'SlowDown', requestId: 'NjVmYzA2MmNfNjE' },
      ],
    },
    (i) => jobListMessage(i.items, { unreachable: i.unreachable }),
    ID_FIELDS,
  ),
  builder(
    'jobStatusMessage',
    { region: REGION, job: fullJob() },
    (i) => jobStatusMessage({ account: 'default', region: i.region, jobId: i.job.id }, i.job),
    ID_FIELDS,
  ),
  builder(
    'refusalMessage',
    {
      what: 'Approve job 53dc',
      why: 'The job is Active',
      whatToDo: 'Use `/cosjob status <JobId>`',
      cosCode: 'AccessDenied',
      requestId: 'NjVmYzA2MmNfNjE',
    },
    refusalMessage,
  ),
  builder(
    'noticeMessage',
    {
      emoji: '✅',
      message: 'Approved: COS now reports the job as Ready.',
      note: ' (reconciler writes the result)',
    },
    noticeMessage,
  ),
  builder('helpMessage', {}, () => helpMessage()),
  builder('auditEntryReply', entry(1), auditEntryReply),
  builder(
    'auditTrailMessage (verified)',
    { entries: [entry(1), entry(2)], verify: { ok: true, entries: 2, headHash: 'd'.repeat(64) } },
    (i) => auditTrailMessage(i.entries, i.verify),
  ),
  builder(
    'auditTrailMessage (long, older entries summarised)',
    { entries: Array.from({ length: 60 }, (_, i) => entry(i + 1)), verify: { ok: true, entries: 60 } },
    (i) => auditTrailMessage(i.entries, i.verify),
    undefined,
    // The oldest entry feeds the summary of older entries, the newest is shown in full.
    /^(entries\[(0|59)\]|verify)/,
  ),
  ...VERIFY_PROBLEMS.map((problem) =>
    builder(
      `auditTrailMessage (${problem.kind})`,
      { entries: [entry(1)], verify: { ok: false, entries: 1, problem } },
      (i) => auditTrailMessage(i.entries, i.verify),
    ),
  ),
  builder('progressReply', { ...fullJob(), status: 'Active' }, progressReply),
  builder('finishedSummary', fullJob(), finishedSummary),
  builder('changedOutsideReply', { status: 'Active' }, (i) => changedOutsideReply(i.status)),
  builder(
    'reminderReply',
    { approverUserIds: [...USERS], approverUsergroupIds: [GROUP], waitingMinutes: 90 },
    reminderReply,
  ),
  builder('expiredReply', { hours: 24 }, (i) => expiredReply(i.hours)),
  builder(
    'cancelReasonModal',
    {
      account: 'default',
      region: REGION,
      jobId: JOB_ID,
      channelId: 'C0OPS',
      messageTs: '1700000000.000100',
      requireReason: true,
    },
    cancelReasonModal,
    /^(account|region|jobId|channelId|messageTs)$/,
  ),
];

// ---- how much of each field may be shown (characters, before escaping) --------------------------------

/** First match wins. 0 means the field is never shown. */
const CAPS: [RegExp, number][] = [
  [/parameters\{key\}$/, 64],
  [/parameters\.TargetResource$/, 400],
  [/parameters\.(StorageClass|\w+Directive)$/, 40],
  [/parameters\.(ExpirationInDays|JobTier)$/, 20],
  [/parameters\.Tags\.\d+\.Key$/, 64],
  [/parameters\.[^{}]+$/, 128],
  [/operation\.rawKind$/, 64],
  [/job\.operation$/, 64],
  [/actor\.id$/, 40],
  [/(voterIds|byUserIds|approverUserIds|approverUsergroupIds)\[\d+\]$/, 40],
  [/byUserId$/, 40],
  [/(^|\.)(status|cosStatus)$/, 40],
  [/(^|\.)(id|jobId)$/, 64],
  [/(^|\.)region$/, 40],
  [/(^|\.)account$/, 40],
  [/(^|\.)(cosCode|code|cosErrorCode)$/, 64],
  [/(^|\.)(requestId|cosRequestId)$/, 128],
  [/actor\.name$/, 80],
  [/(^|\.)reason$/, 400],
  [/(^|\.)description$/, 1500],
  [/(^|\.)statusUpdateReason$/, 300],
  [/(^|\.)suspendedCause$/, 600],
  [/(^|\.)objectArn$/, 400],
  [/(^|\.)etag$/, 80],
  [/(^|\.)objectVersionId$/, 64],
  [/(^|\.)bucket$/, 80],
  [/(^|\.)prefix$/, 120],
  [/(^|\.)detail$/, 300],
  [/(^|\.)(outcome|action)$/, 40],
  [/(^|\.)entryId$/, 64],
  [/(^|\.)streamId$/, 40],
  [/(^|\.)(hash|headHash)$/, 16],
  [/(^|\.)(time|at|creationTime|terminationDate|postedAt)$/, 64],
  [/^what$/, 300],
  [/^(why|whatToDo|message)$/, 1000],
  [/^emoji$/, 16],
  [/^note$/, 300],
  [/(^|\.)(format|reportScope|roleArn|suspendedDate|source|intentId|prevHash|jobPrevHash)$/, 0],
  [/(^|\.)fields\[\d+\]$/, 0],
  [/^(channelId|messageTs)$/, 0],
];

function capFor(path: string): number {
  const found = CAPS.find(([pattern]) => pattern.test(path));
  if (!found) throw new Error(`No cap is declared for the field ${path}; add one to CAPS.`);
  return found[1];
}

/** Discriminants and flags the code sets itself (not data from COS, a person or Redis). */
const TYPED_FIELDS = /(^|\.)(kind|requireReason)$|phase\.(decision\.)?action$/;

// ---- walking inputs and outputs ------------------------------------------------------------------------

type Step = string | number | { key: string };
interface Leaf {
  steps: Step[];
  name: string;
  type: 'string' | 'number';
}

function leaves(value: unknown, steps: Step[] = []): Leaf[] {
  const name = steps
    .map((s, i) =>
      typeof s === 'number' ? `[${s}]` : typeof s === 'string' ? (i === 0 ? s : `.${s}`) : '{key}',
    )
    .join('');
  if (typeof value === 'string') return [{ steps, name, type: 'string' }];
  if (typeof value === 'number') return [{ steps, name, type: 'number' }];
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...steps, i]));
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  const out = Object.entries(record).flatMap(([key, child]) => leaves(child, [...steps, key]));
  // Parameter names come from COS as element names: a hostile key is as likely as a hostile value.
  if (steps.at(-1) === 'parameters') {
    const first = Object.keys(record)[0];
    out.push({ steps: [...steps, { key: first ?? '' }], name: `${name}{key}`, type: 'string' });
  }
  return out;
}

type Node = Record<string | number, unknown>;

/** A deep copy of `input` with the field at `leaf` set to `value` (or, for a `{key}` step, renamed). */
function withValue(input: unknown, leaf: Leaf, value: unknown): unknown {
  const copy = structuredClone(input);
  const last = leaf.steps.at(-1);
  const parent = leaf.steps
    .slice(0, -1)
    .reduce<Node>((node, step) => node[step as string | number] as Node, copy as Node);
  if (typeof last === 'object') {
    const renamed = Object.entries(parent).map(([k, v]) => [k === last.key ? String(value) : k, v]);
    for (const k of Object.keys(parent)) delete parent[k];
    Object.assign(parent, Object.fromEntries(renamed));
  } else if (last !== undefined) {
    parent[last] = value;
  }
  return copy;
}

interface Texts {
  /** Everything Slack parses as mrkdwn: the top-level fallback and every mrkdwn text object. */
  mrkdwn: string[];
  plain: string[];
  /** mrkdwn objects without `verbatim: true`. */
  notVerbatim: number;
}

function textsOf(rendered: Rendered): Texts {
  const texts: Texts = { mrkdwn: [], plain: [], notVerbatim: 0 };
  if ('text' in rendered && typeof rendered.text === 'string') texts.mrkdwn.push(rendered.text);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') {
        texts.mrkdwn.push(record.text);
        if (record.verbatim !== true) texts.notVerbatim += 1;
      } else if (record.type === 'plain_text' && typeof record.text === 'string') {
        texts.plain.push(record.text);
      } else {
        Object.values(record).forEach(visit);
      }
    }
  };
  visit('blocks' in rendered ? rendered.blocks : []);
  if ('type' in rendered && rendered.type === 'modal')
    visit([rendered.title, rendered.submit, rendered.close]);
  return texts;
}

/** Tokens cosjob writes on purpose, only ever from ids it validated and instants it parsed. */
const INTENDED_TOKENS = [
  new RegExp(`^<@(${USERS.join('|')})>$`),
  new RegExp(`^<!subteam\\^${GROUP}>$`),
  /^<!date\^\d{1,12}\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z>$/,
  // The manifest link: a validated bucket and region, the key percent-encoded by encodeURIComponent.
  /^<https:\/\/[a-z0-9-]+\.cos\.[a-z0-9-]+\.myqcloud\.com\/[A-Za-z0-9%\-_.!~*'()/]+\|Open the manifest object>$/,
];
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** What is wrong with a rendered surface: unintended tokens, bare `&`, hidden characters, Slack limits. */
function problemsOf(rendered: Rendered): string[] {
  const problems: string[] = [];
  const texts = textsOf(rendered);
  for (const text of texts.mrkdwn) {
    for (const [token] of text.matchAll(/<[^>]*>?/g)) {
      if (!INTENDED_TOKENS.some((pattern) => pattern.test(token))) {
        problems.push(`unintended token ${JSON.stringify(token.slice(0, 60))}`);
      }
    }
    for (const [amp] of text.matchAll(/&(?!amp;|lt;|gt;)[^\s]{0,6}/g)) {
      problems.push(`unescaped ${JSON.stringify(amp)}`);
    }
  }
  for (const text of [...texts.mrkdwn, ...texts.plain]) {
    const hidden = HIDDEN.exec(text);
    if (hidden) problems.push(`hidden character U+${hidden[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (/NaN|Infinity|undefined/.test(text))
      problems.push(`a broken number in ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (texts.notVerbatim > 0) problems.push(`${texts.notVerbatim} mrkdwn objects without verbatim: true`);
  if ('type' in rendered && rendered.type === 'modal') {
    problems.push(...viewProblems(rendered as unknown as Record<string, unknown>));
  } else {
    const message = rendered as SlackMessage;
    problems.push(...blockKitProblems(message.blocks, 'message'));
    if (message.blocks.length > 50) problems.push(`${message.blocks.length} blocks`);
    const blockText = textsOf({ text: '', blocks: message.blocks }).mrkdwn.join('').length;
    if (blockText > MESSAGE_TEXT_BUDGET) problems.push(`${blockText} characters of block text`);
    if (message.text.length === 0 || message.text.length > 3000) {
      problems.push(`fallback text of ${message.text.length} characters`);
    }
  }
  return problems;
}

function longestRun(rendered: Rendered): number {
  const texts = textsOf(rendered);
  let longest = 0;
  for (const text of [...texts.mrkdwn, ...texts.plain]) {
    for (const [run] of text.matchAll(new RegExp(`${MARK}+`, 'g'))) longest = Math.max(longest, run.length);
  }
  return longest;
}

/** Renders, or says how it refused; a refusal is only acceptable for the case's id fields. */
function attempt(c: BuilderCase, input: unknown): { rendered: Rendered } | { refused: string } {
  try {
    return { rendered: c.render(input as never) };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

// ---- the tests -----------------------------------------------------------------------------------------

describe('every builder with a hostile value in every field', () => {
  it('renders each base input cleanly (the fixtures themselves are valid)', () => {
    for (const c of CASES) {
      const result = attempt(c, c.input);
      expect('rendered' in result ? problemsOf(result.rendered) : [result.refused], c.name).toEqual([]);
    }
  });

  for (const c of CASES) {
    const fields = leaves(c.input).filter(
      (leaf) => !TYPED_FIELDS.test(leaf.name) && (c.only?.test(leaf.name) ?? true),
    );

    it(`${c.name}: hostile text in any of its ${fields.filter((f) => f.type === 'string').length} text fields comes out escaped`, () => {
      const failures: string[] = [];
      for (const field of fields.filter((f) => f.type === 'string')) {
        const result = attempt(c, withValue(c.input, field, HOSTILE));
        if ('refused' in result) {
          if (!c.refusesFor?.test(field.name)) failures.push(`${field.name}: refused (${result.refused})`);
          else if (
            !/^Cannot (reference this job in a button|open the cancel dialog): /.test(result.refused)
          ) {
            failures.push(`${field.name}: refused without saying why (${result.refused})`);
          }
          continue;
        }
        for (const problem of problemsOf(result.rendered)) failures.push(`${field.name}: ${problem}`);
      }
      expect(failures).toEqual([]);
    });

    it(`${c.name}: an overlong value in any text field is capped`, () => {
      const failures: string[] = [];
      for (const field of fields.filter((f) => f.type === 'string')) {
        const cap = capFor(field.name);
        const result = attempt(c, withValue(c.input, field, LONG));
        if ('refused' in result) {
          if (!c.refusesFor?.test(field.name)) failures.push(`${field.name}: refused (${result.refused})`);
          continue;
        }
        const run = longestRun(result.rendered);
        if (run > cap) failures.push(`${field.name}: ${run} characters shown, cap ${cap}`);
        for (const problem of problemsOf(result.rendered)) failures.push(`${field.name}: ${problem}`);
      }
      expect(failures).toEqual([]);
    });

    const numeric = fields.filter((f) => f.type === 'number');
    if (numeric.length > 0) {
      it(`${c.name}: NaN, Infinity, negative and huge numbers in its ${numeric.length} number fields render sanely`, () => {
        const failures: string[] = [];
        for (const field of numeric) {
          for (const value of NUMBERS) {
            const result = attempt(c, withValue(c.input, field, value));
            if ('refused' in result) failures.push(`${field.name}=${value}: refused (${result.refused})`);
            else
              for (const problem of problemsOf(result.rendered))
                failures.push(`${field.name}=${value}: ${problem}`);
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }

  it('covers every builder the blocks module exports', async () => {
    const exported = await import('../../src/slack/blocks/index.js');
    const builders = Object.entries(exported)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .filter((name) => /Message$|Reply$|Summary$|^jobCard$|Modal$/.test(name));
    const covered = new Set(CASES.map((c) => c.name.split(' ')[0]));
    expect(builders.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('the walker itself', () => {
  it('catches an unescaped token, a bare ampersand, a hidden character and a missing verbatim flag', () => {
    const bad: SlackMessage = {
      text: 'fine',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '<!channel> & <@U0EVIL> \u202e', verbatim: true } },
        { type: 'section', text: { type: 'mrkdwn', text: '<https://evil.example|x>' } },
      ],
    };
    expect(problemsOf(bad)).toEqual([
      'unintended token "<!channel>"',
      'unintended token "<@U0EVIL>"',
      'unescaped "&"',
      'unintended token "<https://evil.example|x>"',
      'hidden character U+202e',
      '1 mrkdwn objects without verbatim: true',
    ]);
  });

  it('accepts the mentions and dates cosjob builds from validated ids', () => {
    const good: SlackMessage = {
      text: 'ok &amp; &lt;fine&gt;',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '<@U0ALICE> <!subteam^S0APPROVERS> <!date^1767254400^{date_short_pretty} at {time}|2026-01-01T08:00:00.000Z>',
            verbatim: true,
          },
        },
      ],
    };
    expect(problemsOf(good)).toEqual([]);
  });

  it('finds every text field of a nested input, including parameter names', () => {
    const names = leaves(cardInput({ kind: 'pending' })).map((leaf) => leaf.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'region',
        'job.status',
        'job.operation.parameters.TargetResource',
        'job.operation.parameters{key}',
        'job.manifest.location.etag',
        'job.failureReasons[0].reason',
        'approvals.voterIds[2]',
        'postedAt',
      ]),
    );
  });
});

describe('the cases issue 9 reported', () => {
  const status = '<!channel> <https://evil.example|Re-approve here>';

  it('a decision notice quoting a hostile COS status pings nobody and links nowhere', () => {
    const notice = noticeMessage({ emoji: '✅', message: `Approved: COS now reports the job as ${status}.` });
    expect(problemsOf(notice)).toEqual([]);
    expect(textsOf(notice).mrkdwn.join('\n')).toContain(
      '&lt;!channel&gt; &lt;https://evil.example|Re-approve here&gt;',
    );
  });

  it('a 100-character status is shown capped on the card, in the thread and in the notification text', () => {
    const long = `Ready${MARK.repeat(95)}`;
    const surfaces: Rendered[] = [
      jobCard({ ...cardInput({ kind: 'approved', ...DECIDED_BY, cosStatus: long }) }),
      jobCard({ ...cardInput({ kind: 'changed_outside', status: long, at: TIME }) }),
      changedOutsideReply(long),
      progressReply({ ...fullJob(), status: long }),
      finishedSummary({ ...fullJob(), status: long }),
      auditEntryReply({ ...entry(1), cosStatus: long }),
    ];
    for (const surface of surfaces) {
      expect(problemsOf(surface)).toEqual([]);
      expect(longestRun(surface)).toBeLessThanOrEqual(40);
      expect(longestRun(surface)).toBeGreaterThan(0);
    }
  });
});
