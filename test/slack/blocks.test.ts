import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { AuditAction, AuditEntry, VerifyResult } from '../../src/audit/types.js';
import type { Job, JobOperation, JobSummary } from '../../src/cos/model.js';
import { validateJobId } from '../../src/cos/validation.js';
import {
  ACTION_IDS,
  auditEntryReply,
  auditTrailMessage,
  blockTextLength,
  CANCEL_MODAL_CALLBACK_ID,
  type CardPhase,
  cancelReasonModal,
  changedOutsideReply,
  describeOperation,
  escapeMrkdwn,
  expiredReply,
  finishedSummary,
  helpMessage,
  jobCard,
  jobListMessage,
  jobStatusMessage,
  MESSAGE_TEXT_BUDGET,
  parseCancelModalMetadata,
  parseTargetResource,
  progressReply,
  REASON_ACTION_ID,
  REASON_BLOCK_ID,
  readCancelReason,
  refusalMessage,
  reminderReply,
  type SlackMessage,
  truncate,
  truncateMrkdwn,
  validateReasonBytes,
} from '../../src/slack/blocks/index.js';
import { decodeJobRef, encodeJobRef } from '../../src/slack/job-ref.js';
import { blockKitProblems, viewProblems } from '../helpers/fake-slack.js';

// ---- fixtures ----------------------------------------------------------------------------------------

const REGION = 'ap-guangzhou';
const JOB_ID = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';
/** Everything a hostile description could try: mass mentions, fake links, user pings, entities. */
const HOSTILE =
  '<!channel> <!here> <https://evil.example|Approve here> <@U0EVIL> &amp; <#C0EVIL> *bold* `code`';

function copyOperation(target = 'qcs::cos:ap-beijing:uid/1250000000:dst-bucket-1250000000'): JobOperation {
  return {
    kind: 'COSPutObjectCopy',
    rawKind: 'COSPutObjectCopy',
    parameters: { TargetResource: target, StorageClass: 'STANDARD_IA' },
    destructive: false,
  };
}

function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    id: JOB_ID,
    status: 'Suspended',
    priority: 10,
    description: 'Nightly copy of the photo archive',
    creationTime: '2026-01-01T08:00:00Z',
    confirmationRequired: true,
    operation: copyOperation(),
    manifest: {
      location: {
        objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/manifests/m.csv',
        etag: '"60e2bd1d8bc93e15fd1b7cd4c4bca7ea"',
      },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    progress: { totalTasks: 1000, succeededTasks: 0, failedTasks: 0 },
    failureReasons: [],
    ...overrides,
  };
}

function makeSummary(index: number, overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: `job-${String(index).padStart(4, '0')}`,
    status: 'Suspended',
    priority: index,
    description: `Job number ${index} ${'x'.repeat(150)}`,
    creationTime: '2026-01-01T08:00:00Z',
    operation: 'COSPutObjectCopy',
    progress: { totalTasks: 10, succeededTasks: 0, failedTasks: 0 },
    ...overrides,
  };
}

function makeEntry(seq: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    account: 'default',
    entryId: `entry-${seq}`,
    actor: { id: 'U0ALICE', name: 'alice' },
    action: 'approve_vote',
    region: REGION,
    jobId: JOB_ID,
    time: new Date(Date.UTC(2026, 0, 1) + seq * 60_000).toISOString(),
    seq,
    jobSeq: seq,
    prevHash: 'a'.repeat(64),
    jobPrevHash: 'b'.repeat(64),
    hash: `${seq.toString(16).padStart(8, '0')}${'c'.repeat(56)}`,
    streamId: `${1_700_000_000_000 + seq}-0`,
    ...overrides,
  };
}

const PENDING: CardPhase = { kind: 'pending' };

// ---- inspection helpers -------------------------------------------------------------------------------

/** Every text string in the blocks, depth-first. */
function texts(blocks: readonly unknown[]): string[] {
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else visit(value);
      }
    }
  };
  visit(blocks);
  return out;
}

function allText(message: SlackMessage): string {
  return [message.text, ...texts(message.blocks)].join('\n');
}

interface ButtonLike {
  action_id: string;
  value: string;
  style?: string;
  text: { text: string };
  confirm?: { title?: { text: string }; text: { text: string }; style?: string };
}

function buttons(blocks: readonly KnownBlock[]): ButtonLike[] {
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as unknown as ButtonLike[]) : []));
}

/** Slack's limits, checked by the fake's independent validator, plus the aggregate text budget. */
function expectWithinSlackLimits(message: SlackMessage): void {
  expect(blockKitProblems(message.blocks, 'message')).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(blockTextLength(message.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(3000);
}

/** The texts Slack parses for mentions and links: mrkdwn objects and the top-level fallback. */
function mrkdwnTexts(message: SlackMessage): string {
  const out: string[] = [message.text];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') out.push(record.text);
      else Object.values(record).forEach(visit);
    }
  };
  visit(message.blocks);
  return out.join('\n');
}

