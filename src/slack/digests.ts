/**
 * Bursts: when more than a few new jobs arrive at once for one channel, one digest message per 20 jobs
 * goes out there before any card, each row with the card's own Approve / Cancel buttons, so every job is actionable within
 * seconds although Slack takes about a second per card. Cards follow at Slack's pace.
 */
import { randomUUID } from 'node:crypto';
import type { ApprovalEngine, CardState } from '../approvals/engine.js';
import type { DigestMessage, JobRecord } from '../approvals/job-records.js';
import { type AccountRegion, accountRegionKey, type JobRef, jobRefKey } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { burstDigest, type DigestRow, MAX_DIGEST_ROWS } from './blocks/digest.js';
import type { CardPhase } from './blocks/job-card.js';
import type { SlackMessage } from './blocks/text.js';
import { type CardService, phaseOf } from './cards.js';
import type { ChannelPosters } from './poster.js';

/** "More than 5 new jobs" make a burst. */
export const DEFAULT_BURST_THRESHOLD = 5;
/**
 * Jobs found by a discovery pass wait for its end (or for 20 of them) so the digest can come first; a
 * pass that takes longer than this releases what it found so far, so a slow COS never hides a job.
 */
const DEFAULT_MAX_HOLD_MS = 2_000;

export interface BurstDigestsOptions {
  engine: ApprovalEngine;
  cards: CardService;
  /** Each channel's digests go to its queue, ahead of every card there. */
  posters: ChannelPosters;
  client: { chat: { update: (args: { channel: string; ts: string } & SlackMessage) => Promise<unknown> } };
  logger: Logger;
  threshold?: number;
  maxHoldMs?: number;
}

/**
 * The digest as it stands: each row from the engine's card state (read in one batch), a row shown in
 * the phase `overrides` gives it (by job key) instead.
 */
export async function renderDigest(
  engine: ApprovalEngine,
  jobs: readonly JobRef[],
  overrides?: ReadonlyMap<string, CardPhase>,
): Promise<SlackMessage> {
  const states = await engine.cardStates(jobs);
  const rows = states
    .filter((state): state is CardState => state !== undefined)
    .map(
      (state): DigestRow => ({
        account: state.record.account,
        region: state.record.region,
        job: state.record.job,
        phase: overrides?.get(jobRefKey(state.record)) ?? phaseOf(state),
        approvals: { required: state.requiredApprovals, voterIds: state.voterIds },
      }),
    );
  return burstDigest({ rows });
}

/**
 * One digest message being re-rendered. Every click on one of its 20 jobs asks for a re-render, and
 * each render reads all 20 rows: requests made while a render runs share the one that follows it, so a
 * storm of clicks costs a render per round trip rather than one per click, and the last render still
 * starts after the last request.
 */
interface DigestRefresh {
  digest: DigestMessage;
  /** What the queued render shows in place of a row's own phase: only what its own requests asked. */
  overrides: Map<string, CardPhase>;
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

/** One channel's share of a discovery pass. */
interface ChannelBurst {
  held: JobRef[];
  /** Jobs of this pass's digests: their cards wait for the pass's last digest, so digests go first. */
  digested: JobRef[];
  /** A digest already went out in this burst: the rest of it is digested too, however few. */
  inBurst: boolean;
}

/**
 * New jobs are counted per channel (each job's card channel): a channel with more than `threshold` new
 * jobs in a pass gets its digests in its own queue, ahead of its cards; another channel's few jobs just
 * get their cards.
 */
export class BurstDigests {
  private readonly discovering = new Set<string>();
  private readonly bursts = new Map<string, ChannelBurst>();
  /** Digests with a render running or queued (an entry goes once both are done). */
  private readonly refreshing = new Map<string, DigestRefresh>();
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly threshold: number;
  private readonly maxHoldMs: number;

  constructor(private readonly o: BurstDigestsOptions) {
    this.threshold = o.threshold ?? DEFAULT_BURST_THRESHOLD;
    this.maxHoldMs = o.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  }

