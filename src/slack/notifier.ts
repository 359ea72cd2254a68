import type { ApprovalEngine } from '../approvals/engine.js';
import { SYSTEM_ACTOR } from '../approvals/ports.js';
import type { Logger } from '../logger.js';
import {
  changedOutsideReply,
  expiredReply,
  finishedSummary,
  progressReply,
  reminderReply,
} from './blocks/thread.js';
import type { CardService } from './cards.js';
import type { BurstDigests } from './digests.js';

export interface NotifierOptions {
  engine: ApprovalEngine;
  cards: CardService;
  /** New jobs found by one discovery pass go through it, so a burst gets digests before its cards. */
  digests: BurstDigests;
  logger: Logger;
  /** Who a reminder mentions when the job's rule cannot be read (the environment's approvers). */
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
}

/** Turns what the watcher sees into card updates and thread replies. Returns an unsubscribe function. */
export function subscribeSlackNotifier(o: NotifierOptions): () => void {
  const { engine, cards, digests } = o;
  const offs = [
    engine.events.on('region_discovery_started', ({ account, region }) => {
      digests.discoveryStarted({ account, region });
    }),
    engine.events.on('region_polled', ({ account, region }) => {
      digests.discoveryEnded({ account, region });
    }),
    engine.events.on('job_pending', ({ account, region, job, redelivery, channel: remembered }) => {
      const ref = { account, region, jobId: job.id };
      // Chosen here, once, from the job as announced; a redelivered card keeps the channel chosen before.
      const channel = cards.channelOfAnnounced(ref, job, remembered);
      if (redelivery) cards.enqueueCard(ref);
      else digests.announce(ref, channel);
    }),
    engine.events.on('job_progress', async ({ account, region, job }) => {
      const ref = { account, region, jobId: job.id };
      await cards.refresh(ref);
      cards.reply(ref, progressReply(job));
    }),
    engine.events.on('job_finished', async ({ account, region, job }) => {
      const ref = { account, region, jobId: job.id };
      await cards.refresh(ref);
      cards.reply(ref, finishedSummary(job));
    }),
    engine.events.on('job_changed_outside', async ({ account, region, job }) => {
      const ref = { account, region, jobId: job.id };
      await cards.refresh(ref);
      cards.reply(ref, changedOutsideReply(job.status));
    }),
    engine.events.on('job_reminder', async ({ account, region, jobId, waitingMinutes }) => {
      // The job's own rule says who may approve it: they are the ones reminded.
      const rule = await engine.ruleForJob({ account, region, jobId }).catch(() => undefined);
      const approvers = rule?.rule.requires.approvers;
      cards.reply(
        { account, region, jobId },
        reminderReply({
          approverUserIds: approvers?.users ?? o.approverUserIds,
          approverUsergroupIds: approvers?.groups ?? o.approverUsergroupIds,
          waitingMinutes,
        }),
      );
    }),
    engine.events.on('job_rule_changed', async ({ account, region, jobId }) => {
      await cards.refresh({ account, region, jobId });
    }),
    engine.events.on('job_expired', async ({ account, region, jobId, hours }) => {
      await cards.refresh({ account, region, jobId });
      cards.reply({ account, region, jobId }, expiredReply(hours));
    }),
    // A decision a crash interrupted is settled later: the card stops offering buttons for it.
    engine.events.on('job_reconciled', async ({ account, region, jobId }) => {
      await cards.refresh({ account, region, jobId });
    }),
    engine.events.on('job_decided', async ({ account, region, jobId, actor }) => {
      // Auto-cancel (a `system` decision in this process) updates the card here; decisions made by the CLI,
      // another process, reach the card at the watcher's next status change.
      if (actor.id === SYSTEM_ACTOR.id) await cards.refresh({ account, region, jobId });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
