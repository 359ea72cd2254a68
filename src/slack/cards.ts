import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine, CardState } from '../approvals/engine.js';
import type { JobRecord } from '../approvals/job-records.js';
import type { AuditEntry } from '../audit/types.js';
import type { Job } from '../cos/model.js';
import { type JobRef, jobRefKey } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { Rule } from '../rules/types.js';
import { type CardPhase, jobCard } from './blocks/job-card.js';
import { ruleChangeLine, ruleLine } from './blocks/rule.js';
import type { SlackMessage } from './blocks/text.js';
import { auditEntryReply, refusalDigestReply } from './blocks/thread.js';
import type { ChannelPosters, ReplyPriority } from './poster.js';

const CARD_POSTING_LOCK_MS = 120_000;
const DEFAULT_REFUSAL_ECHO_INTERVAL_MS = 60_000;
/** Card channels kept in memory beyond this are forgotten all at once (each job's record has its own). */
const REMEMBERED_CHANNELS = 20_000;

/** Refusals on one card waiting for the interval's one reply, by entry id so each is shown once. */
interface PendingRefusals {
  ref: JobRef;
  entries: Map<string, AuditEntry>;
  timer: NodeJS.Timeout;
}

/** The card's phase from what the engine knows about the job. */
export function phaseOf({ record, decision }: CardState): CardPhase {
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

/** The card's rule lines: what the job's rule requires, and whether it changed while the job waited. */
export function ruleOfCard(state: CardState): { line: string; change?: string } {
  const current = { name: state.rule.rule.name, hash: state.rule.hash };
  const change = ruleChangeLine(current, state.record.rule, state.record.ruleChange);
  return { line: ruleLine(state.rule.rule), ...(change ? { change } : {}) };
}

export function renderCard(state: CardState, override?: CardPhase): SlackMessage {
  return jobCard({
    account: state.record.account,
    region: state.record.region,
    job: state.record.job,
    phase: override ?? phaseOf(state),
    approvals: { required: state.requiredApprovals, voterIds: state.voterIds },
    rule: ruleOfCard(state),
    postedAt: new Date(state.record.firstSeenAt).toISOString(),
  });
}

const MAX_REFUSAL_REFRESHES_REMEMBERED = 10_000;

/**
 * Keeps a job's posted card and its thread current. The card is derived state: any replica can re-render
 * it the same way from the engine's card state.
 */
export class CardService {
  /** Cards with refusals waiting to be echoed: an entry is deleted when its timer flushes it. */
  private readonly pendingRefusals = new Map<string, PendingRefusals>();
  /**
   * When a refused click last brought each card up to date (wall clock, like Slack's limits). At most
   * MAX_REFUSAL_REFRESHES_REMEMBERED cards: beyond that it is emptied, which at worst lets one more
   * re-render per card through.
   */
  private readonly refreshedOnRefusal = new Map<string, number>();
  private readonly refusalEchoIntervalMs: number;
  /** Each job's card channel, or the record read that will say it (see inChannelOf). */
  private readonly channels = new Map<string, string | Promise<string>>();
  /** Other messages that show jobs (burst digests), re-rendered with the card. */
  private digests: { refresh(record: JobRecord, override?: CardPhase): Promise<void> } | undefined;

  constructor(
    private readonly o: {
      engine: ApprovalEngine;
      client: WebClient;
      /** One paced queue per channel. */
      posters: ChannelPosters;
      /** The channel a job's card goes to under its rule (channelFor in channels.ts). */
      channelFor: (ref: JobRef, rule: Rule) => string;
      logger: Logger;
      /** A card's thread gets at most one reply about refusals per interval (default a minute). */
      refusalEchoIntervalMs?: number;
    },
  ) {
    this.refusalEchoIntervalMs = o.refusalEchoIntervalMs ?? DEFAULT_REFUSAL_ECHO_INTERVAL_MS;
  }

  /** A decision taken anywhere updates every message that shows the job: the card and its digest row. */
  alsoRefresh(digests: { refresh(record: JobRecord, override?: CardPhase): Promise<void> }): void {
    this.digests = digests;
  }

  /**
   * Where a job being announced has its card: the channel an earlier announcement chose (`remembered`),
   * else the one channelFor gives for the job as DescribeJob returned it, remembered on its record so
   * every later message (and a redelivered card) goes to the same channel.
   */
  channelOfAnnounced(ref: JobRef, job: Job, remembered?: string): string {
    const key = jobRefKey(ref);
    const known = this.channels.get(key);
    if (typeof known === 'string') return known;
    const channel = remembered ?? this.o.channelFor(ref, this.o.engine.rules.forJob(job, ref).rule);
    this.know(key, channel);
    if (remembered === undefined) {
      this.o.engine
        .rememberCardChannel(ref, channel)
        .catch((error) => this.o.logger.warn("could not remember a job card's channel", { ...ref, error }));
    }
    return channel;
  }

  /** Announces a job: queued, paced, posted once, in its card's channel. */
  enqueueCard(ref: JobRef): void {
    this.inChannelOf(ref, (channel) => this.enqueueCardIn(ref, channel));
  }

  private enqueueCardIn(ref: JobRef, channel: string): void {
    const { engine } = this.o;
    this.o.posters.for(channel).enqueue({
      kind: 'card',
      key: jobRefKey(ref),
      ...ref,
      build: async () => {
        const state = await engine.cardState(ref);
        if (!state || state.record.card) return undefined;
        // Another replica may be posting this very card (it echoed a reply while the leader announced).
        if (!(await engine.claimCardPosting(ref, CARD_POSTING_LOCK_MS))) return undefined;
        return renderCard(state);
      },
      onPosted: (ts) => engine.cardPosted(ref, channel, ts),
    });
  }

  /**
   * Runs `then` with the job's card channel: at once when this process knows it (it announced the job),
   * else once the job's record says it (the card's channel once posted, the one chosen at announcement
   * before; for a job never announced, channelFor now, remembered). Calls for one job waiting on the same
   * read run in the order they were made, so a reply still queues behind its card.
   */
  private inChannelOf(ref: JobRef, then: (channel: string) => void): void {
    const key = jobRefKey(ref);
    const known = this.channels.get(key);
    if (typeof known === 'string') {
      then(known);
      return;
    }
    const reading = known ?? this.readChannel(ref, key);
    // The posters' idle() waits for it: the item is as good as queued.
    this.o.posters.arriving(reading.then(then));
  }

  private readChannel(ref: JobRef, key: string): Promise<string> {
    const { engine } = this.o;
    const reading = (async () => {
      const record = await engine.jobRecord(ref);
      if (record?.card) return record.card.channel;
      if (record?.channel !== undefined) return record.channel;
      const channel = this.o.channelFor(
        ref,
        record ? engine.rules.forJob(record.job, record).rule : engine.rules.defaultRule,
      );
      // Another replica may have chosen first: the choice on the record stands.
      if (record && !(await engine.rememberCardChannel(ref, channel))) {
        return (await engine.jobRecord(ref))?.channel ?? channel;
      }
      return channel;
    })()
      .catch((error: unknown) => {
        // The reply still goes out (threadless replies wait for a card): to the channel the job would have now.
        this.o.logger.warn("could not read a job's record to find its card's channel", { ...ref, error });
        return this.o.channelFor(ref, engine.rules.defaultRule);
      })
      .then((channel) => {
        this.know(key, channel);
        return channel;
      });
    // Every call for the job waits on this one promise, so their callbacks run in call order.
    this.channels.set(key, reading);
    return reading;
  }

  private know(key: string, channel: string): void {
    if (this.channels.size >= REMEMBERED_CHANNELS) this.channels.clear();
    this.channels.set(key, channel);
  }

  /**
   * Re-renders the posted card (a no-op for jobs without one) and returns the job's record, or undefined
   * when cosjob has none or it could not be read.
   */
  async refresh(ref: JobRef, override?: CardPhase): Promise<JobRecord | undefined> {
    // The card is derived state: failing to re-render it (Redis or Slack unavailable) must not stop the
    // decision or the answer to the person; the next refresh brings it up to date.
    let state: CardState | undefined;
    try {
      state = await this.o.engine.cardState(ref);
      const card = state?.record.card;
      if (state && card) {
        await this.o.client.chat.update({
          channel: card.channel,
          ts: card.ts,
          ...renderCard(state, override),
        });
      }
    } catch (error) {
      this.o.logger.warn('could not update a job card', { ...ref, error });
    }
    if (state?.record.digest && this.digests) {
      await this.digests
        .refresh(state.record, override)
        .catch((error) => this.o.logger.warn('could not update a burst digest', { ...ref, error }));
    }
    return state?.record;
  }

  /**
   * A refusal that says the card is out of date (decided, ended or changed elsewhere) re-renders it at
   * most once per interval, so a flood of clicks cannot turn into a flood of chat.update calls. Returns
   * the job's record, as refresh does, or reads it without rendering.
   */
  async refreshAfterRefusal(ref: JobRef): Promise<JobRecord | undefined> {
    const key = jobRefKey(ref);
    const last = this.refreshedOnRefusal.get(key);
    const now = Date.now();
    if (last !== undefined && now - last < this.refusalEchoIntervalMs) {
      return this.o.engine.jobRecord(ref).catch(() => undefined);
    }
    this.refreshedOnRefusal.set(key, now);
    if (this.refreshedOnRefusal.size > MAX_REFUSAL_REFRESHES_REMEMBERED) this.refreshedOnRefusal.clear();
    return this.refresh(ref);
  }

  /**
   * Queues a reply in the job's thread. A job cosjob tracks but never announced (approved by a typed
   * command before the watcher saw it) gets its card first, so its updates never land loose in the channel.
   */
  reply(ref: JobRef, message: SlackMessage, priority: ReplyPriority = 'decision'): void {
    // The card's channel: replies queue behind the card in the same channel's queue.
    this.inChannelOf(ref, (channel) => {
      this.enqueueCardIn(ref, channel);
      this.o.posters.for(channel).enqueue({
        kind: 'reply',
        threadTs: async () => (await this.o.engine.jobRecord(ref))?.card?.ts,
        message,
        priority,
      });
    });
  }

  /**
   * Refusals are told to the person privately; the card's thread gets them as one reply at the end of
   * the interval, each audit entry once, queued behind cards and decisions.
   */
  noteRefusals(ref: JobRef, entries: readonly AuditEntry[]): void {
    if (entries.length === 0) return;
    const key = jobRefKey(ref);
    let pending = this.pendingRefusals.get(key);
    if (!pending) {
      const timer = setTimeout(() => this.flushRefusals(key), this.refusalEchoIntervalMs);
      timer.unref();
      pending = { ref, entries: new Map(), timer };
      this.pendingRefusals.set(key, pending);
    }
    for (const entry of entries) pending.entries.set(entry.entryId, entry);
  }

  /** Queues every pending refusal reply now (the interval timers do it otherwise; tests and shutdown). */
  flushRefusalEchoes(): void {
    for (const key of [...this.pendingRefusals.keys()]) this.flushRefusals(key);
  }

  /** Forgets pending refusal replies (the poster is stopping; the refusals are in the audit trail). */
  stop(): void {
    for (const pending of this.pendingRefusals.values()) clearTimeout(pending.timer);
    this.pendingRefusals.clear();
    this.refreshedOnRefusal.clear();
    this.channels.clear();
  }

  private flushRefusals(key: string): void {
    const pending = this.pendingRefusals.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingRefusals.delete(key);
    const entries = [...pending.entries.values()].sort((a, b) => a.seq - b.seq);
    this.reply(
      pending.ref,
      refusalDigestReply(entries, Math.max(1, Math.round(this.refusalEchoIntervalMs / 1000))),
      'echo',
    );
  }

  /** Echoes audit entries in the card's thread, several entries of one act in one reply. */
  echoAudit(ref: JobRef, entries: readonly AuditEntry[]): void {
    if (entries.length === 0) return;
    const replies = entries.map((entry) => auditEntryReply(entry));
    this.reply(ref, {
      text: replies.map((r) => r.text).join('\n'),
      blocks: replies.flatMap((r) => r.blocks).slice(0, 50),
    });
  }
}
