/**
 * Approval rules at decision time, through the real Bolt receiver, the COS emulator and Redis: a job's
 * rule (chosen from DescribeJob) gives its approvers, how many must approve and whether a reason is
 * asked; the card names it; every vote and decision entry records it; a rule changed while a vote is
 * open keeps only the votes the new rule accepts.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/audit/types.js';
import { defaultRule } from '../../../src/rules/default-rule.js';
import { ruleHash } from '../../../src/rules/hash.js';
import type { Rule, RuleSet } from '../../../src/rules/types.js';
import { renderCard } from '../../../src/slack/cards.js';
import { ALICE, APPROVER_IDS, BOB, buttonsOf, type E2E, MALLORY, textOf, useE2E } from './harness.js';

const { start } = useE2E();

/** The default rule the harness's environment makes: ALICE or BOB, one approval, a reason to cancel. */
const DEFAULT = defaultRule(
  {
    approverUserIds: [...APPROVER_IDS],
    approverUsergroupIds: [],
    requiredApprovals: 1,
    requireCancelReason: true,
  },
  { pollIntervalSeconds: 60 },
);

function deleteRule(
  name: string,
  approvals: number,
  users: string[],
  more: Partial<Rule['requires']> = {},
): Rule {
  return {
    name,
    match: { operation: ['delete'] },
    requires: {
      approvals,
      approvers: { users, groups: [] },
      requireReasonToApprove: false,
      requireReasonToCancel: true,
      ...more,
    },
  };
}

const DELETES = deleteRule('deletes', 2, [ALICE.id, BOB.id]);
const rulesOf = (...rules: Rule[]): RuleSet => ({ rules, defaultRule: DEFAULT });

async function pendingDeleteJob(e2e: E2E): Promise<string> {
  const jobId = e2e.cos.createSuspendedJob(undefined, { operation: { kind: 'COSDeleteObject' } });
  await e2e.poll();
  return jobId;
}

const card = (e2e: E2E, jobId: string) => textOf(e2e.cardFor(jobId));
const lastEphemeral = (e2e: E2E) => textOf(e2e.slack.ephemerals().at(-1));
const byAction = (entries: AuditEntry[], action: string) => entries.filter((e) => e.action === action);

async function expectChainsVerify(e2e: E2E, jobId: string): Promise<void> {
  const [region] = e2e.regions;
  expect(
    (await e2e.runtime.audit.verify({ kind: 'job', account: e2e.account, region: region!, jobId })).ok,
  ).toBe(true);
  expect((await e2e.runtime.audit.verify({ kind: 'global' })).ok).toBe(true);
}

