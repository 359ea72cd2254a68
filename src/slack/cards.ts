import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { JobRecord } from '../approvals/job-records.js';
import type { AuditEntry, AuditTrail } from '../audit/types.js';
import type { Job } from '../cos/model.js';
import { jobRefKey } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { type CardPhase, jobCard } from './blocks/job-card.js';
import type { SlackMessage } from './blocks/text.js';
import { auditEntryReply } from './blocks/thread.js';
import type { ChannelPoster } from './poster.js';

const CARD_POSTING_LOCK_MS = 120_000;

/**
 * Renders a job's card from what the engine knows, and keeps the posted card and its thread current.
 * The card is derived state: any replica can re-render it the same way.
 */
export class CardService {
  constructor(
    private readonly o: {
      engine: ApprovalEngine;
      client: WebClient;
      poster: ChannelPoster;
      channel: string;
      logger: Logger;
    },
  ) {}

  async phaseOf(record: JobRecord): Promise<CardPhase> {
    const { engine } = this.o;
    const decision = await engine.decisions.getDecision(record.region, record.jobId);
    const job = record.job;
    if (record.finishedAt !== undefined && record.expiredAt === undefined) {
      return {
        kind: 'finished',
        status: job.status,
        progress: job.progress,
        failureReasons: job.failureReasons,
        at: new Date(record.finishedAt).toISOString(),
        ...(decision
          ? {
              decision: {
                action: decision.action,
                byUserIds: decision.action === 'approve' ? decision.approverIds : [decision.actor.id],
                at: decision.at,
                ...(decision.reason ? { reason: decision.reason } : {}),
              },
            }
          : {}),
      };
    }
    if (record.expiredAt !== undefined) {
      return {
        kind: 'expired',
        at: new Date(record.expiredAt).toISOString(),
        hours: Math.max(1, Math.round((record.expiredAt - record.firstSeenAt) / 3_600_000)),
      };
    }
    if (decision) {
      const common = {
        at: decision.at,
        cosStatus: decision.cosStatus,
        ...(decision.reason ? { reason: decision.reason } : {}),
      };
      return decision.action === 'approve'
        ? { kind: 'approved', byUserIds: decision.approverIds, ...common }
        : { kind: 'cancelled', byUserId: decision.actor.id, ...common };
    }
    if (record.changedOutsideAt !== undefined) {
      return {
        kind: 'changed_outside',
        status: job.status,
        at: new Date(record.changedOutsideAt).toISOString(),
      };
    }
    return { kind: 'pending' };
  }

  async render(record: JobRecord, override?: CardPhase, job?: Job): Promise<SlackMessage> {
    const phase = override ?? (await this.phaseOf(record));
    const voterIds = await this.o.engine.decisions.votes(record.region, record.jobId);
    return jobCard({
      region: record.region,
      job: job ?? record.job,
      phase,
      approvals: { required: this.o.engine.requiredApprovals, voterIds },
      postedAt: new Date(record.firstSeenAt).toISOString(),
    });
  }

  /** Announces a job: queued, paced, posted once. */
  enqueueCard(region: string, jobId: string): void {
    this.o.poster.enqueue({
      kind: 'card',
      key: jobRefKey({ region, jobId }),
      region,
      jobId,
      build: async () => {
        const record = await this.o.engine.records.get(region, jobId);
        if (!record || record.card) return undefined;
        // Another replica may be posting this very card (it echoed a reply while the leader announced).
        const mine = await this.o.engine.records.claimCardPosting(
          region,
          jobId,
          this.o.engine.lease.instanceId,
          CARD_POSTING_LOCK_MS,
        );
        if (!mine) return undefined;
        return this.render(record);
      },
      onPosted: (ts) => this.o.engine.cardPosted(region, jobId, this.o.channel, ts),
    });
  }

  /** Re-renders the posted card; a no-op for jobs without one. Returns whether it updated. */
  async refresh(region: string, jobId: string, override?: CardPhase): Promise<boolean> {
    // The card is derived state: failing to re-render it (Redis or Slack unavailable) must not stop the
    // decision or the answer to the person; the next refresh brings it up to date.
    try {
      const record = await this.o.engine.records.get(region, jobId);
      if (!record?.card) return false;
      const message = await this.render(record, override);
      await this.o.client.chat.update({ channel: record.card.channel, ts: record.card.ts, ...message });
      return true;
    } catch (error) {
      this.o.logger.warn('could not update a job card', { region, jobId, error });
      return false;
    }
  }

  /**
   * Queues a reply in the job's thread. A job cosjob tracks but never announced (approved by a typed
   * command before the watcher saw it) gets its card first, so its updates never land loose in the channel.
   */
  reply(region: string, jobId: string, message: SlackMessage): void {
    this.enqueueCard(region, jobId);
    this.o.poster.enqueue({
      kind: 'reply',
      threadTs: async () => (await this.o.engine.records.get(region, jobId))?.card?.ts,
      message,
    });
  }

  /** Echoes audit entries in the card's thread, several entries of one act in one reply. */
  echoAudit(region: string, jobId: string, entries: readonly AuditEntry[]): void {
    if (entries.length === 0) return;
    const replies = entries.map((entry) => auditEntryReply(entry));
    this.reply(region, jobId, {
      text: replies.map((r) => r.text).join('\n'),
      blocks: replies.flatMap((r) => r.blocks).slice(0, 50),
    });
  }
}

/** Runs `act` and returns the audit entries it added for the job, for echoing in the thread. */
export async function withAuditEcho<T>(
  audit: AuditTrail,
  region: string,
  jobId: string,
  act: () => Promise<T>,
): Promise<{ result: T; entries: AuditEntry[] }> {
  const before = await audit.history(region, jobId).then(
    (h) => h.length,
    () => undefined,
  );
  const result = await act();
  if (before === undefined) return { result, entries: [] };
  const after = await audit.history(region, jobId).catch(() => [] as AuditEntry[]);
  return { result, entries: after.slice(before) };
}