/** No hostile control sequence survives where Slack would act on it (plain_text is never parsed). */
function expectNoInjection(message: SlackMessage): void {
  const everything = mrkdwnTexts(message);
  expect(everything).toContain('&lt;'); // the hostile text is there, escaped

  for (const token of ['<!channel>', '<!here>', '<https://evil', '<@U0EVIL>', '<#C0EVIL>']) {
    expect(everything).not.toContain(token);
  }
}

// ---- text primitives ----------------------------------------------------------------------------------

describe('text primitives', () => {
  it('escapes the three mrkdwn control characters', () => {
    expect(escapeMrkdwn('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;');
  });

  it('truncates on character boundaries, never splitting an emoji or a flag', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    const text = `ab${family}${family}`;
    for (let max = 1; max < text.length; max++) {
      const cut = truncate(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      // Whatever is kept before the ellipsis is a prefix made of whole graphemes.
      const kept = cut.endsWith('…') ? cut.slice(0, -1) : cut;
      expect(text.startsWith(kept)).toBe(true);
      expect(['', 'a', 'ab', `ab${family}`]).toContain(kept);
    }
    expect(truncate('🇯🇵🇯🇵🇯🇵', 5)).toBe('🇯🇵…');
    expect(truncate('short', 10)).toBe('short');
  });

  it('never leaves a lone surrogate even for one enormous grapheme', () => {
    const zalgo = `x${'\u0301'.repeat(5000)}😀`;
    const cut = truncate(zalgo, 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('does not cut mrkdwn inside an escape or a token', () => {
    const escaped = escapeMrkdwn('&&&&&&&&&&');
    for (let max = 2; max < escaped.length; max++) {
      const cut = truncateMrkdwn(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.slice(0, -1)).toMatch(/^(&amp;)*$/);
    }
    expect(truncateMrkdwn('approved by <@U0123456789>', 20)).toBe('approved by …');
  });
});

// ---- job references -----------------------------------------------------------------------------------

describe('job references in button values', () => {
  it('round-trips region and JobId', () => {
    const value = encodeJobRef({ account: 'default', region: REGION, jobId: JOB_ID });
    expect(value.length).toBeLessThanOrEqual(2000);
    expect(decodeJobRef(value)).toEqual({
      ok: true,
      ref: { account: 'default', region: REGION, jobId: JOB_ID },
    });
    const longest = 'a'.repeat(64);
    expect(
      decodeJobRef(encodeJobRef({ account: 'default', region: 'na-siliconvalley', jobId: longest })),
    ).toEqual({
      ok: true,
      ref: { account: 'default', region: 'na-siliconvalley', jobId: longest },
    });
  });

  const hostile: [string, unknown][] = [
    ['path traversal in the JobId', `${REGION}|../../jobs/other`],
    ['encoded traversal', `${REGION}|%2e%2e%2fjobs`],
    ['a slash', `${REGION}|abc/def`],
    ['a JobId of 65 bytes', `${REGION}|${'a'.repeat(65)}`],
    ['a huge value', 'x'.repeat(100_000)],
    ['an empty JobId', `${REGION}|`],
    ['an empty region', `|${JOB_ID}`],
    ['an uppercase region', `AP-GUANGZHOU|${JOB_ID}`],
    ['a region with a path', `ap-guangzhou/..|${JOB_ID}`],
    ['two separators', `${REGION}|${JOB_ID}|extra`],
    ['no separator', JOB_ID],
    ['a JobId starting with "-"', `${REGION}|-abc`],
    ['a JobId with a newline', `${REGION}|abc\ndef`],
    ['a JobId with a space', `${REGION}|abc def`],
    ['a non-ASCII look-alike', `${REGION}|аbc`],
    ['JSON junk', '{"region":"ap-guangzhou","jobId":"x"}'],
    ['a JSON array', '["ap-guangzhou","x"]'],
    ['an empty string', ''],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { region: REGION, jobId: JOB_ID }],
    ['an array', [REGION, JOB_ID]],
    ['a boolean', true],
  ];

  it.each(hostile)('rejects %s with a readable error', (_label, value) => {
    const result = decodeJobRef(value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.length).toBeGreaterThan(10);
      expect(result.error.length).toBeLessThan(300);
    }
  });

  it('accepts exactly the JobIds the COS client accepts', () => {
    const candidates = [
      JOB_ID,
      'a',
      'A_b-c',
      'a'.repeat(64),
      'a'.repeat(65),
      '-a',
      '_a',
      'a.b',
      'a/b',
      '',
      'é',
      '..',
    ];
    for (const jobId of candidates) {
      let cosAccepts = true;
      try {
        validateJobId(jobId);
      } catch {
        cosAccepts = false;
      }
      expect(decodeJobRef(`${REGION}|${jobId}`).ok, jobId).toBe(cosAccepts);
    }
  });

  it('refuses to encode a reference it could not decode', () => {
    expect(() => encodeJobRef({ account: 'default', region: REGION, jobId: '../x' })).toThrow(/JobId/);
    expect(() => encodeJobRef({ account: 'default', region: 'Guangzhou', jobId: JOB_ID })).toThrow(/region/);
  });
});

// ---- operation wording --------------------------------------------------------------------------------

describe('operation descriptions', () => {
  it('parses the target bucket of a copy', () => {
    expect(parseTargetResource('qcs::cos:ap-beijing:uid/1250000000:dst-1250000000')).toEqual({
      region: 'ap-beijing',
      appId: '1250000000',
      bucket: 'dst-1250000000',
    });
    expect(parseTargetResource('arn:aws:s3:::bucket')).toBeUndefined();
  });

  it('words each operation kind', () => {
    const copy = describeOperation(copyOperation());
    expect(copy.summary).toContain('Copy objects to bucket `dst-bucket-1250000000` (ap-beijing)');
    expect(copy.details.join(' ')).toContain('STANDARD_IA');
    expect(copy.destructive).toBe(false);

    const restore = describeOperation({
      kind: 'COSInitiateRestoreObject',
      rawKind: 'COSInitiateRestoreObject',
      parameters: { ExpirationInDays: '7', JobTier: 'Bulk' },
      destructive: false,
    });
    expect(restore.summary).toBe('Restore archived objects for 7 days at tier `Bulk`');

    const tagging = describeOperation({
      kind: 'COSPutObjectTagging',
      rawKind: 'COSPutObjectTagging',
      parameters: {
        'TagSet.0.Key': 'team',
        'TagSet.0.Value': 'media',
        'TagSet.1.Key': 'env',
        'TagSet.1.Value': 'prod',
      },
      destructive: false,
    });
    expect(tagging.summary).toBe('Replace object tags');
    expect(tagging.details.join(' ')).toContain('`team` = `media`');
    expect(tagging.details.join(' ')).toContain('`env` = `prod`');

    const del = describeOperation({
      kind: 'COSDeleteObject',
      rawKind: 'COSDeleteObject',
      parameters: {},
      destructive: true,
    });
    expect(del.destructive).toBe(true);
    expect(del.summary).toMatch(/⚠️.*Delete objects.*destructive/);

    const unknown = describeOperation({
      kind: 'unknown',
      rawKind: 'COSFuture<op>',
      parameters: {},
      destructive: true,
    });
    expect(unknown.destructive).toBe(true);
    expect(unknown.summary).toContain('COSFuture&lt;op&gt;');

    expect(describeOperation('COSDeleteObject').destructive).toBe(true);
    expect(describeOperation('COSPutObjectCopy').summary).toBe('Copy objects');
  });

  it('falls back to showing the raw target when it has another shape', () => {
    const copy = describeOperation(copyOperation('<!channel> somewhere'));
    expect(copy.summary).toContain('&lt;!channel&gt; somewhere');
  });
});

// ---- job card -----------------------------------------------------------------------------------------

describe('jobCard', () => {
  const approvals = { required: 2, voterIds: ['U0ALICE'] };

  it('shows what the job does, where, and the approval state, with buttons while pending', () => {
    const card = jobCard({
      account: 'default',
      region: REGION,
      job: makeJob(),
      phase: PENDING,
      approvals,
      postedAt: '2026-01-01T09:00:00Z',
    });
    const text = allText(card);
    expect(text).toContain('Copy objects to bucket `dst-bucket-1250000000`');
    expect(text).toContain(REGION);
    expect(text).toContain(JOB_ID);
    expect(text).toContain('*Priority*\n10');
    expect(text).toContain('Nightly copy of the photo archive');
    expect(text).toContain('manifests/m.csv');
    expect(text).toContain('60e2bd1d8bc93e15fd1b7cd4c4bca7ea');
    expect(text).toContain('1,000 tasks');
    expect(text).toContain('<!date^1767254400^'); // creation time, 2026-01-01T08:00:00Z
    expect(text).toContain('1 of 2 approvals: <@U0ALICE>');
    expect(card.text).toContain('awaits approval');

    const [approve, cancel, audit] = buttons(card.blocks);
    expect(buttons(card.blocks)).toHaveLength(3);
    expect(approve?.action_id).toBe(ACTION_IDS.approve);
    expect(approve?.style).toBe('primary');
    expect(approve?.text.text).toBe('Approve');
    expect(approve?.confirm?.text.text).toContain(JOB_ID);
    expect(cancel?.action_id).toBe(ACTION_IDS.cancel);
    expect(cancel?.style).toBe('danger');
    expect(cancel?.text.text).toBe('Cancel');
    expect(audit?.action_id).toBe(ACTION_IDS.audit);
    for (const b of [approve, cancel, audit]) {
      expect(decodeJobRef(b?.value)).toEqual({
        ok: true,
        ref: { account: 'default', region: REGION, jobId: JOB_ID },
      });
    }
    expectWithinSlackLimits(card);
  });

  it('says "0 of 1 approval" before anyone voted', () => {
    const card = jobCard({
      account: 'default',
      region: REGION,
      job: makeJob(),
      phase: PENDING,
      approvals: { required: 1, voterIds: [] },
    });
    expect(allText(card)).toContain('0 of 1 approval');
  });

  it('marks deletes as destructive in the card and the confirm dialog', () => {
    const job = makeJob({
      operation: { kind: 'COSDeleteObject', rawKind: 'COSDeleteObject', parameters: {}, destructive: true },
    });
    const card = jobCard({ account: 'default', region: REGION, job, phase: PENDING, approvals });
    expect(allText(card)).toContain('This job is destructive');
    const approve = buttons(card.blocks).find((b) => b.action_id === ACTION_IDS.approve);
    expect(approve?.confirm?.style).toBe('danger');
    expect(approve?.confirm?.text.text).toContain('deletes data');
  });

  const finalPhases: [string, CardPhase, string[]][] = [
    [
      'approved',
      {
        kind: 'approved',
        byUserIds: ['U0ALICE', 'U0BOB'],
        at: '2026-01-01T10:00:00Z',
        reason: 'ok by ops',
        cosStatus: 'Ready',
      },
      ['✅ *Approved* by <@U0ALICE>, <@U0BOB>', 'ok by ops', '*COS status:* Ready'],
    ],
    [
      'cancelled by a person',
      {
        kind: 'cancelled',
        byUserId: 'U0BOB',
        at: '2026-01-01T10:00:00Z',
        reason: 'wrong manifest',
        cosStatus: 'Cancelled',
      },
      ['🛑 *Cancelled* by <@U0BOB>', 'wrong manifest', '*COS status:* Cancelled'],
    ],
    [
      'cancelled by the system',
      { kind: 'cancelled', byUserId: 'system', at: '2026-01-01T10:00:00Z' },
      ['🛑 *Cancelled* automatically by cosjob'],
    ],
    [
      'changed outside',
      { kind: 'changed_outside', status: 'Active', at: '2026-01-01T10:00:00Z' },
      ['outside Slack', '*Active*'],
    ],
    ['expired', { kind: 'expired', at: '2026-01-01T10:00:00Z', hours: 24 }, ['No decision within 24 hours']],
    [
      'finished',
      {
        kind: 'finished',
        status: 'Complete',
        progress: { totalTasks: 10, succeededTasks: 9, failedTasks: 1 },
        failureReasons: [{ code: 'AccessDenied', reason: 'no permission on key a.jpg' }],
        at: '2026-01-01T10:00:00Z',
      },
      ['Complete', '9 succeeded, 1 failed', 'AccessDenied', 'no permission on key a.jpg'],
    ],
  ];

  it.each(finalPhases)(
    'in the %s phase shows the outcome and only the audit button',
    (_label, phase, expected) => {
      const card = jobCard({ account: 'default', region: REGION, job: makeJob(), phase, approvals });
      const text = allText(card);
      for (const fragment of expected) expect(text).toContain(fragment);
      expect(buttons(card.blocks).map((b) => b.action_id)).toEqual([ACTION_IDS.audit]);
      expect(text).toContain('<!date^1767261600^'); // the phase time, 2026-01-01T10:00:00Z
      expectWithinSlackLimits(card);
    },
  );

  it('removes the decision buttons while a decision is in progress', () => {
    const card = jobCard({
      account: 'default',
      region: REGION,
      job: makeJob(),
      phase: { kind: 'in_progress', byUserId: 'U0BOB', action: 'cancel' },
      approvals,
    });
    expect(allText(card)).toContain('<@U0BOB> is cancelling this job');
    expect(buttons(card.blocks).map((b) => b.action_id)).toEqual([ACTION_IDS.audit]);
  });

  it('holds Slack limits and neutralises mrkdwn with hostile, huge inputs', () => {
    const huge = `${HOSTILE} ${'&<>'.repeat(40_000)} ${'😀'.repeat(5000)}`;
    const job = makeJob({
      description: huge,
      status: huge,
      operation: {
        kind: 'COSPutObjectTagging',
        rawKind: 'COSPutObjectTagging',
        parameters: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`Tag.${i}.Key`, huge])),
        destructive: false,
      },
      manifest: { location: { objectArn: huge, etag: huge, objectVersionId: huge }, format: 'x', fields: [] },
    });
    const phases: CardPhase[] = [
      PENDING,
      {
        kind: 'approved',
        byUserIds: Array.from({ length: 100 }, (_, i) => `U0${i}`),
        at: huge,
        reason: huge,
        cosStatus: huge,
      },
      { kind: 'cancelled', byUserId: HOSTILE, at: '2026-01-01T10:00:00Z', reason: huge, cosStatus: huge },
      { kind: 'changed_outside', status: huge, at: huge },
      {
        kind: 'finished',
        status: huge,
        progress: { totalTasks: 1e12, succeededTasks: 1, failedTasks: 2 },
        failureReasons: Array.from({ length: 300 }, () => ({ code: huge, reason: huge })),
        at: huge,
      },
    ];
    for (const phase of phases) {
      const card = jobCard({
        account: 'default',
        region: REGION,
        job,
        phase,
        approvals: { required: 3, voterIds: [HOSTILE, 'U0ALICE'] },
        postedAt: huge,
      });
      expectWithinSlackLimits(card);
      expectNoInjection(card);
    }
  });
});

