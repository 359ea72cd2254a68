/**
 * Subscribes to the engine's events once: decision outcomes and region polls become metrics, info
 * log lines, the per-region health record in Redis, and channel notices on a region's transitions.
 */
import type { ApprovalEngine } from '../approvals/engine.js';
import type { Clock } from '../clock.js';
import { outcomeText } from '../decision-text.js';
import { type AccountRegion, accountRegionLabel } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { explainFailure } from './explain.js';
import type { CosjobMetrics } from './metrics.js';
import { type ChannelNotices, REGION_FAILURES_BEFORE_NOTICE } from './notices.js';
import type { RegionHealthStore } from './region-health.js';

export interface EngineObserverOptions {
  engine: ApprovalEngine;
  metrics: CosjobMetrics;
  logger: Logger;
  clock: Clock;
  regionHealth?: RegionHealthStore;
  notices?: ChannelNotices;
}

export function observeEngine(o: EngineObserverOptions): () => void {
  const { engine, metrics, logger } = o;
  metrics.trackLeader(() => engine.isLeader);

  const offDecisions = engine.events.on('decision_made', ({ request, outcome }) => {
    metrics.decisions.inc({ action: request.action, outcome: outcome.kind });
    const log = logger.child({
      account: request.account,
      region: request.region,
      jobId: request.jobId,
      slackUser: request.actor.id,
    });
    const common = { actor: request.actor.name, action: request.action, source: request.source };
    switch (outcome.kind) {
      case 'approved':
      case 'cancelled':
        log.info('decision', {
          ...common,
          outcome: outcome.kind,
          cosStatus: outcome.cosStatus,
          cosRequestId: outcome.requestId,
        });
        break;
      case 'vote_recorded':
        log.info('decision', {
          ...common,
          outcome: outcome.kind,
          votes: outcome.votes,
          required: outcome.required,
        });
        break;
      case 'refused':
        metrics.refusals.inc({ code: outcome.code });
        log.info('decision refused', {
          ...common,
          outcome: outcome.kind,
          code: outcome.code,
          reason: outcomeText(request, outcome),
        });
        break;
      case 'failed':
        log.warn('decision failed', {
          ...common,
          outcome: outcome.kind,
          code: outcome.code,
          cosCode: outcome.cos?.code,
          cosRequestId: outcome.cos?.requestId,
          reason: outcomeText(request, outcome),
        });
        break;
    }
  });

  const offPolls = engine.events.on('region_polled', async (event) => {
    const at = { account: event.account, region: event.region };
    metrics.pollCycles.inc({ ...at, result: event.result });
    if (event.result === 'ok' && event.suspended !== undefined) {
      metrics.jobsWaiting.set(at, event.suspended);
    }
    if (event.result === 'skipped' || !o.regionHealth) return;
    await recordRegionHealth(o, o.regionHealth, at, event.result, event.failures, event.error);
  });

  return () => {
    offDecisions();
    offPolls();
  };
}

/** Only the leader polls, so only the leader writes these records and tells the channel about regions. */
async function recordRegionHealth(
  o: EngineObserverOptions,
  store: RegionHealthStore,
  at: AccountRegion,
  result: 'ok' | 'error',
  failures: number,
  error: unknown,
): Promise<void> {
  const now = o.clock.now();
  const previous = (await store.get(at)) ?? { failures: 0, alerted: false };
  const place = accountRegionLabel(at);
  if (result === 'ok') {
    let alerted = previous.alerted;
    if (alerted && o.notices) alerted = !(await o.notices.post(o.notices.regionRecovered(place)));
    await store.set(at, { ...previous, lastOkAt: now, failures: 0, alerted });
    return;
  }
  const reason = explainFailure(error);
  // The count in Redis carries over a change of leader; the watcher's own count starts again at 1.
  const inARow = Math.max(failures, previous.failures + 1);
  let alerted = previous.alerted;
  if (!alerted && inARow >= REGION_FAILURES_BEFORE_NOTICE && o.notices) {
    alerted = await o.notices.post(o.notices.regionFailing(place, inARow, reason));
  }
  await store.set(at, { ...previous, lastErrorAt: now, lastError: reason, failures: inARow, alerted });
}
