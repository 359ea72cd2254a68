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

export interface NotifierOptions {
  engine: ApprovalEngine;
  cards: CardService;
  logger: Logger;
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
}

/** Turns what the watcher sees into card updates and thread replies. Returns an unsubscribe function. */
export function subscribeSlackNotifier(o: NotifierOptions): () => void {
  const { engine, cards } = o;
  const offs = [
    engine.events.on('job_pending', ({ region, job }) => {
      cards.enqueueCard(region, job.id);
    }),
    engine.events.on('job_progress', async ({ region, job }) => {
      await cards.refresh(region, job.id);
      cards.reply(region, job.id, progressReply(job));
    }),
    engine.events.on('job_finished', async ({ region, job }) => {
      await cards.refresh(region, job.id);
      cards.reply(region, job.id, finishedSummary(job));
    }),
    engine.events.on('job_changed_outside', async ({ region, job }) => {
      await cards.refresh(region, job.id);
      cards.reply(region, job.id, changedOutsideReply(job.status));
    }),
    engine.events.on('job_reminder', ({ region, jobId, waitingMinutes }) => {
      cards.reply(
        region,
        jobId,
        reminderReply({
          approverUserIds: o.approverUserIds,
          approverUsergroupIds: o.approverUsergroupIds,
          waitingMinutes,
        }),
      );
    }),
    engine.events.on('job_expired', async ({ region, jobId, hours }) => {
      await cards.refresh(region, jobId);
      cards.reply(region, jobId, expiredReply(hours));
    }),
    // A decision a crash interrupted is settled later: the card stops offering buttons for it.
    engine.events.on('job_reconciled', async ({ region, jobId }) => {
      await cards.refresh(region, jobId);
    }),
    engine.events.on('job_decided', async ({ region, jobId, actor }) => {
      // Auto-cancel (a `system` decision in this process) updates the card here; decisions made by the CLI,
      // another process, reach the card at the watcher's next status change.
      if (actor.id === SYSTEM_ACTOR.id) await cards.refresh(region, jobId);
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
