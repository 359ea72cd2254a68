import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditEntryInput, AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import {
  type CosJobsApi,
  isFinished,
  type Job,
  type JobStatus,
  type RequestedJobStatus,
} from '../cos/model.js';
import { isValidJobId, truncateUtf8 } from '../cos/validation.js';
import type { Logger } from '../logger.js';
import type { KeySpace } from '../redis/keys.js';
import { releaseClaim } from './claims.js';
import { CorruptRecordError, differencesFromShown, type JobRecords } from './job-records.js';
import type { ApprovalPolicy } from './policy.js';
import type { EngineEvents, RedisClient } from './ports.js';

export type DecisionAction = 'approve' | 'cancel';
export type DecisionSource = 'slack-button' | 'slack-modal' | 'slash-command' | 'cli' | 'watcher';

export interface DecisionRequest {
  region: string;
  jobId: string;
  action: DecisionAction;
  actor: AuditActor;
  reason?: string;
  source: DecisionSource;
  /** Buttons point at a job cosjob announced: anything else is refused as unknown or foreign. */
  requireAnnouncedJob?: boolean;
  /** Where the gesture physically came from, kept in the audit (e.g. the OS user and host of a CLI call). */
  origin?: string;
}

export type RefusalCode =
  | 'invalid_input'
  | 'unknown_region'
  | 'not_approver'
  | 'unknown_job'
  | 'already_voted'
  | 'busy'
  | 'already_decided'
  | 'job_changed'
  | 'not_suspended'
  | 'finished'
  | 'reason_required';

export type FailureCode = 'store_unavailable' | 'cos_error' | 'result_unknown';

export type DecisionOutcome =
  | {
      kind: 'approved' | 'cancelled';
      region: string;
      jobId: string;
      cosStatus: JobStatus;
      requestId?: string;
      approverIds: string[];
      /** False when COS accepted but the result entry could not be written; the reconciler will write it. */
      auditRecorded: boolean;
      message: string;
    }
  | {
      kind: 'vote_recorded';
      region: string;
      jobId: string;
      votes: number;
      required: number;
      voterIds: string[];
      message: string;
    }
  | {
      kind: 'refused';
      code: RefusalCode;
      message: string;
      heldBy?: AuditActor;
      votes?: number;
      required?: number;
    }
  | { kind: 'failed'; code: FailureCode; message: string; cosCode?: string; requestId?: string };

export interface Intent {
  intentId: string;
  region: string;
  jobId: string;
  action: DecisionAction;
  requested: RequestedJobStatus;
  actor: AuditActor;
  reason?: string;
  source: DecisionSource;
  startedAt: number;
}

export interface StoredDecision {
  action: DecisionAction;
  actor: AuditActor;
  reason?: string;
  approverIds: string[];
  at: string;
  cosStatus: string;
}

export interface DecisionServiceOptions {
  redis: RedisClient;
  keys: KeySpace;
  audit: AuditTrail;
  records: JobRecords;
  policy: ApprovalPolicy;
  clients: ReadonlyMap<string, CosJobsApi>;
  events: EngineEvents;
  clock: Clock;
  logger: Logger;
  requiredApprovals: number;
  requireCancelReason: boolean;
  /** How long a claim protects an act in flight; longer than a COS call with its reconciliation. */
  claimTtlMs?: number;
}

const MAX_REASON_BYTES = 1024;
const COS_REASON_BYTES = 256;

