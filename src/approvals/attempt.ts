/**
 * One decision request on its way through decide(): what it writes to the audit trail, kept in order so
 * the outcome can carry the entries (the Slack thread echoes them without reading the trail again).
 */
import { prepareEntry } from '../audit/codec.js';
import { AuditInputError } from '../audit/errors.js';
import type { AuditEntry, AuditEntryInput, AuditTrail } from '../audit/types.js';
import type { CosErrorDetails } from '../cos/errors.js';
import type { Logger } from '../logger.js';
import type { RuleStamp } from '../rules/applied.js';
import type { DecisionRequest, PolicyRefusal, Refusal } from './decision.js';

type AuditFields = Partial<AuditEntryInput> & Pick<AuditEntryInput, 'action'>;

/** Decides whether a refusal is audited on its own or only counted (a per-user rate limit). */
export interface RefusalGate {
  admitRefusal(target: {
    actor: { id: string; name: string };
    account: string;
    region: string;
    jobId: string;
  }): Promise<boolean>;
}

/** One request on its way through the steps: what it wrote to the audit trail, for the outcome. */
export class Attempt {
  readonly entries: AuditEntry[] = [];
  /** True when a refusal was over its person's rate limit: counted for a summary entry, not audited alone. */
  counted = false;
  /** The rule this request is judged by, once known: every entry written from then on names it. */
  rule: RuleStamp | undefined;
  constructor(
    readonly request: DecisionRequest,
    private readonly audit: AuditTrail,
    private readonly logger: Logger,
    private readonly gate?: RefusalGate,
  ) {}

  /** The entry this attempt would append with `fields`. */
  private entryInput(fields: AuditFields): AuditEntryInput {
    const { request } = this;
    return {
      actor: request.actor,
      account: request.account,
      region: request.region,
      jobId: request.jobId,
      source: request.origin ? `${request.source} (${request.origin})` : request.source,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(this.rule ? { rule: this.rule.name, ruleHash: this.rule.hash } : {}),
      ...fields,
    };
  }

  /**
   * The problems the audit trail would refuse this entry for (the codec's own rules), empty when it
   * would be accepted. Checked before anything is written, so the audit never refuses the record of an
   * act the engine already did.
   */
  problems(fields: AuditFields): string[] {
    try {
      prepareEntry(this.entryInput(fields));
      return [];
    } catch (error) {
      if (error instanceof AuditInputError) return [...error.problems];
      throw error;
    }
  }

  async record(fields: AuditFields): Promise<void> {
    this.entries.push(await this.audit.append(this.entryInput(fields)));
  }

  /** Refusals and failures are audited when the store is up; a refusal is still one when it is not. */
  async tryRecord(fields: AuditFields): Promise<void> {
    try {
      await this.record(fields);
    } catch (error) {
      this.logger.warn('could not audit a refusal or failure', {
        error,
        jobId: this.request.jobId,
        action: fields.action,
      });
    }
  }

  /** Refusals past the input check are audited as denied (`also`: e.g. the status COS reported). */
  async refuse(refusal: Refusal, also: Partial<AuditEntryInput> = {}): Promise<Refusal> {
    // Only people who may not act are limited: an approver's refusals (busy, already decided) are few
    // and each says something about a decision, so they are always audited one by one.
    if (refusal.code === 'not_approver' && this.gate && !(await this.admitted())) {
      this.counted = true;
      return refusal;
    }
    await this.tryRecord({
      action: 'denied',
      outcome: 'refused',
      reason: refusalReason(this.request, refusal),
      ...also,
    });
    return refusal;
  }

  /** A gate that cannot count (Redis down) admits: the refusal is then audited as usual, when it can be. */
  private async admitted(): Promise<boolean> {
    const { actor, account, region, jobId } = this.request;
    try {
      return (await this.gate?.admitRefusal({ actor, account, region, jobId })) ?? true;
    } catch (error) {
      this.logger.warn('could not count a refusal against its rate limit', { error, jobId });
      return true;
    }
  }
}

const POLICY_AUDIT_REASON: Record<PolicyRefusal, string> = {
  not_listed: 'not an approver',
  membership_unknown: 'approver group membership could not be checked with Slack',
  system_reserved: 'only cosjob itself acts as "system"',
};

/** The refusal as the audit entry keeps it: its code and the facts behind it. */
function refusalReason(request: DecisionRequest, refusal: Refusal): string {
  switch (refusal.code) {
    case 'not_approver':
      return `${request.action} refused: ${POLICY_AUDIT_REASON[refusal.policy ?? 'not_listed']}`;
    case 'unknown_job':
      return 'unknown or foreign job';
    case 'busy':
      return refusal.heldBy
        ? `busy: ${refusal.heldBy.name} (${refusal.heldBy.id}) holds the claim to ${refusal.heldAction}`
        : 'busy: another act holds the claim';
    case 'already_decided':
      return `already_decided: ${refusal.heldAction} by ${refusal.heldBy?.name} (${refusal.heldBy?.id})`;
    case 'already_voted':
      return `already_voted: ${refusal.votes} of ${refusal.required}`;
    case 'reason_required':
      return `reason_required: rule ${refusal.rule ?? 'default'} asks for a reason to ${request.action}`;
    case 'job_changed':
      return `the job changed since it was posted: ${(refusal.changes ?? []).join('; ')}`;
    case 'not_suspended':
    case 'finished':
      return `${refusal.code}: the job is ${refusal.cosStatus}`;
    default:
      return refusal.code;
  }
}

export function cosAuditFields(cos: CosErrorDetails): Partial<AuditEntryInput> {
  return {
    ...(cos.code ? { cosErrorCode: cos.code } : {}),
    ...(cos.requestId ? { cosRequestId: cos.requestId } : {}),
  };
}