  discoveryStarted(at: AccountRegion): void {
    this.discovering.add(accountRegionKey(at));
  }

  discoveryEnded(at: AccountRegion): void {
    this.discovering.delete(accountRegionKey(at));
    if (this.discovering.size === 0) this.release();
  }

  /**
   * A new job whose card goes to `channel`: its card now, or, during a discovery pass, held for the
   * pass's digest in that channel.
   */
  announce(ref: JobRef, channel: string): void {
    if (this.discovering.size === 0) {
      this.o.cards.enqueueCard(ref);
      return;
    }
    let burst = this.bursts.get(channel);
    if (!burst) {
      burst = { held: [], digested: [], inBurst: false };
      this.bursts.set(channel, burst);
    }
    burst.held.push(ref);
    if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => this.release(), this.maxHoldMs);
      this.holdTimer.unref();
    }
    if (burst.held.length >= MAX_DIGEST_ROWS) {
      burst.inBurst = true;
      this.post(channel, burst, burst.held.splice(0, MAX_DIGEST_ROWS));
    }
  }

  /**
   * Re-renders the digest that lists this job (after a decision or anything its card shows), `override`
   * standing in for the job's phase. Resolves once a render started after this call has been sent.
   */
  refresh(record: JobRecord, override?: CardPhase): Promise<void> {
    const digest = record.digest;
    if (!digest) return Promise.resolve();
    const key = `${digest.channel}|${digest.ts}`;
    let entry = this.refreshing.get(key);
    if (!entry) {
      entry = { digest, overrides: new Map(), running: undefined, queued: undefined };
      this.refreshing.set(key, entry);
    }
    const job = jobRefKey(record);
    if (override) entry.overrides.set(job, override);
    else entry.overrides.delete(job);
    return this.queueRender(key, entry);
  }

  private queueRender(key: string, entry: DigestRefresh): Promise<void> {
    if (entry.queued) return entry.queued;
    const afterRunning = entry.running?.catch(() => undefined) ?? Promise.resolve();
    const render: Promise<void> = afterRunning
      .then(async () => {
        // From here on, requests queue the next render: this one shows what was asked until now.
        entry.queued = undefined;
        entry.running = render;
        const overrides = entry.overrides;
        entry.overrides = new Map();
        const message = await renderDigest(this.o.engine, entry.digest.jobs, overrides);
        await this.o.client.chat.update({ channel: entry.digest.channel, ts: entry.digest.ts, ...message });
      })
      .finally(() => {
        if (entry.running === render) entry.running = undefined;
        if (!entry.running && !entry.queued) this.refreshing.delete(key);
      });
    entry.queued = render;
    return render;
  }

  /** Stops the hold timer (the poster is stopping). */
  stop(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  private release(): void {
    this.stop();
    const bursts = [...this.bursts.entries()];
    this.bursts.clear();
    for (const [channel, burst] of bursts) {
      const jobs = burst.held.splice(0);
      const isBurst = burst.inBurst || jobs.length > this.threshold;
      if (isBurst) {
        for (let i = 0; i < jobs.length; i += MAX_DIGEST_ROWS) {
          this.post(channel, burst, jobs.slice(i, i + MAX_DIGEST_ROWS));
        }
      }
      // Digested jobs (those posted just now included) get their cards after every digest of the pass.
      const cards = isBurst ? burst.digested : [...burst.digested, ...jobs];
      for (const ref of cards) this.o.cards.enqueueCard(ref);
    }
  }

  /** Queues one digest in `channel` (ahead of every card there); its jobs' cards are queued when the pass ends. */
  private post(channel: string, burst: ChannelBurst, jobs: JobRef[]): void {
    const { engine } = this.o;
    this.o.posters.for(channel).enqueue({
      kind: 'digest',
      digestId: randomUUID(),
      build: () => renderDigest(engine, jobs),
      onPosted: (ts) => engine.digestPosted({ channel, ts, jobs } satisfies DigestMessage),
    });
    burst.digested.push(...jobs);
  }
}