// Counts a vote unless the job is already decided: returns [added (0|1), voteCount], or [-1, 0].
const VOTE_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0} end
local added = redis.call('SADD', KEYS[1], ARGV[1])
return {added, redis.call('SCARD', KEYS[1])}`;

interface CosErrorLike {
  code?: string;
  requestId?: string;
  explanation?: string;
  message: string;
}

function describeError(error: unknown): CosErrorLike {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; requestId?: unknown; explanation?: unknown };
    return {
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}),
      ...(typeof e.explanation === 'string' ? { explanation: e.explanation } : {}),
    };
  }
  return { message: String(error) };
}

/**
 * A decision stands against later attempts, except that a job approved by mistake can still be cancelled
 * while it has not finished (COS accepts Cancelled on a running job).
 */
function decisionBlocks(decision: StoredDecision, action: DecisionAction): boolean {
  return !(decision.action === 'approve' && action === 'cancel');
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

/** The text COS stores with the change: the human, their id and why, within COS's 256 bytes. */
export function cosStatusReason(request: DecisionRequest): string {
  const verb = request.action === 'approve' ? 'approved' : 'cancelled';
  const base = `${verb} by ${request.actor.name} (${request.actor.id}) via ${sourceLabel(request.source)}`;
  const reason = request.reason?.trim();
  return truncateUtf8(reason ? `${base}: ${reason}` : base, COS_REASON_BYTES);
}

/**
 * One use case for every way of acting on a job: buttons, the modal, slash commands, the CLI and the
 * watcher's auto-cancel. The order of steps is what makes it safe; see the README's approval design.
 */
export class DecisionService {
  private readonly claimTtlMs: number;

  constructor(private readonly o: DecisionServiceOptions) {
    this.claimTtlMs = o.claimTtlMs ?? 120_000;
  }

  async decide(request: DecisionRequest): Promise<DecisionOutcome> {
    const outcome = await this.decideUnobserved(request);
    // One place sees every outcome, whoever asked (Slack, CLI, watcher): logs and metrics subscribe.
    await this.o.events.emit('decision_made', { request, outcome });
    return outcome;
  }

  private async decideUnobserved(request: DecisionRequest): Promise<DecisionOutcome> {
    const invalid = this.validate(request);
    if (invalid) return invalid;
    const client = this.o.clients.get(request.region);
    if (!client) {
      return {
        kind: 'refused',
        code: 'unknown_region',
        message: `Region ${request.region} is not one cosjob watches (configured: ${[...this.o.clients.keys()].join(', ')}).`,
      };
    }

    // 1. Policy. Only the watcher itself acts as `system`; anything else claiming to be it is refused.
    const verdict =
      request.actor.id === 'system' && request.source !== 'watcher'
        ? ({ allowed: false, reason: 'only cosjob itself acts as "system".' } as const)
        : await this.o.policy.check(request.actor.id);
    if (!verdict.allowed) {
      await this.tryAudit(request, {
        action: 'denied',
        outcome: 'refused',
        reason: `${request.action} refused: ${verdict.reason}`,
      });
      return {
        kind: 'refused',
        code: 'not_approver',
        message: `You can't ${request.action} this job: ${verdict.reason}`,
      };
    }

    try {
      return await this.decideAsApprover(request, client);
    } catch (error) {
      // Any store failure before COS was called ends here: nothing was sent to COS.
      if (error instanceof CorruptRecordError) {
        this.o.logger.error('decision stopped: damaged job record', { error, jobId: request.jobId });
        return {
          kind: 'failed',
          code: 'store_unavailable',
          message: `${error.message} Nothing was sent to COS.`,
        };
      }
      this.o.logger.warn('decision stopped: store unavailable', { error, jobId: request.jobId });
      return {
        kind: 'failed',
        code: 'store_unavailable',
        message:
          'cosjob could not record this decision (its Redis store is unavailable), so nothing was sent to COS. Try again in a minute; if it persists, tell whoever runs cosjob.',
      };
    }
  }

  private validate(request: DecisionRequest): DecisionOutcome | undefined {
    const refuse = (message: string, code: RefusalCode = 'invalid_input'): DecisionOutcome => ({
      kind: 'refused',
      code,
      message,
    });
    if (!isValidJobId(request.jobId)) {
      return refuse('That is not a valid COS JobId (letters, digits, - and _; at most 64 bytes).');
    }
    if (request.action !== 'approve' && request.action !== 'cancel')
      return refuse('The action must be approve or cancel.');
    if (request.reason !== undefined && Buffer.byteLength(request.reason) > MAX_REASON_BYTES) {
      return refuse(`The reason is too long (at most ${MAX_REASON_BYTES} bytes; COS keeps the first 256).`);
    }
    if (
      request.action === 'cancel' &&
      this.o.requireCancelReason &&
      !request.reason?.trim() &&
      request.actor.id !== 'system'
    ) {
      return refuse(
        'A reason is required to cancel a job. Give one, e.g. `/cosjob cancel <JobId> duplicate run`.',
        'reason_required',
      );
    }
    return undefined;
  }

  private async decideAsApprover(request: DecisionRequest, client: CosJobsApi): Promise<DecisionOutcome> {
    const { region, jobId } = request;
    const { redis, keys } = this.o;

    const existing = await this.getDecision(region, jobId);
    if (existing && decisionBlocks(existing, request.action)) {
      return this.refuseAudited(request, {
        kind: 'refused',
        code: 'already_decided',
        heldBy: existing.actor,
        message: `This job was already ${existing.action === 'approve' ? 'approved' : 'cancelled'} by ${existing.actor.name} at ${existing.at}.`,
      });
    }
    const record = await this.o.records.get(region, jobId);
    if (!record && request.requireAnnouncedJob) {
      await this.tryAudit(request, {
        action: 'denied',
        outcome: 'refused',
        reason: 'unknown or foreign job',
      });
      return {
        kind: 'refused',
        code: 'unknown_job',
        message: `cosjob has no card for job ${jobId} in ${region}; nothing was changed.`,
      };
    }

    // 2a. Votes: approvals by distinct approvers; COS is called when the Nth arrives.
    let approverIds = [request.actor.id];
    if (request.action === 'approve' && this.o.requiredApprovals > 1) {
      const [added, count] = (await redis.eval(
        VOTE_SCRIPT,
        2,
        keys.jobVotes(region, jobId),
        keys.jobDecision(region, jobId),
        request.actor.id,
      )) as [number, number];
      if (added === -1) return this.decideAsApprover(request, client);
      if (added === 0 && count < this.o.requiredApprovals) {
        return this.refuseAudited(request, {
          kind: 'refused',
          code: 'already_voted',
          votes: count,
          required: this.o.requiredApprovals,
          message: `You already approved this job (${count} of ${this.o.requiredApprovals} approvals). Another approver needs to approve it.`,
        });
      }
      // A repeated vote when enough votes are in (an earlier final attempt failed) retries the approval.
      if (added === 1) {
        try {
          await this.o.audit.append(
            this.entry(request, {
              action: 'approve_vote',
              outcome: `${count} of ${this.o.requiredApprovals}`,
            }),
          );
        } catch (error) {
          await redis.srem(keys.jobVotes(region, jobId), request.actor.id).catch(() => undefined);
          throw error;
        }
      }
      approverIds = await redis.smembers(keys.jobVotes(region, jobId));
      if (count < this.o.requiredApprovals) {
        return {
          kind: 'vote_recorded',
          region,
          jobId,
          votes: count,
          required: this.o.requiredApprovals,
          voterIds: approverIds,
          message: `Approval recorded: ${count} of ${this.o.requiredApprovals}. The job runs when ${this.o.requiredApprovals - count} more approver(s) approve.`,
        };
      }
    }

    // 2b. Claim: first writer wins across clicks, retries and replicas.
    const intentId = randomUUID();
    const claimValue = JSON.stringify({
      intentId,
      actor: request.actor,
      action: request.action,
      at: new Date(this.o.clock.now()).toISOString(),
    });
    const claimed = await redis.set(keys.jobClaim(region, jobId), claimValue, 'PX', this.claimTtlMs, 'NX');
    if (claimed !== 'OK') {
      const holder = await this.claimHolder(region, jobId);
      return this.refuseAudited(request, {
        kind: 'refused',
        code: 'busy',
        ...(holder ? { heldBy: holder.actor } : {}),
        message: holder
          ? `${holder.actor.name} is already ${holder.action === 'approve' ? 'approving' : 'cancelling'} this job.`
          : 'Someone is already acting on this job.',
      });
    }

    const release = () => releaseClaim(redis, keys, region, jobId, intentId).catch(() => undefined);
    try {
      const decidedMeanwhile = await this.getDecision(region, jobId);
      if (decidedMeanwhile && decisionBlocks(decidedMeanwhile, request.action)) {
        await release();
        return this.refuseAudited(request, {
          kind: 'refused',
          code: 'already_decided',
          heldBy: decidedMeanwhile.actor,
          message: `This job was already ${decidedMeanwhile.action === 'approve' ? 'approved' : 'cancelled'} by ${decidedMeanwhile.actor.name}.`,
        });
      }
      return await this.act(request, client, intentId, approverIds, release);
    } catch (error) {
      await release();
      throw error;
    }
  }

  private async act(
    request: DecisionRequest,
    client: CosJobsApi,
    intentId: string,
    approverIds: string[],
    release: () => Promise<unknown>,
  ): Promise<DecisionOutcome> {
    const { region, jobId } = request;
    const { redis, keys } = this.o;

    // 3. Re-check the job as COS describes it now.
    let job: Job;
    try {
      job = await client.describeJob(jobId);
    } catch (error) {
      await release();
      const e = describeError(error);
      await this.tryAudit(request, {
        action: 'failed',
        outcome: 'error',
        reason: `DescribeJob failed: ${e.message}`,
        ...this.cosFields(e),
      });
      return this.cosFailure(
        'cos_error',
        e,
        'cosjob could not read the job from COS, so nothing was changed.',
      );
    }
    const refusal = await this.recheck(request, job);
    if (refusal) {
      await release();
      await this.tryAudit(request, {
        action: 'denied',
        outcome: 'refused',
        reason: refusal.message,
        cosStatus: job.status,
      });
      return refusal;
    }

    // 4. Intent before effect: if it cannot be recorded, COS is not called.
    const requested: RequestedJobStatus = request.action === 'approve' ? 'Ready' : 'Cancelled';
    const intent: Intent = {
      intentId,
      region,
      jobId,
      action: request.action,
      requested,
      actor: request.actor,
      ...(request.reason ? { reason: request.reason } : {}),
      source: request.source,
      startedAt: this.o.clock.now(),
    };
    await redis.hset(keys.intents(), intentId, JSON.stringify(intent));
    // If this append fails, the entry may still have been written: the intent stays either way, and the
    // reconciler records that COS was never called, so no intent is left without a result.
    await this.o.audit.append(
      this.entry(request, {
        entryId: intentId,
        action: request.action === 'approve' ? 'approve_requested' : 'cancel_requested',
        outcome: 'intent',
        cosStatus: job.status,
      }),
    );

    // 5. The effect.
    const outcome = await client.updateJobStatus(jobId, requested, cosStatusReason(request));

    // 6. The result.
    if (outcome.kind === 'applied') {
      const cosStatus = outcome.result.status;
      const decision: StoredDecision = {
        action: request.action,
        actor: request.actor,
        ...(request.reason ? { reason: request.reason } : {}),
        approverIds,
        at: new Date(this.o.clock.now()).toISOString(),
        cosStatus,
      };
      let auditRecorded = true;
      try {
        await this.o.audit.append(
          this.entry(request, {
            entryId: `result:${intentId}`,
            action: request.action === 'approve' ? 'approved' : 'cancelled',
            outcome: outcome.reconciled ? 'applied (confirmed by DescribeJob)' : 'applied',
            cosStatus,
            intentId,
            ...(outcome.result.requestId ? { cosRequestId: outcome.result.requestId } : {}),
          }),
        );
        await redis.set(keys.jobDecision(region, jobId), JSON.stringify(decision));
        // The card renders from the recorded job; show the status COS now reports, not the one it was posted with.
        if (await this.o.records.exists(region, jobId)) {
          await this.o.records.update(region, jobId, { job: JSON.stringify({ ...job, status: cosStatus }) });
        }
        await redis.del(keys.jobVotes(region, jobId));
        await redis.hdel(keys.intents(), intentId);
        await release();
      } catch (error) {
        // COS accepted the change; the intent stays for the reconciler to record the result.
        auditRecorded = false;
        this.o.logger.error(
          'COS applied a decision but its result could not be recorded; the reconciler will',
          { error, jobId, intentId },
        );
      }
      await this.o.events.emit('job_decided', {
        region,
        jobId,
        action: request.action,
        actor: request.actor,
        cosStatus,
      });
      const verb = request.action === 'approve' ? 'Approved' : 'Cancelled';
      return {
        kind: request.action === 'approve' ? 'approved' : 'cancelled',
        region,
        jobId,
        cosStatus,
        ...(outcome.result.requestId ? { requestId: outcome.result.requestId } : {}),
        approverIds,
        auditRecorded,
        message: `${verb}: COS now reports the job as ${cosStatus}.`,
      };
    }

    const e = describeError(outcome.error);
    if (outcome.kind === 'not_applied') {
      await this.tryAudit(request, {
        entryId: `result:${intentId}`,
        action: 'failed',
        outcome: 'not_applied',
        intentId,
        reason: e.explanation ?? e.message,
        ...this.cosFields(e),
        ...(outcome.observedStatus ? { cosStatus: outcome.observedStatus } : {}),
      });
      await redis.hdel(keys.intents(), intentId).catch(() => undefined);
      await release();
      return this.cosFailure('cos_error', e, 'COS refused the change.');
    }

    // Unknown: keep the intent and the claim so nobody sends it again before the reconciler looks.
    await this.tryAudit(request, {
      entryId: `result:${intentId}`,
      action: 'failed',
      outcome: 'unknown',
      intentId,
      reason: e.message,
      ...this.cosFields(e),
    });
    return this.cosFailure(
      'result_unknown',
      e,
      'COS did not confirm the change, and it may still take effect. cosjob will check the job again shortly and post what happened; do not retry yet.',
    );
  }

  private async recheck(request: DecisionRequest, job: Job): Promise<DecisionOutcome | undefined> {
    if (request.action === 'cancel') {
      if (isFinished(job.status)) {
        return {
          kind: 'refused',
          code: 'finished',
          message: `The job is already ${job.status}; there is nothing to cancel.`,
        };
      }
      return undefined;
    }
    if (job.status !== 'Suspended') {
      return {
        kind: 'refused',
        code: 'not_suspended',
        message: `The job is ${job.status}, not waiting for confirmation, so it cannot be approved.`,
      };
    }
    const record = await this.o.records.get(request.region, request.jobId);
    if (!record) {
      // A typed command for a job the watcher has not announced yet: what the person approves is what
      // COS shows now, which becomes the record the card will show.
      await this.o.records.createIfAbsent(request.region, job, this.o.clock.now());
      return undefined;
    }
    const changes = differencesFromShown(record.shown, job);
    if (changes.length > 0) {
      return {
        kind: 'refused',
        code: 'job_changed',
        message: `The job changed since it was posted (${changes.join('; ')}), so this approval was refused. Check the job in the COS console.`,
      };
    }
    return undefined;
  }

  async getDecision(region: string, jobId: string): Promise<StoredDecision | undefined> {
    const raw = await this.o.redis.get(this.o.keys.jobDecision(region, jobId));
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as StoredDecision;
      if (typeof parsed.action === 'string' && typeof parsed.actor?.id === 'string') return parsed;
    } catch {
      // fall through: a damaged record still means the job was decided
    }
    return {
      action: 'approve',
      actor: { id: 'unknown', name: 'unknown (damaged record)' },
      approverIds: [],
      at: '',
      cosStatus: '',
    };
  }

  /** Whether an act on the job is in flight (its claim is held). */
  async isClaimed(region: string, jobId: string): Promise<boolean> {
    return (await this.o.redis.exists(this.o.keys.jobClaim(region, jobId))) === 1;
  }

  async votes(region: string, jobId: string): Promise<string[]> {
    return this.o.redis.smembers(this.o.keys.jobVotes(region, jobId));
  }

  private async claimHolder(
    region: string,
    jobId: string,
  ): Promise<{ actor: AuditActor; action: DecisionAction } | undefined> {
    const raw = await this.o.redis.get(this.o.keys.jobClaim(region, jobId));
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as { actor: AuditActor; action: DecisionAction };
      return { actor: parsed.actor, action: parsed.action };
    } catch {
      return undefined;
    }
  }

  /** Refusals of a well-formed attempt by an approver are audited too (best effort). */
  private async refuseAudited(
    request: DecisionRequest,
    refusal: Extract<DecisionOutcome, { kind: 'refused' }>,
  ): Promise<DecisionOutcome> {
    await this.tryAudit(request, {
      action: 'denied',
      outcome: 'refused',
      reason: `${refusal.code}: ${refusal.message}`,
    });
    return refusal;
  }

  private entry(
    request: DecisionRequest,
    fields: Partial<AuditEntryInput> & Pick<AuditEntryInput, 'action'>,
  ): AuditEntryInput {
    return {
      actor: request.actor,
      region: request.region,
      jobId: request.jobId,
      source: request.origin ? `${request.source} (${request.origin})` : request.source,
      ...(request.reason ? { reason: request.reason } : {}),
      ...fields,
    };
  }

  private cosFields(e: CosErrorLike): Partial<AuditEntryInput> {
    return {
      ...(e.code ? { cosErrorCode: e.code } : {}),
      ...(e.requestId ? { cosRequestId: e.requestId } : {}),
    };
  }

  private cosFailure(code: FailureCode, e: CosErrorLike, lead: string): DecisionOutcome {
    const detail = e.explanation ?? e.message;
    return {
      kind: 'failed',
      code,
      message: `${lead} ${detail}`.trim(),
      ...(e.code ? { cosCode: e.code } : {}),
      ...(e.requestId ? { requestId: e.requestId } : {}),
    };
  }

  /** Refusals are audited when the store is up; a refusal is still a refusal when it is not. */
  private async tryAudit(
    request: DecisionRequest,
    fields: Partial<AuditEntryInput> & Pick<AuditEntryInput, 'action'>,
  ): Promise<void> {
    try {
      await this.o.audit.append(this.entry(request, fields));
    } catch (error) {
      this.o.logger.warn('could not audit a refusal or failure', {
        error,
        jobId: request.jobId,
        action: fields.action,
      });
    }
  }
}
