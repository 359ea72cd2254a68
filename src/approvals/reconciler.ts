import type { AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { CosClientSet } from '../cos/client-set.js';
import { isNoSuchJob } from '../cos/errors.js';
import { statusUpdateTookEffect } from '../cos/model.js';
import type { JobRef } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { Intent, StoredDecision } from './decision.js';
import type { DecisionStore } from './decision-store.js';
import type { EngineEvents } from './ports.js';

export interface ReconcileReport {
  examined: number;
  /** Intents left alone because their claim is still held (the act may still be in flight). */
  inFlight: number;
  applied: number;
  notApplied: number;
  stillUnknown: number;
}

export interface ReconcilerOptions {
  store: DecisionStore;
  audit: AuditTrail;
  clients: CosClientSet;
  clock: Clock;
  logger: Logger;
  /** Told of each settled intent, so whoever shows the job (the card) can catch up. */
  events?: EngineEvents;
}

/**
 * Settles intents that have no result: a crash, or Redis failing between the COS call and the result
 * entry. COS is the source of truth: the job's status says whether the change took effect.
 */
export class Reconciler {
  constructor(private readonly o: ReconcilerOptions) {}

  /** Intents younger than `minAgeMs` may still be in flight in another process and are left alone. */
  async reconcile(minAgeMs: number): Promise<ReconcileReport> {
    const { store } = this.o;
    const report: ReconcileReport = { examined: 0, inFlight: 0, applied: 0, notApplied: 0, stillUnknown: 0 };
    const now = this.o.clock.now();
    for (const intent of await this.pendingIntents()) {
      const { intentId } = intent;
      const ref: JobRef = { account: intent.account, region: intent.region, jobId: intent.jobId };
      if (now - intent.startedAt < minAgeMs) continue;
      // The claim outlives the whole act: while it still names this intent, the decision may be in flight
      // in another process (a rolling deploy, a slow COS call), and settling it now would race it.
      if (await store.claimHeldBy(ref, intentId)) {
        report.inFlight += 1;
        continue;
      }
      report.examined += 1;
      const client = this.o.clients.get(intent.account, intent.region);
      if (!client) {
        report.stillUnknown += 1;
        continue;
      }
      let status: string;
      try {
        status = (await client.describeJob(intent.jobId)).status;
      } catch (error) {
        if (!isNoSuchJob(error)) {
          report.stillUnknown += 1;
          this.o.logger.warn('reconciler could not read the job; will try again', {
            jobId: intent.jobId,
            error,
          });
          continue;
        }
        status = 'NoSuchJob';
      }
      const verdict =
        status === 'NoSuchJob' ? 'not_applied' : statusUpdateTookEffect(intent.requested, status);
      if (verdict === 'unknown') {
        report.stillUnknown += 1;
        this.o.logger.warn('reconciler cannot interpret the job status; leaving the intent for an operator', {
          jobId: intent.jobId,
          status,
        });
        continue;
      }
      const applied = verdict === 'applied';
      await this.o.audit.append({
        entryId: `reconciled:${intentId}`,
        actor: intent.actor,
        action: 'reconciled',
        account: intent.account,
        region: intent.region,
        jobId: intent.jobId,
        outcome: applied ? 'applied' : 'not_applied',
        cosStatus: status,
        intentId,
        source: intent.source,
        reason: `${intent.action} requested at ${new Date(intent.startedAt).toISOString()}; COS now shows ${status}`,
      });
      let decision: StoredDecision | undefined;
      if (applied) {
        const voters = intent.action === 'approve' ? await store.votes(ref) : [];
        decision = {
          action: intent.action,
          actor: intent.actor,
          ...(intent.reason ? { reason: intent.reason } : {}),
          approverIds: voters.length > 0 ? voters : [intent.actor.id],
          at: new Date(now).toISOString(),
          cosStatus: status,
        };
        report.applied += 1;
      } else {
        report.notApplied += 1;
      }
      // A cancel overrides an approval stored earlier; an approval never overrides a stored decision.
      await store.settle(intent, decision, intent.action === 'approve');
      await this.o.events?.emit('job_reconciled', {
        account: intent.account,
        region: intent.region,
        jobId: intent.jobId,
        action: intent.action,
        applied,
        cosStatus: status,
      });
    }
    return report;
  }

  /** Intents with no recorded result; an unreadable one is logged and left in place for an operator. */
  async pendingIntents(): Promise<Intent[]> {
    const { intents, unreadable } = await this.o.store.pendingIntents();
    for (const intentId of unreadable) {
      this.o.logger.error('unreadable intent left in place for an operator', { intentId });
    }
    return intents;
  }
}
