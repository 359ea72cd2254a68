/**
 * One use case for every way of acting on a job: buttons, the modal, slash commands, the CLI and the
 * watcher's auto-cancel. The order of steps is what makes it safe; see the README's approval design.
 * It returns codes and data; the Slack layer and the CLI say them in words.
 */
import { randomUUID } from 'node:crypto';
import { hasControlCharacters } from '../audit/codec.js';
import type { AuditEntryInput, AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { CosClientSet } from '../cos/client-set.js';
import { cosErrorDetails } from '../cos/errors.js';
import { type CosJobsApi, isFinished, type Job, type RequestedJobStatus } from '../cos/model.js';
import { isValidJobId, MAX_STATUS_UPDATE_REASON_BYTES, truncateUtf8 } from '../cos/validation.js';
import { entryIdPart, type JobRef } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { type AppliedRule, type RuleBook, type RuleStamp, stampOf } from '../rules/applied.js';
import type { Rule } from '../rules/types.js';
import { Attempt, cosAuditFields, type RefusalGate } from './attempt.js';
import {
  type DecisionAction,
  type DecisionOutcome,
  type DecisionRequest,
  type DecisionResult,
  type DecisionSource,
  type Intent,
  MAX_REASON_BYTES,
  normaliseReason,
  type Refusal,
  type StoredDecision,
} from './decision.js';
import type { DecisionStore } from './decision-store.js';
import { CorruptRecordError, differencesFromShown, type JobRecord, type JobRecords } from './job-records.js';
import type { ApprovalPolicy } from './policy.js';
import { type EngineEvents, SYSTEM_ACTOR } from './ports.js';

export interface DecideSettings {
  /** How long a claim protects an act in flight; longer than a COS call with its reconciliation. */
  claimTtlMs: number;
}

export interface DecideDeps {
  store: DecisionStore;
  records: JobRecords;
  audit: AuditTrail;
  policy: ApprovalPolicy;
  /** The approval rules: each job's rule says who may act on it, how many must approve and what reasons. */
  rules: RuleBook;
  clients: CosClientSet;
  events: EngineEvents;
  clock: Clock;
  logger: Logger;
  settings: DecideSettings;
  /** Per-user rate limit on audited refusals; without it every refusal is audited. */
  refusals?: RefusalGate;
}

export interface DecideHooks {
  /**
   * Runs once this request holds the job's claim, before COS is asked (the Slack layer shows the card as
   * in progress). A failure here is logged and does not stop the decision.
   */
  onClaimed?: () => Promise<unknown>;
}

export class DecisionService {
  constructor(private readonly d: DecideDeps) {}

  async decide(asked: DecisionRequest, hooks: DecideHooks = {}): Promise<DecisionOutcome> {
    const request = asked.reason === undefined ? asked : { ...asked, reason: normaliseReason(asked.reason) };
    const attempt = new Attempt(request, this.d.audit, this.d.logger, this.d.refusals);
    const result = await this.run(attempt, hooks);
    const outcome: DecisionOutcome = { ...result, entries: attempt.entries };
    // One place sees every outcome, whoever asked (Slack, CLI, watcher): logs and metrics subscribe.
    await this.d.events.emit('decision_made', { request, outcome });
    return outcome;
  }

  private async run(attempt: Attempt, hooks: DecideHooks): Promise<DecisionResult> {
    const { request } = attempt;
    // 0. Input.
    const invalid = invalidInput(request) ?? this.unrecordable(attempt, {});
    if (invalid) return invalid;
    if (!this.d.clients.hasAccount(request.account)) {
      return { kind: 'refused', code: 'unknown_account', configuredAccounts: this.d.clients.accounts() };
    }
    // The client of the job's own account: only that account's key ever signs a call about the job.
    const client = this.d.clients.get(request.account, request.region);
    if (!client) {
      return {
        kind: 'refused',
        code: 'unknown_region',
        configuredRegions: this.d.clients.regionsOf(request.account),
      };
    }
    // Only the watcher itself acts as `system`; anything else claiming to be it is refused.
    if (request.actor.id === SYSTEM_ACTOR.id && request.source !== 'watcher') {
      return attempt.refuse({ kind: 'refused', code: 'not_approver', policy: 'system_reserved' });
    }

    try {
      // 1. Policy, before any COS call: by the rule of the job as cosjob last described it, or, for a job
      // it has no record of, by every rule (the re-check with the job as COS describes it now decides).
      const record = await this.d.records.get(refOf(request));
      const known = record ? this.ruleOf(request, record.job) : undefined;
      if (known) attempt.rule = stampOf(known);
      const refusal = known
        ? await this.ruleRefusal(request, known.rule)
        : await this.policyRefusal(request, undefined);
      if (refusal) return refusal.code === 'reason_required' ? refusal : attempt.refuse(refusal);
      return await this.decideAsApprover(attempt, client, hooks, record, known);
    } catch (error) {
      // Any store failure before COS was called ends here: nothing was sent to COS.
      const damagedRecord = error instanceof CorruptRecordError;
      if (damagedRecord) {
        this.d.logger.error('decision stopped: damaged job record', { error, jobId: request.jobId });
      } else {
        this.d.logger.warn('decision stopped: store unavailable', { error, jobId: request.jobId });
      }
      return { kind: 'failed', code: 'store_unavailable', damagedRecord };
    }
  }

  private ruleOf(where: JobRef, job: Job): AppliedRule {
    return this.d.rules.forJob(job, { region: where.region, account: where.account });
  }

  /** Whether the person may act by `rule` (undefined: by any rule), as a not_approver refusal if not. */
  private async policyRefusal(
    request: DecisionRequest,
    rule: Rule | undefined,
  ): Promise<Refusal | undefined> {
    const verdict = rule
      ? await this.d.policy.check(request.actor.id, rule.requires.approvers)
      : await this.d.policy.checkAny(request.actor.id, this.d.rules.everyApprovers());
    return verdict.allowed ? undefined : { kind: 'refused', code: 'not_approver', policy: verdict.refusal };
  }

  /** What `rule` asks of this request: an approver, and a reason when it requires one. */
  private async ruleRefusal(request: DecisionRequest, rule: Rule): Promise<Refusal | undefined> {
    const policy = await this.policyRefusal(request, rule);
    if (policy) return policy;
    const required =
      request.action === 'approve'
        ? rule.requires.requireReasonToApprove
        : rule.requires.requireReasonToCancel;
    // The watcher's auto-cancel gives its own reason; cosjob itself is never asked for one.
    if (required && !request.reason?.trim() && request.actor.id !== SYSTEM_ACTOR.id) {
      return { kind: 'refused', code: 'reason_required', rule: rule.name };
    }
    return undefined;
  }

  private async decideAsApprover(
    attempt: Attempt,
    client: CosJobsApi,
    hooks: DecideHooks,
    record: JobRecord | undefined,
    known: AppliedRule | undefined,
    retried = false,
  ): Promise<DecisionResult> {
    const { request } = attempt;
    const ref = refOf(request);
    const { store } = this.d;

    const standing = await this.standingDecision(request);
    if (standing) return attempt.refuse(standing);
    if (request.requireAnnouncedJob && !record) {
      return attempt.refuse({ kind: 'refused', code: 'unknown_job' });
    }

    // 2a. Votes: approvals by distinct approvers; COS is called when the rule's Nth arrives. A vote only
    // counts for the job the card showed, under the rule the job has now: both are re-checked first.
    let approverIds = [request.actor.id];
    let countedUnder = known;
    if (request.action === 'approve' && (known === undefined || known.rule.requires.approvals > 1)) {
      const checked = await this.checkJobBeforeVote(attempt, client);
      if (checked.kind === 'result') return checked.result;
      countedUnder = checked.applied;
      if (countedUnder.rule.requires.approvals > 1) {
        const votes = await this.vote(attempt, countedUnder);
        if (votes.kind === 'decided') {
          return this.decideAsApprover(attempt, client, hooks, record, countedUnder, retried);
        }
        if (votes.kind === 'result') return votes.result;
        approverIds = votes.approverIds;
      }
    }

    // 2b. Claim: first writer wins across clicks, retries and replicas.
    const intentId = randomUUID();
    const at = new Date(this.d.clock.now()).toISOString();
    const holder = { intentId, actor: request.actor, action: request.action, at };
    if (!(await store.claim(ref, holder, this.d.settings.claimTtlMs))) {
      const current = await store.claimHolder(ref);
      return attempt.refuse({
        kind: 'refused',
        code: 'busy',
        ...(current ? { heldBy: current.actor, heldAction: current.action } : {}),
      });
    }

    const release = () => store.releaseClaim(ref, intentId).catch(() => undefined);
    try {
      const decidedMeanwhile = await this.standingDecision(request);
      if (decidedMeanwhile) {
        await release();
        return attempt.refuse(decidedMeanwhile);
      }
      const acted = await this.act(attempt, client, intentId, approverIds, release, countedUnder, hooks);
      if (acted.kind !== 'rule_moved') return acted.result;
      // The job's rule is not the one the approvals were counted under (the job as COS describes it now
      // falls under another): count again under it, once.
      if (retried) {
        return attempt.refuse(
          {
            kind: 'refused',
            code: 'job_changed',
            changes: [`the approval rule for the job changed to ${acted.applied.rule.name} while deciding`],
          },
          {},
        );
      }
      return this.decideAsApprover(attempt, client, hooks, record, acted.applied, true);
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * A decision stands against later attempts, except that a job approved by mistake can still be
   * cancelled while it has not finished (COS accepts Cancelled on a running job).
   */
  private async standingDecision(request: DecisionRequest): Promise<Refusal | undefined> {
    const decision = await this.d.store.decision(refOf(request));
    if (!decision || (decision.action === 'approve' && request.action === 'cancel')) return undefined;
    return {
      kind: 'refused',
      code: 'already_decided',
      heldBy: decision.actor,
      heldAction: decision.action,
      decidedAt: decision.at,
    };
  }

  private async vote(
    attempt: Attempt,
    applied: AppliedRule,
  ): Promise<
    | { kind: 'decided' }
    | { kind: 'result'; result: DecisionResult }
    | { kind: 'enough'; approverIds: string[] }
  > {
    const { account, region, jobId, actor } = attempt.request;
    const ref = refOf(attempt.request);
    const required = applied.rule.requires.approvals;
    const rule = applied.rule.name;
    const vote = await this.d.store.vote(ref, actor.id);
    if (vote.kind === 'decided') return vote;
    const { added, count } = vote;
    if (!added && count < required) {
      return {
        kind: 'result',
        result: await attempt.refuse({
          kind: 'refused',
          code: 'already_voted',
          votes: count,
          required,
          rule,
        }),
      };
    }
    // A repeated vote when enough votes are in (an earlier final attempt failed) retries the approval.
    if (added) {
      try {
        await attempt.record({ action: 'approve_vote', outcome: `${count} of ${required}` });
      } catch (error) {
        await this.d.store.withdrawVote(ref, actor.id).catch(() => undefined);
        throw error;
      }
    }
    const voterIds = await this.d.store.votes(ref);
    if (count < required) {
      return {
        kind: 'result',
        result: { kind: 'vote_recorded', account, region, jobId, votes: count, required, voterIds, rule },
      };
    }
    // The decision is taken now: only votes of people the rule accepts now count.
    const approverIds = await this.currentApprovers(attempt, voterIds, applied.rule);
    if (approverIds.length < required) {
      return {
        kind: 'result',
        result: {
          kind: 'vote_recorded',
          account,
          region,
          jobId,
          votes: approverIds.length,
          required,
          voterIds: approverIds,
          rule,
        },
      };
    }
    return { kind: 'enough', approverIds };
  }

  /**
   * The voters the current policy still accepts. A vote by someone no longer an approver is withdrawn
   * and audited as dropped, with the policy's reason; one whose group membership Slack cannot confirm
   * just now is kept but not counted, so a later vote can complete the decision.
   */
  private async currentApprovers(
    attempt: Attempt,
    voterIds: readonly string[],
    rule: Rule,
  ): Promise<string[]> {
    const { actor } = attempt.request;
    const ref = refOf(attempt.request);
    const kept: string[] = [];
    for (const voterId of voterIds) {
      // The actor passed the policy check moments ago, in this request.
      const verdict =
        voterId === actor.id
          ? { allowed: true as const }
          : await this.d.policy.check(voterId, rule.requires.approvers);
      if (verdict.allowed) {
        kept.push(voterId);
        continue;
      }
      if (verdict.refusal === 'membership_unknown') continue;
      await this.d.store.withdrawVote(ref, voterId);
      await attempt.record({
        actor: { id: voterId, name: voterId },
        action: 'approve_vote',
        outcome: 'dropped',
        reason: `the vote of ${voterId} was dropped when the decision was taken: ${voterId} is not an approver now`,
      });
    }
    return kept;
  }

  /**
   * Before a vote is counted: the job as COS describes it now must still be the one the card showed, and
   * the rule it falls under now is the one the vote is counted under (and must accept the person).
   */
  private async checkJobBeforeVote(
    attempt: Attempt,
    client: CosJobsApi,
  ): Promise<{ kind: 'result'; result: DecisionResult } | { kind: 'checked'; applied: AppliedRule }> {
    const current = await this.currentJob(attempt, client);
    if (!current.ok) return { kind: 'result', result: current.result };
    const checked = await this.checkCurrent(attempt, current.job);
    if (checked.kind === 'refused') {
      const result =
        checked.refusal.code === 'reason_required'
          ? checked.refusal
          : await attempt.refuse(checked.refusal, { cosStatus: current.job.status });
      return { kind: 'result', result };
    }
    return { kind: 'checked', applied: checked.applied };
  }

  /**
   * The re-check of the job as COS describes it now: its rule (who may act, what reasons), that it can
   * still be approved or cancelled and is the job the card showed, and, when the rule is not the one the
   * job's votes were cast under, the votes the new rule does not accept dropped.
   */
  private async checkCurrent(
    attempt: Attempt,
    job: Job,
  ): Promise<{ kind: 'refused'; refusal: Refusal } | { kind: 'checked'; applied: AppliedRule }> {
    const { request } = attempt;
    const applied = this.ruleOf(request, job);
    attempt.rule = stampOf(applied);
    const refusal =
      (await this.ruleRefusal(request, applied.rule)) ?? (await this.recheck(request, job, applied));
    if (refusal) return { kind: 'refused', refusal };
    await this.followRuleChange(attempt, applied);
    return { kind: 'checked', applied };
  }

  /**
   * The watcher noticing, on its own, that a waiting job now falls under another rule (cosjob restarted
   * with another file): the same bookkeeping the next vote would do (votes the new rule does not accept
   * are withdrawn, the change is audited and recorded for the card), done at once so the card says so
   * without waiting for someone to click. Returns the rule the job is under now when it changed.
   */
  async noticeRuleChange(ref: JobRef, job: Job, record: JobRecord): Promise<RuleStamp | undefined> {
    // The caller's record (the watcher reads them in batches): a poll costs no extra read per job.
    const applied = this.ruleOf(ref, job);
    if (!record.rule || record.rule.hash === applied.hash) return undefined;
    const attempt = new Attempt(
      { ...ref, action: 'approve', actor: SYSTEM_ACTOR, source: 'watcher' },
      this.d.audit,
      this.d.logger,
    );
    attempt.rule = stampOf(applied);
    await this.followRuleChange(attempt, applied);
    return attempt.rule;
  }

  /**
   * Keeps the job record's rule current. When it differs from the rule the job's votes were cast under
   * (the rules changed while it waited), a vote is kept only if the new rule accepts its voter (one whose
   * group membership cannot be confirmed just now is kept, as at the decision); the rest are withdrawn
   * and audited, and the change is recorded for the card. Entry ids are fixed per change, so two
   * requests noticing it at once record it once.
   */
  private async followRuleChange(attempt: Attempt, applied: AppliedRule): Promise<void> {
    const ref = refOf(attempt.request);
    const job = entryIdPart(ref);
    const record = await this.d.records.get(ref);
    if (!record) return;
    const to = stampOf(applied);
    const from = record.rule;
    if (from === undefined) {
      await this.d.records.setRule(ref, to);
      return;
    }
    if (from.hash === to.hash) return;
    const voterIds = await this.d.store.votes(ref);
    let kept = 0;
    for (const voterId of voterIds) {
      const verdict = await this.d.policy.check(voterId, applied.rule.requires.approvers);
      if (verdict.allowed || verdict.refusal === 'membership_unknown') {
        kept += 1;
        continue;
      }
      await this.d.store.withdrawVote(ref, voterId);
      await attempt.record({
        entryId: `vote_dropped:${job}:${voterId}:${to.hash}`,
        actor: { id: voterId, name: voterId },
        action: 'approve_vote',
        outcome: 'dropped',
        reason: `the vote of ${voterId} was cast under rule ${from.name}; rule ${to.name} does not accept ${voterId} as an approver`,
      });
    }
    const dropped = voterIds.length - kept;
    await attempt.record({
      entryId: `rule_changed:${job}:${from.hash}:${to.hash}`,
      actor: SYSTEM_ACTOR,
      action: 'rule_changed',
      outcome: `${kept} of ${voterIds.length} votes kept`,
      reason: `rule changed while the job waited: was ${from.name} (${from.hash}), now ${to.name} (${to.hash})`,
    });
    await this.d.records.setRule(ref, to, { from, to, kept, dropped, at: this.d.clock.now() });
  }

  /** The job as COS describes it now, or the audited failure to read it. */
  private async currentJob(
    attempt: Attempt,
    client: CosJobsApi,
  ): Promise<{ ok: true; job: Job } | { ok: false; result: DecisionResult }> {
    try {
      return { ok: true, job: await client.describeJob(attempt.request.jobId) };
    } catch (error) {
      const cos = cosErrorDetails(error);
      await attempt.tryRecord({
        action: 'failed',
        outcome: 'error',
        reason: `DescribeJob failed: ${cos.message}`,
        ...cosAuditFields(cos),
      });
      return { ok: false, result: { kind: 'failed', code: 'cos_error', cosCall: 'DescribeJob', cos } };
    }
  }

  private async act(
    attempt: Attempt,
    client: CosJobsApi,
    intentId: string,
    approverIds: string[],
    release: () => Promise<unknown>,
    countedUnder: AppliedRule | undefined,
    hooks: DecideHooks,
  ): Promise<{ kind: 'done'; result: DecisionResult } | { kind: 'rule_moved'; applied: AppliedRule }> {
    const done = (result: DecisionResult) => ({ kind: 'done' as const, result });
    const { request } = attempt;
    const { account, region, jobId } = request;
    const ref = refOf(request);

    await hooks.onClaimed?.().catch((error) => {
      this.d.logger.warn('the onClaimed hook failed; deciding anyway', { error, jobId });
    });

    // 3. Re-check the job as COS describes it now, and the rule it falls under now.
    const current = await this.currentJob(attempt, client);
    if (!current.ok) {
      await release();
      return done(current.result);
    }
    const { job } = current;
    const checked = await this.checkCurrent(attempt, job);
    if (checked.kind === 'refused') {
      await release();
      const { refusal } = checked;
      return done(
        refusal.code === 'reason_required'
          ? refusal
          : await attempt.refuse(refusal, { cosStatus: job.status }),
      );
    }
    if (request.action === 'approve' && checked.applied.hash !== countedUnder?.hash) {
      const needed = checked.applied.rule.requires.approvals;
      if (needed > approverIds.length) {
        await release();
        return { kind: 'rule_moved', applied: checked.applied };
      }
    }

    // 4. Intent before effect: if it cannot be recorded, COS is not called.
    const requested: RequestedJobStatus = request.action === 'approve' ? 'Ready' : 'Cancelled';
    const intent: Intent = {
      intentId,
      account,
      region,
      jobId,
      action: request.action,
      requested,
      actor: request.actor,
      ...(request.reason ? { reason: request.reason } : {}),
      source: request.source,
      startedAt: this.d.clock.now(),
    };
    const intentEntry = {
      entryId: intentId,
      action: request.action === 'approve' ? 'approve_requested' : 'cancel_requested',
      outcome: 'intent',
      cosStatus: job.status,
    } as const;
    // The intent is only written when the audit will take its entry (and so the result's, which differs
    // only in fields COS answers were checked for).
    const unrecordable = this.unrecordable(attempt, intentEntry);
    if (unrecordable) {
      await release();
      return done(unrecordable);
    }
    await this.d.store.saveIntent(intent);
    // If this append fails, the entry may still have been written: the intent stays either way, and the
    // reconciler records that COS was never called, so no intent is left without a result.
    await attempt.record(intentEntry);

    // 5. The effect.
    const outcome = await client.updateJobStatus(jobId, requested, cosStatusReason(request));

    // 6. The result.
    if (outcome.kind === 'applied') {
      const cosStatus = outcome.result.status;
      const requestId = outcome.result.requestId;
      let auditRecorded = true;
      try {
        await attempt.record({
          entryId: `result:${intentId}`,
          action: request.action === 'approve' ? 'approved' : 'cancelled',
          outcome: outcome.reconciled ? 'applied (confirmed by DescribeJob)' : 'applied',
          cosStatus,
          intentId,
          ...(requestId ? { cosRequestId: requestId } : {}),
        });
        // The card renders from the recorded job; show the status COS now reports, not the one it was posted with.
        if (await this.d.records.exists(ref)) {
          await this.d.records.update(ref, { job: JSON.stringify({ ...job, status: cosStatus }) });
        }
        const decision: StoredDecision = {
          action: request.action,
          actor: request.actor,
          ...(request.reason ? { reason: request.reason } : {}),
          approverIds,
          at: new Date(this.d.clock.now()).toISOString(),
          cosStatus,
        };
        await this.d.store.settle(intent, decision);
      } catch (error) {
        // COS accepted the change; the intent stays for the reconciler to record the result.
        auditRecorded = false;
        this.d.logger.error(
          'COS applied a decision but its result could not be recorded; the reconciler will',
          { error, jobId, intentId },
        );
      }
      await this.d.events.emit('job_decided', {
        account,
        region,
        jobId,
        action: request.action,
        actor: request.actor,
        cosStatus,
      });
      return done({
        kind: request.action === 'approve' ? 'approved' : 'cancelled',
        account,
        region,
        jobId,
        cosStatus,
        ...(requestId ? { requestId } : {}),
        approverIds,
        auditRecorded,
      });
    }

    const cos = cosErrorDetails(outcome.error);
    if (outcome.kind === 'not_applied') {
      await attempt.tryRecord({
        entryId: `result:${intentId}`,
        action: 'failed',
        outcome: 'not_applied',
        intentId,
        reason: cos.explanation ?? cos.message,
        ...cosAuditFields(cos),
        ...(outcome.observedStatus ? { cosStatus: outcome.observedStatus } : {}),
      });
      await this.d.store.settle(intent).catch(() => undefined);
      return done({ kind: 'failed', code: 'cos_error', cosCall: 'UpdateJobStatus', cos });
    }

    // Unknown: keep the intent and the claim so nobody sends it again before the reconciler looks.
    await attempt.tryRecord({
      entryId: `result:${intentId}`,
      action: 'failed',
      outcome: 'unknown',
      intentId,
      reason: cos.message,
      ...cosAuditFields(cos),
    });
    return done({ kind: 'failed', code: 'result_unknown', cosCall: 'UpdateJobStatus', cos });
  }

  /**
   * A refusal when the audit trail would refuse `fields` for this request: nothing is written, and the
   * problems are logged (they name fields, never secrets).
   */
  private unrecordable(attempt: Attempt, fields: Partial<AuditEntryInput>): Refusal | undefined {
    const problems = attempt.problems({ action: 'denied', ...fields });
    if (problems.length === 0) return undefined;
    this.d.logger.warn('decision refused: the audit trail would not record it', {
      jobId: attempt.request.jobId,
      problems,
    });
    return { kind: 'refused', code: 'invalid_input', problem: 'audit_entry' };
  }

  private async recheck(
    request: DecisionRequest,
    job: Job,
    applied: AppliedRule,
  ): Promise<Refusal | undefined> {
    if (request.action === 'cancel') {
      return isFinished(job.status)
        ? { kind: 'refused', code: 'finished', cosStatus: job.status }
        : undefined;
    }
    if (job.status !== 'Suspended') return { kind: 'refused', code: 'not_suspended', cosStatus: job.status };
    const record = await this.d.records.get(refOf(request));
    if (!record) {
      // A typed command for a job the watcher has not announced yet: what the person approves is what
      // COS shows now, which becomes the record the card will show.
      await this.d.records.createIfAbsent(request, job, this.d.clock.now(), stampOf(applied));
      return undefined;
    }
    const changes = differencesFromShown(record.shown, job);
    return changes.length > 0 ? { kind: 'refused', code: 'job_changed', changes } : undefined;
  }
}

/** The job a request is about. */
function refOf(request: Pick<DecisionRequest, 'account' | 'region' | 'jobId'>): JobRef {
  return { account: request.account, region: request.region, jobId: request.jobId };
}

/** Step 0: a request that cannot be acted on as given (what the job's rule asks comes later). */
function invalidInput(request: DecisionRequest): Refusal | undefined {
  if (!isValidJobId(request.jobId)) return { kind: 'refused', code: 'invalid_input', problem: 'job_id' };
  if (request.action !== 'approve' && request.action !== 'cancel') {
    return { kind: 'refused', code: 'invalid_input', problem: 'action' };
  }
  if (request.reason !== undefined && Buffer.byteLength(request.reason) > MAX_REASON_BYTES) {
    return { kind: 'refused', code: 'invalid_input', problem: 'reason_too_long' };
  }
  if (request.reason !== undefined && hasControlCharacters(request.reason)) {
    return { kind: 'refused', code: 'invalid_input', problem: 'reason_control_characters' };
  }
  return undefined;
}

function sourceLabel(source: DecisionSource): string {
  switch (source) {
    case 'slack-button':
    case 'slack-modal':
    case 'slash-command':
      return 'Slack';
    case 'cli':
      return 'cosjob CLI';
    case 'watcher':
      return 'cosjob';
  }
}

const PAST: Record<DecisionAction, string> = { approve: 'approved', cancel: 'cancelled' };

/** The text COS stores with the change: the human, their id and why, within COS's 256 bytes. */
export function cosStatusReason(request: DecisionRequest): string {
  const base = `${PAST[request.action]} by ${request.actor.name} (${request.actor.id}) via ${sourceLabel(request.source)}`;
  const reason = request.reason?.trim();
  return truncateUtf8(reason ? `${base}: ${reason}` : base, MAX_STATUS_UPDATE_REASON_BYTES);
}