describe('approval rules at decision time', () => {
  it('a delete job under a 2-approval rule: a vote, a refused repeat, then Ready once on the second approver (buttons)', async () => {
    const e2e = await start({ rules: rulesOf(DELETES) });
    const jobId = await pendingDeleteJob(e2e);
    expect(card(e2e, jobId)).toContain('Rule *deletes*: 2 approvals from <@UALICE> or <@UBOB>');
    expect(card(e2e, jobId)).toContain('0 of 2 approvals');

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    expect(lastEphemeral(e2e)).toContain('Approval recorded: 1 of 2');
    expect(card(e2e, jobId)).toContain('1 of 2 approvals: <@UALICE>');

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    expect(lastEphemeral(e2e)).toMatch(/already/i);

    await e2e.click('cosjob_approve', { jobId }, BOB);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).status).toBe('Ready');
    expect(buttonsOf(e2e.cardFor(jobId))).toEqual(['cosjob_audit']);

    const entries = await e2e.auditEntries(jobId);
    const hash = ruleHash(DELETES);
    // Every vote, refusal and decision names the rule and its hash; the card's posting does not.
    const judged = entries.filter((e) => e.action !== 'posted');
    expect(judged.map((e) => e.action)).toEqual([
      'approve_vote',
      'denied',
      'approve_vote',
      'approve_requested',
      'approved',
    ]);
    for (const entry of judged)
      expect({ rule: entry.rule, ruleHash: entry.ruleHash }).toEqual({ rule: 'deletes', ruleHash: hash });
    expect(byAction(entries, 'posted')[0]?.rule).toBeUndefined();
    expect(byAction(entries, 'approve_vote').map((e) => e.outcome)).toEqual(['1 of 2', '2 of 2']);
    await expectChainsVerify(e2e, jobId);
  });

  it('the same rule through `/cosjob approve`: a vote, a refused repeat, then Ready once', async () => {
    const e2e = await start({ rules: rulesOf(DELETES) });
    const jobId = await pendingDeleteJob(e2e);

    const first = await e2e.command(`approve ${jobId}`, ALICE);
    expect(textOf(first.responses[0])).toContain('Approval recorded: 1 of 2');
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);

    const repeat = await e2e.command(`approve ${jobId}`, ALICE);
    expect(textOf(repeat.responses[0])).toMatch(/already/i);
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);

    await e2e.command(`approve ${jobId}`, BOB);
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).status).toBe('Ready');
    const approved = byAction(await e2e.auditEntries(jobId), 'approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({
      rule: 'deletes',
      ruleHash: ruleHash(DELETES),
      source: 'slash-command',
    });
  });

  it('a job no rule matches is under the default rule: one approval starts it', async () => {
    const e2e = await start({ rules: rulesOf(DELETES) });
    const { jobId } = await e2e.pendingCard();
    expect(card(e2e, jobId)).toContain('Rule *default*: 1 approval from <@UALICE> or <@UBOB>');

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const approved = byAction(await e2e.auditEntries(jobId), 'approved');
    expect(approved[0]).toMatchObject({ rule: 'default', ruleHash: ruleHash(DEFAULT) });
  });

  it('only the rule’s approvers may act: an approver of the default rule is refused on a job of another rule', async () => {
    const e2e = await start({ rules: rulesOf(deleteRule('deletes-bob', 1, [BOB.id])) });
    const jobId = await pendingDeleteJob(e2e);

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(lastEphemeral(e2e)).toContain('not an approver');
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    const denied = byAction(await e2e.auditEntries(jobId), 'denied');
    expect(denied[0]).toMatchObject({ actor: { id: ALICE.id }, rule: 'deletes-bob' });

    await e2e.click('cosjob_approve', { jobId }, BOB);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });

  it('a rule changed while a job waits is noticed by the watcher itself: the posted card says so before anyone clicks', async () => {
    const before = deleteRule('deletes', 3, [ALICE.id, BOB.id, MALLORY.id]);
    const after = deleteRule('deletes-strict', 3, [ALICE.id, BOB.id, 'UCAROL']);
    const first = await start({ rules: rulesOf(before) });
    const jobId = await pendingDeleteJob(first);
    await first.click('cosjob_approve', { jobId }, ALICE);
    await first.click('cosjob_approve', { jobId }, MALLORY);
    await first.settled();
    await first.stopRuntime();

    const second = await start({ rules: rulesOf(after), shareWith: first });
    await second.poll();
    await second.settled();
    const shown = card(second, jobId);
    expect(shown).toContain(
      'Rule changed while waiting: was *deletes*, now *deletes-strict*; 1 of 2 votes kept.',
    );
    expect(shown).toContain('Rule *deletes-strict*: 3 approvals');
    expect(shown).toContain('1 of 3 approvals: <@UALICE>');
    expect(second.statusUpdates(jobId)).toHaveLength(0);
    const entries = await second.auditEntries(jobId);
    expect(byAction(entries, 'rule_changed')).toHaveLength(1);
    expect(byAction(entries, 'rule_changed')[0]).toMatchObject({
      source: 'watcher',
      ruleHash: ruleHash(after),
    });
    expect(
      byAction(entries, 'approve_vote')
        .filter((e) => e.outcome === 'dropped')
        .map((e) => e.actor.id),
    ).toEqual([MALLORY.id]);

    // A second poll changes nothing more: the change is recorded once.
    await second.poll();
    await second.settled();
    expect(byAction(await second.auditEntries(jobId), 'rule_changed')).toHaveLength(1);
    await expectChainsVerify(second, jobId);
  });

  it('a rule changed while a vote is open: the card says so, and only votes the new rule accepts are kept', async () => {
    const before = deleteRule('deletes', 3, [ALICE.id, BOB.id, MALLORY.id]);
    const after = deleteRule('deletes-strict', 3, [ALICE.id, BOB.id, 'UCAROL']);
    const first = await start({ rules: rulesOf(before) });
    const jobId = await pendingDeleteJob(first);
    await first.click('cosjob_approve', { jobId }, ALICE);
    await first.click('cosjob_approve', { jobId }, MALLORY);
    await first.settled();
    expect(card(first, jobId)).toContain('2 of 3 approvals');

    // cosjob restarts with the new rules, on the same Redis, COS and Slack.
    await first.stopRuntime();
    const second = await start({ rules: rulesOf(after), shareWith: first });
    const [region] = second.regions;
    const waiting = await second.runtime.engine.cardState({
      account: second.account,
      region: region!,
      jobId,
    });
    expect(textOf(renderCard(waiting!))).toContain(
      'Rule changed while waiting: was *deletes*, now *deletes-strict*; votes cast so far are checked against it at the next vote.',
    );

    await second.click('cosjob_approve', { jobId }, BOB);
    await second.settled();
    expect(second.statusUpdates(jobId)).toHaveLength(0);
    const now = card(second, jobId);
    expect(now).toContain(
      'Rule changed while waiting: was *deletes*, now *deletes-strict*; 1 of 2 votes kept.',
    );
    expect(now).toContain('Rule *deletes-strict*: 3 approvals');
    expect(now).toMatch(/2 of 3 approvals: (<@UALICE>, <@UBOB>|<@UBOB>, <@UALICE>)/);
    expect(now).not.toContain('<@UMALLORY>');

    const entries = await second.auditEntries(jobId);
    const changed = byAction(entries, 'rule_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      outcome: '1 of 2 votes kept',
      rule: 'deletes-strict',
      ruleHash: ruleHash(after),
    });
    expect(changed[0]?.reason).toContain(
      `was deletes (${ruleHash(before)}), now deletes-strict (${ruleHash(after)})`,
    );
    const dropped = byAction(entries, 'approve_vote').filter((e) => e.outcome === 'dropped');
    expect(dropped.map((e) => e.actor.id)).toEqual([MALLORY.id]);
    // The votes before the change were recorded under the old rule, the new one under the new rule.
    const counted = byAction(entries, 'approve_vote').filter((e) => e.outcome !== 'dropped');
    expect(counted.map((e) => [e.actor.id, e.rule])).toEqual([
      [ALICE.id, 'deletes'],
      [MALLORY.id, 'deletes'],
      [BOB.id, 'deletes-strict'],
    ]);
    await expectChainsVerify(second, jobId);
  });

  it('require_reason_to_approve: a bare `/cosjob approve` is refused with what to do; with a reason it goes ahead', async () => {
    const reasons = deleteRule('deletes', 1, [ALICE.id], { requireReasonToApprove: true });
    const e2e = await start({ rules: rulesOf(reasons) });
    const jobId = await pendingDeleteJob(e2e);
    expect(card(e2e, jobId)).toContain('Rule *deletes*: 1 approval from <@UALICE>; a reason to approve');

    const bare = await e2e.command(`approve ${jobId}`, ALICE);
    const refusal = textOf(bare.responses[0]);
    expect(refusal).toContain('A reason is required to approve this job');
    expect(refusal).toContain(
      'give the reason in the dialog, or type `/cosjob approve &lt;JobId&gt; &lt;reason&gt;`',
    );
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);

    await e2e.command(`approve ${jobId} manifest checked with the data owners`, ALICE);
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).statusUpdateReason).toBe(
      'approved by alice (UALICE) via Slack: manifest checked with the data owners',
    );
  });

  it('require_reason_to_approve: Approve opens the reason dialog; an empty reason is refused in it, a reason approves', async () => {
    const reasons = deleteRule('deletes', 1, [ALICE.id], { requireReasonToApprove: true });
    const e2e = await start({ rules: rulesOf(reasons) });
    const jobId = await pendingDeleteJob(e2e);

    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);
    const opened = e2e.slack.callsTo('views.open');
    expect(opened).toHaveLength(1);
    const view = opened[0]!.params.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('cosjob_approve_reason');
    expect(textOf(view as { blocks?: unknown[] })).toContain('Its rule *deletes* asks approvers to say why');

    const empty = await e2e.submitCancel(view.private_metadata, null, ALICE, {
      callbackId: 'cosjob_approve_reason',
    });
    expect(((await empty.json()) as { errors: Record<string, string> }).errors.reason_block).toContain(
      'its rule asks for a reason',
    );
    expect(e2e.statusUpdates(jobId)).toHaveLength(0);

    // The cancel dialog's callback cannot carry an approve dialog's submission (nor the reverse).
    const crossed = await e2e.submitCancel(view.private_metadata, 'looks fine', ALICE);
    expect(((await crossed.json()) as { errors: Record<string, string> }).errors.reason_block).toContain(
      'did not open this dialog',
    );
    expect(e2e.job(jobId).status).toBe('Suspended');

    const submitted = await e2e.submitCancel(view.private_metadata, 'checked with the data owners', ALICE, {
      callbackId: 'cosjob_approve_reason',
    });
    expect(submitted.status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.job(jobId).status).toBe('Ready');
    const approved = byAction(await e2e.auditEntries(jobId), 'approved');
    expect(approved[0]).toMatchObject({
      rule: 'deletes',
      reason: 'checked with the data owners',
      source: 'slack-modal',
    });
  });

  it('per-rule reminders and auto-cancel: the delete rule’s apply to its job, the default (none) to the other', async () => {
    const timed = deleteRule('deletes', 1, [BOB.id], { remindAfterMinutes: 30, autoCancelAfterHours: 1 });
    const e2e = await start({ rules: rulesOf(timed) });
    const deleteJob = await pendingDeleteJob(e2e);
    const { jobId: copyJob } = await e2e.pendingCard();
    const threadOf = (jobId: string) => e2e.thread(e2e.cardFor(jobId)!).map(textOf);

    e2e.cos.clock.advance(31 * 60_000);
    await e2e.poll();
    const reminders = threadOf(deleteJob).filter((r) => r.includes('🔔'));
    expect(reminders).toHaveLength(1);
    // The rule's approvers are reminded, not the environment's.
    expect(reminders[0]).toContain('<@UBOB>');
    expect(reminders[0]).not.toContain('<@UALICE>');
    expect(threadOf(copyJob)).toHaveLength(0);

    e2e.cos.clock.advance(30 * 60_000);
    await e2e.poll();
    expect(e2e.job(deleteJob).statusUpdateReason).toBe(
      'cancelled by cosjob (system) via cosjob: expired: not approved within 1 h',
    );
    const expired = byAction(await e2e.auditEntries(deleteJob), 'cancelled');
    expect(expired[0]).toMatchObject({ rule: 'deletes', ruleHash: ruleHash(timed) });
    expect(e2e.job(copyJob).status).toBe('Suspended');
    expect(e2e.statusUpdates(copyJob)).toHaveLength(0);
  });
});