// ---- cancel modal -------------------------------------------------------------------------------------

describe('cancel reason modal', () => {
  const base = {
    account: 'default',
    region: REGION,
    jobId: JOB_ID,
    channelId: 'C0OPS',
    messageTs: '1700000000.000100',
  };

  it('asks for a reason of at most 256 characters and carries the card location', () => {
    const view = cancelReasonModal({ ...base, requireReason: true });
    expect(view.callback_id).toBe(CANCEL_MODAL_CALLBACK_ID);
    expect(viewProblems(view as unknown as Record<string, unknown>)).toEqual([]);
    const input = view.blocks.find((b) => b.type === 'input');
    expect(input).toMatchObject({
      block_id: REASON_BLOCK_ID,
      optional: false,
      element: { type: 'plain_text_input', action_id: REASON_ACTION_ID, multiline: true, max_length: 256 },
    });
    for (const label of [view.title, view.submit, view.close])
      expect(label?.text.length).toBeLessThanOrEqual(24);
    expect(JSON.stringify(view.blocks)).toContain(JOB_ID);
    expect(view.private_metadata?.length).toBeLessThanOrEqual(3000);
    expect(parseCancelModalMetadata(view.private_metadata)).toEqual({ ok: true, metadata: base });
  });

  it('makes the reason optional when the policy does not require one', () => {
    const view = cancelReasonModal({ ...base, requireReason: false });
    expect(view.blocks.find((b) => b.type === 'input')).toMatchObject({ optional: true });
  });

  it('refuses to build a modal whose metadata it could not read back', () => {
    expect(() => cancelReasonModal({ ...base, messageTs: '12x', requireReason: true })).toThrow(/message ts/);
    expect(() => cancelReasonModal({ ...base, jobId: '../x', requireReason: true })).toThrow(/JobId/);
  });

  const badMetadata: [string, unknown][] = [
    ['a number', 5],
    ['null', null],
    ['not JSON', 'channel=C1'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"x"'],
    ['missing fields', '{}'],
    [
      'a numeric ts',
      JSON.stringify({ channel: 'C0OPS', ts: 1700000000.0001, region: REGION, jobId: JOB_ID }),
    ],
    [
      'a bad channel',
      JSON.stringify({ channel: '#ops', ts: '1700000000.000100', region: REGION, jobId: JOB_ID }),
    ],
    [
      'a traversal JobId',
      JSON.stringify({ channel: 'C0OPS', ts: '1700000000.000100', region: REGION, jobId: '../../x' }),
    ],
    [
      'a bad region',
      JSON.stringify({ channel: 'C0OPS', ts: '1700000000.000100', region: 'x', jobId: JOB_ID }),
    ],
    ['oversized', JSON.stringify({ ...base, pad: 'x'.repeat(4000) })],
    ['a prototype trick', '{"__proto__":{"channel":"C0OPS"}}'],
  ];

  it.each(badMetadata)('rejects metadata that is %s', (_label, value) => {
    const result = parseCancelModalMetadata(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/metadata/);
  });

  it('counts the reason in bytes of UTF-8, as COS does', () => {
    expect(validateReasonBytes('a'.repeat(256))).toBeUndefined();
    expect(validateReasonBytes('a'.repeat(257))).toBe(
      'The reason is 257 bytes; the limit is 256 bytes of UTF-8 (emoji and CJK characters count 3–4 bytes each). Shorten it by 1 byte.',
    );
    expect(validateReasonBytes('😀'.repeat(64))).toBeUndefined(); // 256 bytes
    expect(validateReasonBytes(`${'😀'.repeat(64)}a`)).toMatch(/^The reason is 257 bytes;.*by 1 byte\.$/);
    expect(validateReasonBytes(`${'中'.repeat(85)}a`)).toBeUndefined(); // 255 + 1
    expect(validateReasonBytes('中'.repeat(86))).toMatch(/is 258 bytes.*by 2 bytes\.$/);
    expect(validateReasonBytes('中'.repeat(10), 20)).toMatch(
      /is 30 bytes; the limit is 20 bytes.*by 10 bytes/,
    );
  });

  it('reads the typed reason back from the view state', () => {
    const values = (value: unknown) => ({
      [REASON_BLOCK_ID]: { [REASON_ACTION_ID]: { type: 'plain_text_input', value } },
    });
    expect(readCancelReason(values('  duplicate run \n'))).toEqual({ ok: true, reason: 'duplicate run' });
    expect(readCancelReason(values(null))).toEqual({ ok: true, reason: '' });
    expect(readCancelReason(values(42)).ok).toBe(false);
    expect(readCancelReason({}).ok).toBe(false);
    expect(readCancelReason('junk').ok).toBe(false);
  });
});

// ---- thread replies -----------------------------------------------------------------------------------

describe('thread replies', () => {
  it('puts one act on one line: who, what, outcome, reason, COS status and request id', () => {
    const reply = auditEntryReply(
      makeEntry(3, {
        action: 'cancelled',
        actor: { id: 'U0BOB', name: 'bob' },
        outcome: 'applied',
        reason: `wrong manifest ${HOSTILE}`,
        cosStatus: 'Cancelled',
        cosRequestId: 'NjA1ZmE3OTBfMTc',
      }),
    );
    const text = allText(reply);
    for (const fragment of [
      '<@U0BOB>',
      'cancelled the job',
      '`applied`',
      'wrong manifest',
      '`Cancelled`',
      'NjA1ZmE3OTBfMTc',
    ]) {
      expect(text).toContain(fragment);
    }
    expectNoInjection(reply);
    expectWithinSlackLimits(reply);
  });

  it('names the bot as the actor for system entries and copes with actions it does not know', () => {
    const reply = auditEntryReply(
      makeEntry(1, { actor: { id: 'system', name: 'cosjob' }, action: 'future_act' as AuditAction }),
    );
    expect(allText(reply)).toContain('cosjob did `future_act`');
  });

  it('shows a short trail whole, newest last, with a passing verification', () => {
    const entries = [
      makeEntry(1, { action: 'posted', actor: { id: 'system', name: 'cosjob' } }),
      makeEntry(2, { action: 'approve_vote' }),
      makeEntry(3, { action: 'approved', cosStatus: 'Ready' }),
    ];
    const message = auditTrailMessage(entries, { ok: true, entries: 3, headHash: 'deadbeef'.repeat(8) });
    const text = allText(message);
    expect(text).toContain('✅ Hash chain verified: 3 entries');
    expect(text.indexOf('#1 ')).toBeLessThan(text.indexOf('#2 '));
    expect(text.indexOf('#2 ')).toBeLessThan(text.indexOf('#3 '));
    expect(text).not.toContain('older entr');
    expectWithinSlackLimits(message);
  });

  it('names the first problem when verification fails', () => {
    const verify: VerifyResult = {
      ok: false,
      entries: 7,
      problem: { kind: 'edited', seq: 4, streamId: '1-0', detail: 'hash mismatch <!channel>' },
    };
    const message = auditTrailMessage([makeEntry(1)], verify);
    expect(allText(message)).toContain('❌ *Hash chain verification failed*');
    expect(allText(message)).toContain('entry #4 was edited: hash mismatch &lt;!channel&gt;');
    expect(message.text).toContain('CHAIN VERIFICATION FAILED');
  });

  it('keeps a 5000-entry trail within limits: newest entries shown, older ones summarised', () => {
    const actions: AuditAction[] = ['approve_vote', 'reminded', 'status_changed'];
    const entries = Array.from({ length: 5000 }, (_, i) =>
      makeEntry(i + 1, { action: actions[i % 3] as AuditAction, reason: `reason ${i + 1} ${HOSTILE}` }),
    );
    const message = auditTrailMessage(entries, { ok: true, entries: 5000 });
    expectWithinSlackLimits(message);
    expectNoInjection(message);
    const text = allText(message);
    expect(text).toContain('#5000 ');
    expect(text).not.toMatch(/#1 /);
    const summary = /([\d,]+) older entries not shown/.exec(text);
    expect(summary).not.toBeNull();
    const omitted = Number(summary?.[1]?.replace(/,/g, ''));
    const shownLines =
      texts(message.blocks)
        .join('\n')
        .match(/^#\d+ /gm) ?? [];
    expect(omitted + shownLines.length).toBe(5000);
    expect(text).toMatch(/approve_vote ×\d+/);
  });

  it('handles an empty trail', () => {
    const message = auditTrailMessage([], { ok: true, entries: 0 });
    expect(allText(message)).toContain('No audit entries');
    expectWithinSlackLimits(message);
  });

  it('reports progress as a floor percentage with counters', () => {
    const reply = progressReply(
      makeJob({ status: 'Active', progress: { totalTasks: 1000, succeededTasks: 994, failedTasks: 5 } }),
    );
    expect(allText(reply)).toContain('*Active*: 99% done');
    expect(allText(reply)).toContain('994 succeeded, 5 failed of 1,000 tasks');
    expect(
      allText(progressReply(makeJob({ progress: { totalTasks: 0, succeededTasks: 0, failedTasks: 0 } }))),
    ).toContain('no tasks counted yet');
  });

  it.each([
    ['Complete', '🏁 Complete'],
    ['Failed', '❌ Failed'],
    ['Cancelled', '🛑 Cancelled'],
  ])('summarises a %s job with its counters', (status, title) => {
    const summary = finishedSummary(
      makeJob({
        status,
        terminationDate: '2026-01-02T00:00:00Z',
        progress: { totalTasks: 3, succeededTasks: 2, failedTasks: 1 },
        failureReasons: [{ code: 'NoSuchKey', reason: 'a.jpg is gone' }],
      }),
    );
    const text = allText(summary);
    expect(text).toContain(title);
    expect(text).toContain('2 succeeded, 1 failed');
    expect(text).toContain('*Failure reasons (1):*');
    expect(text).toContain('`NoSuchKey` a.jpg is gone');
    expect(text).not.toContain('more failure reason');
    expectWithinSlackLimits(summary);
  });

  it('lists as many of 300 failure reasons as fit and counts the rest', () => {
    const failures = Array.from({ length: 300 }, (_, i) => ({
      code: `Code${i + 1}`,
      reason: `object key-${i + 1}.jpg failed ${HOSTILE} ${'z'.repeat(100)}`,
    }));
    const summary = finishedSummary(makeJob({ status: 'Failed', failureReasons: failures }));
    expectWithinSlackLimits(summary);
    expectNoInjection(summary);
    const text = allText(summary);
    expect(text).toContain('*Failure reasons (300):*');
    const shown = text.match(/^• `Code\d+`/gm)?.length ?? 0;
    const more = Number(/…and ([\d,]+) more failure reasons? not shown/.exec(text)?.[1]?.replace(/,/g, ''));
    expect(shown).toBeGreaterThan(10);
    expect(shown + more).toBe(300);
    expect(text).toContain('`Code1` ');
  });

  it('explains a change made outside Slack', () => {
    const reply = changedOutsideReply('Active');
    expect(allText(reply)).toContain('changed outside Slack');
    expect(allText(reply)).toContain('*Active*');
    expectNoInjection(changedOutsideReply(HOSTILE));
  });

  it('reminds approvers and approver groups by mention', () => {
    const reply = reminderReply({
      approverUserIds: ['U0ALICE', HOSTILE],
      approverUsergroupIds: ['S0APPROVERS', '<!channel>'],
      waitingMinutes: 125,
    });
    const text = allText(reply);
    expect(text).toContain('<@U0ALICE>');
    expect(text).toContain('<!subteam^S0APPROVERS>');
    expect(text).toContain('2 hours 5 minutes');
    expectNoInjection(reply);
    expect(
      allText(reminderReply({ approverUserIds: [], approverUsergroupIds: [], waitingMinutes: 1 })),
    ).toContain('1 minute');
  });

  it('announces expiry with the window in hours', () => {
    expect(allText(expiredReply(24))).toContain('No decision within 24 hours');
    expect(allText(expiredReply(1))).toContain('within 1 hour:');
  });
});

// ---- ephemerals and commands --------------------------------------------------------------------------

describe('ephemeral and command output', () => {
  it('says what was refused, why, and what to do, with COS references', () => {
    const message = refusalMessage({
      what: 'Approve job 53dc',
      why: `You already voted ${HOSTILE}`,
      whatToDo: 'Ask another approver, or use `/cosjob status <JobId>`.',
      cosCode: 'InvalidRequest',
      requestId: 'NjA1Zm',
    });
    const text = allText(message);
    expect(text).toContain('🚫 *Approve job 53dc*: not done.');
    expect(text).toContain('*Why:* You already voted');
    expect(text).toContain('*What to do:* Ask another approver');
    expect(text).toContain('COS error code `InvalidRequest`');
    expect(text).toContain('COS request id `NjA1Zm`');
    expectNoInjection(message);
    expectWithinSlackLimits(message);
  });

  it('lists jobs with buttons that fit their status', () => {
    const message = jobListMessage([
      { account: 'default', region: REGION, job: makeSummary(1, { status: 'Suspended' }) },
      { account: 'default', region: 'ap-beijing', job: makeSummary(2, { status: 'Active' }) },
      { account: 'default', region: REGION, job: makeSummary(3, { status: 'Complete' }) },
      { account: 'default', region: REGION, job: makeJob({ status: 'Suspended' }) },
    ]);
    expectWithinSlackLimits(message);
    const rows = message.blocks.filter((b) => b.type === 'actions');
    expect(rows.map((row) => buttons([row]).map((b) => b.action_id))).toEqual([
      [ACTION_IDS.approve, ACTION_IDS.cancel, ACTION_IDS.audit],
      [ACTION_IDS.cancel, ACTION_IDS.audit],
      [ACTION_IDS.audit],
      [ACTION_IDS.approve, ACTION_IDS.cancel, ACTION_IDS.audit],
    ]);
    const second = buttons([rows[1] as KnownBlock])[0];
    expect(decodeJobRef(second?.value)).toEqual({
      ok: true,
      ref: { account: 'default', region: 'ap-beijing', jobId: 'job-0002' },
    });
    expect(message.text).toBe('4 COS batch jobs, 2 awaiting approval.');
  });

  it('shows the first jobs of 200 and says how many more', () => {
    const items = Array.from({ length: 200 }, (_, i) => ({
      account: 'default',
      region: REGION,
      job: makeSummary(i + 1, { description: `${HOSTILE} ${'d'.repeat(500)}` }),
    }));
    const message = jobListMessage(items);
    expectWithinSlackLimits(message);
    expectNoInjection(message);
    const shownRows = message.blocks.filter((b) => b.type === 'actions').length;
    const match = /Showing the first (\d+) of 200 jobs; (\d+) more not shown/.exec(allText(message));
    expect(Number(match?.[1])).toBe(shownRows);
    expect(Number(match?.[1]) + Number(match?.[2])).toBe(200);
    expect(shownRows).toBeGreaterThan(5);
  });

  it('says so when no job matches', () => {
    const message = jobListMessage([]);
    expect(allText(message)).toContain('No jobs match');
    expectWithinSlackLimits(message);
  });

  it('shows one job in detail, including its failure reasons', () => {
    const job = makeJob({
      status: 'Failed',
      statusUpdateReason: 'too many failures',
      terminationDate: '2026-01-02T00:00:00Z',
      failureReasons: Array.from({ length: 25 }, (_, i) => ({ code: 'AccessDenied', reason: `key ${i}` })),
      report: {
        bucket: 'reports-125',
        enabled: true,
        format: 'Report_CSV_V1',
        prefix: 'jobs/',
        reportScope: 'AllTasks',
      },
    });
    const message = jobStatusMessage({ account: 'default', region: REGION, jobId: JOB_ID }, job);
    const text = allText(message);
    expect(text).toContain(`Job ${JOB_ID}`);
    expect(text).toContain('too many failures');
    expect(text).toContain('*Failure reasons (25):*');
    expect(text).toContain('…and 5 more');
    expect(text).toContain('`reports-125`');
    expect(buttons(message.blocks).map((b) => b.action_id)).toEqual([ACTION_IDS.audit]);
    expectWithinSlackLimits(message);

    const suspended = jobStatusMessage(
      { account: 'default', region: REGION, jobId: JOB_ID },
      makeJob({ description: `${HOSTILE}${'&'.repeat(50_000)}` }),
    );
    expect(buttons(suspended.blocks).map((b) => b.action_id)).toEqual([
      ACTION_IDS.approve,
      ACTION_IDS.cancel,
      ACTION_IDS.audit,
    ]);
    expectWithinSlackLimits(suspended);
    expectNoInjection(suspended);
  });

  it('lists every subcommand in the help, with placeholders escaped so Slack shows them', () => {
    const message = helpMessage();
    const raw = allText(message);
    expect(raw).not.toMatch(/<(JobId|reason|status)>/);
    const text = raw.replace(/&lt;/g, '<').replace(/&gt;/g, '>');
    for (const usage of [
      '/cosjob list [status]',
      '/cosjob status <JobId>',
      '/cosjob approve <JobId> [reason]',
      '/cosjob cancel <JobId> <reason>',
      '/cosjob audit <JobId>',
      '--region R',
    ]) {
      expect(text).toContain(usage);
    }
    expectWithinSlackLimits(message);
  });
});

describe('finished card keeps the decision', () => {
  it('still says who approved or cancelled, when and why, after the job ends', () => {
    const finished = (decision?: Extract<CardPhase, { kind: 'finished' }>['decision']): SlackMessage =>
      jobCard({
        account: 'default',
        region: REGION,
        job: makeJob({ status: 'Complete' }),
        phase: {
          kind: 'finished',
          status: 'Complete',
          progress: { totalTasks: 10, succeededTasks: 10, failedTasks: 0 },
          failureReasons: [],
          at: '2026-11-29T03:00:00Z',
          ...(decision ? { decision } : {}),
        },
        approvals: { required: 1, voterIds: [] },
      });
    const approved = allText(
      finished({
        action: 'approve',
        byUserIds: ['UALICE', 'UBOB'],
        at: '2026-11-29T02:00:00Z',
        reason: 'change 42',
      }),
    );
    expect(approved).toContain('Approved by <@UALICE>');
    expect(approved).toContain('<@UBOB>');
    expect(approved).toContain('change 42');
    expect(
      allText(finished({ action: 'cancel', byUserIds: ['system'], at: '2026-11-29T02:00:00Z' })),
    ).toContain('Cancelled automatically by cosjob');
    expect(allText(finished())).not.toContain('Approved by');
    expectWithinSlackLimits(
      finished({
        action: 'approve',
        byUserIds: ['UALICE'],
        at: '2026-11-29T02:00:00Z',
        reason: 'x'.repeat(5000),
      }),
    );
  });
});
