/** The words for a decision's outcome: the core returns codes and data, these render them for people. */
import { describe, expect, it } from 'vitest';
import type { DecisionResult, Refusal } from '../../src/approvals/decision.js';
import { outcomeText } from '../../src/decision-text.js';
import { outcomeMessage } from '../../src/slack/decisions.js';

const subject = { action: 'approve', account: 'default', region: 'ap-guangzhou', jobId: 'job_1' } as const;
const alice = { id: 'UALICE', name: 'alice' };

describe('outcomeText', () => {
  it.each<[Refusal, RegExp]>([
    [{ kind: 'refused', code: 'invalid_input', problem: 'job_id' }, /not a valid COS JobId/],
    [{ kind: 'refused', code: 'invalid_input', problem: 'reason_too_long' }, /at most 256 bytes/],
    [
      { kind: 'refused', code: 'reason_required', rule: 'deletes' },
      /A reason is required to approve this job: its rule deletes/,
    ],
    [
      { kind: 'refused', code: 'unknown_region', configuredRegions: ['ap-shanghai'] },
      /Region ap-guangzhou is not one cosjob watches \(configured: ap-shanghai\)/,
    ],
    [
      { kind: 'refused', code: 'not_approver', policy: 'not_listed' },
      /You can't approve this job: you are not an approver/,
    ],
    [{ kind: 'refused', code: 'not_approver', policy: 'membership_unknown' }, /usergroups:read/],
    [
      { kind: 'refused', code: 'not_approver', policy: 'system_reserved' },
      /only cosjob itself acts as "system"/,
    ],
    [{ kind: 'refused', code: 'unknown_job' }, /no card for job job_1 in ap-guangzhou/],
    [
      { kind: 'refused', code: 'already_voted', votes: 1, required: 2 },
      /already approved this job \(1 of 2 approvals\)/,
    ],
    [
      { kind: 'refused', code: 'busy', heldBy: alice, heldAction: 'cancel' },
      /alice is already cancelling this job/,
    ],
    [{ kind: 'refused', code: 'busy' }, /Someone is already acting on this job/],
    [
      {
        kind: 'refused',
        code: 'already_decided',
        heldBy: alice,
        heldAction: 'approve',
        decidedAt: '2026-01-01T00:00:00Z',
      },
      /already approved by alice at 2026-01-01T00:00:00Z/,
    ],
    [
      { kind: 'refused', code: 'job_changed', changes: ['manifest ETag changed'] },
      /changed since it was posted \(manifest ETag changed\)/,
    ],
    [
      { kind: 'refused', code: 'not_suspended', cosStatus: 'Active' },
      /The job is Active, not waiting for confirmation/,
    ],
    [
      { kind: 'refused', code: 'finished', cosStatus: 'Complete' },
      /already Complete; there is nothing to cancel/,
    ],
  ])('%o', (refusal, expected) => {
    expect(outcomeText(subject, refusal)).toMatch(expected);
  });

  it('says what COS did, and keeps the COS explanation of a failure', () => {
    const approved: DecisionResult = {
      account: 'default',
      kind: 'approved',
      region: subject.region,
      jobId: subject.jobId,
      cosStatus: 'Ready',
      approverIds: ['UALICE'],
      auditRecorded: true,
    };
    expect(outcomeText(subject, approved)).toBe('Approved: COS now reports the job as Ready.');
    const vote: DecisionResult = {
      account: 'default',
      kind: 'vote_recorded',
      region: subject.region,
      jobId: subject.jobId,
      votes: 1,
      required: 3,
      voterIds: ['UALICE'],
    };
    expect(outcomeText(subject, vote)).toMatch(/^Approval recorded: 1 of 3\. .*2 more approver/);
    const refusedByCos: DecisionResult = {
      kind: 'failed',
      code: 'cos_error',
      cosCall: 'UpdateJobStatus',
      cos: {
        message: 'no',
        code: 'InvalidRequest',
        requestId: 'req-1',
        explanation: 'COS refused the state.',
      },
    };
    expect(outcomeText(subject, refusedByCos)).toBe('COS refused the change. COS refused the state.');
    const unknown: DecisionResult = { kind: 'failed', code: 'result_unknown', cos: { message: 'timed out' } };
    expect(outcomeText(subject, unknown)).toMatch(/may still take effect.*do not retry yet\. timed out$/);
  });
});

describe('outcomeMessage (Slack)', () => {
  it('adds what to do to a refusal, and the COS code and request id to a failure', () => {
    const refused = outcomeMessage(subject, { kind: 'refused', code: 'not_approver', policy: 'not_listed' });
    expect(refused.text).toContain('not done');
    expect(JSON.stringify(refused.blocks)).toContain('*What to do:* Ask an approver to act');
    const failed = outcomeMessage(subject, {
      kind: 'failed',
      code: 'cos_error',
      cosCall: 'DescribeJob',
      cos: { message: 'm', code: 'AccessDenied', requestId: 'req-9' },
    });
    const blocks = JSON.stringify(failed.blocks);
    expect(blocks).toContain('could not read the job from COS');
    expect(blocks).toContain('AccessDenied');
    expect(blocks).toContain('req-9');
  });
});
