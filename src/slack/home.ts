/**
 * Publishes each person's Home tab (views.publish) from what the engine knows: on open, after every
 * decision the person makes (from a card, the Home tab, the modal or `/cosjob`), and with the answer to a
 * click made on the Home tab itself (such a click has no message or response_url to answer in).
 * Publishes for one person are serialised and coalesced: while one is in flight, any number of requests
 * become one more publish, so a burst of clicks cannot become a burst of views.publish calls. The
 * refreshes after decisions are also spaced (at most one per person per refreshIntervalMs, the last one
 * always made): each reads every waiting job, and a person approving a list of jobs would otherwise make
 * the Home re-read the whole list once per click.
 */
import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { Clock } from '../clock.js';
import { type AccountRegion, accountRegionLabel } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import {
  type RegionHealthRecord,
  type RegionPollVerdict,
  regionPollVerdict,
} from '../observability/region-health.js';
import { type HomeInput, type HomeJob, homeView, type Part, type RegionPollLine } from './blocks/home.js';
import type { SlackMessage } from './blocks/text.js';
import type { Reply } from './decisions.js';

/** The leader's poll records per (account, region), by accountRegionLabel (src/observability/region-health.ts). */
export interface RegionHealthReader {
  all(targets: readonly AccountRegion[]): Promise<Map<string, RegionHealthRecord | undefined>>;
}

export interface HomeTabOptions {
  engine: ApprovalEngine;
  client: WebClient;
  regionHealth: RegionHealthReader;
  pollIntervalMs: number;
  clock: Clock;
  logger: Logger;
  /** The least time between two refreshes after decisions, per person (default 2 s). */
  refreshIntervalMs?: number;
}

/** Long enough that a run of clicks costs one Home read per person, short enough to feel current. */
const DEFAULT_REFRESH_INTERVAL_MS = 2_000;
/** People whose last refresh time is remembered; beyond it the oldest are forgotten (they refresh at once). */
const MAX_REMEMBERED_REFRESHES = 1_000;

interface RefreshAfterDecision {
  at: number;
  timer: NodeJS.Timeout | undefined;
}

interface UserState {
  running: Promise<void> | undefined;
  again: Promise<void> | undefined;
  notice: SlackMessage | undefined;
}

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

async function part<T>(read: () => Promise<T>, logger: Logger, what: string): Promise<Part<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    logger.warn(`Home tab: could not read ${what}`, { error });
    return { ok: false };
  }
}

function pollLine(at: AccountRegion, verdict: RegionPollVerdict): RegionPollLine {
  const { account, region } = at;
  switch (verdict.kind) {
    case 'ok':
      return { account, region, kind: 'ok', lastOkAt: verdict.lastOkAt };
    case 'failing':
      return {
        account,
        region,
        kind: 'failing',
        reason: verdict.reason,
        failures: verdict.failures,
        ...(verdict.lastOkAt === undefined ? {} : { lastOkAt: verdict.lastOkAt }),
      };
    case 'stale':
      return { account, region, kind: 'stale', lastOkAt: verdict.lastOkAt };
    case 'never':
      return { account, region, kind: 'never' };
  }
}

export class HomeTab {
  /** Only people with a publish in flight or queued: an entry is deleted once its last publish ends. */
  private readonly users = new Map<string, UserState>();
  /** When each person's Home was last refreshed after a decision, and the refresh waiting for its turn. */
  private readonly refreshes = new Map<string, RefreshAfterDecision>();
  private readonly refreshIntervalMs: number;

  constructor(private readonly o: HomeTabOptions) {
    this.refreshIntervalMs = o.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  }

  /** Whether `userId` is a Slack user id the Home tab can be published for. */
  static isUserId(userId: unknown): userId is string {
    return typeof userId === 'string' && USER_ID.test(userId);
  }

  /**
   * Publishes the person's Home tab, with `notice` at the top when given. Resolves once a publish that
   * started after this call has finished (it never rejects: a failure is logged).
   */
  publish(userId: string, notice?: SlackMessage): Promise<void> {
    if (!HomeTab.isUserId(userId)) return Promise.resolve();
    let state = this.users.get(userId);
    if (!state) {
      state = { running: undefined, again: undefined, notice: undefined };
      this.users.set(userId, state);
    }
    if (notice) state.notice = notice;
    if (!state.running) return this.start(userId, state);
    // One follow-up publish covers every request made while one is in flight.
    state.again ??= state.running.then(() => {
      state.again = undefined;
      return this.start(userId, state);
    });
    return state.again;
  }

  /** Answers a click made on the Home tab: the answer is shown at the top of the person's Home. */
  answerOnHome(userId: string): Reply {
    return (message) => this.publish(userId, message);
  }

  /** Refreshes the Home of whoever made a decision, wherever they made it. Returns an unsubscribe. */
  subscribe(): () => void {
    return this.o.engine.events.on('decision_made', ({ request, outcome }) => {
      // Only outcomes that change what the Home shows; a refused click is answered where it was made.
      if (outcome.kind !== 'approved' && outcome.kind !== 'cancelled' && outcome.kind !== 'vote_recorded')
        return;
      // Not awaited: the decision's card update and answer must not wait for the Home.
      this.refreshAfterDecision(request.actor.id);
    });
  }

  /** A refresh now, or at the end of the person's interval when one was made less than an interval ago. */
  private refreshAfterDecision(userId: string): void {
    if (!HomeTab.isUserId(userId)) return;
    const now = this.o.clock.now();
    const last = this.refreshes.get(userId);
    if (last?.timer) return;
    if (!last || now - last.at >= this.refreshIntervalMs) {
      if (this.refreshes.size >= MAX_REMEMBERED_REFRESHES) this.forgetIdleRefreshes();
      this.refreshes.set(userId, { at: now, timer: undefined });
      void this.publish(userId);
      return;
    }
    last.timer = setTimeout(() => this.refreshNow(userId), last.at + this.refreshIntervalMs - now);
    last.timer.unref();
  }

  private refreshNow(userId: string): void {
    const entry = this.refreshes.get(userId);
    if (entry?.timer) clearTimeout(entry.timer);
    this.refreshes.set(userId, { at: this.o.clock.now(), timer: undefined });
    void this.publish(userId);
  }

  private forgetIdleRefreshes(): void {
    for (const [userId, entry] of this.refreshes) if (!entry.timer) this.refreshes.delete(userId);
  }

  /** Stops the refreshes waiting for their turn (the app is stopping). */
  stop(): void {
    for (const entry of this.refreshes.values()) if (entry.timer) clearTimeout(entry.timer);
    this.refreshes.clear();
  }

  /** Makes the waiting refreshes now, then resolves when no publish is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    for (const [userId, entry] of this.refreshes) if (entry.timer) this.refreshNow(userId);
    for (;;) {
      const pending = [...this.users.values()].flatMap((s) => [s.running, s.again]).filter((p) => p);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  private start(userId: string, state: UserState): Promise<void> {
    const notice = state.notice;
    state.notice = undefined;
    const run = this.publishNow(userId, notice).finally(() => {
      state.running = undefined;
      if (!state.again && !state.notice) this.users.delete(userId);
    });
    state.running = run;
    return run;
  }

  private async publishNow(userId: string, notice: SlackMessage | undefined): Promise<void> {
    try {
      const input = await this.read(userId, notice);
      await this.o.client.views.publish({ user_id: userId, view: homeView(input) });
    } catch (error) {
      this.o.logger.warn('could not publish the Home tab', { slackUser: userId, error });
    }
  }

  private async read(userId: string, notice: SlackMessage | undefined): Promise<HomeInput> {
    const { engine, logger } = this.o;
    const targets = engine.targets;
    const [mayAct, waiting, decisions, health] = await Promise.all([
      engine.mayAct(userId).catch(() => false),
      part(
        async () => {
          const read = await engine.waitingJobs();
          const jobs: HomeJob[] = await Promise.all(
            read.jobs.map(async ({ record, voterIds, requiredApprovals }) => ({
              account: record.account,
              region: record.region,
              jobId: record.jobId,
              job: record.job,
              firstSeenAt: record.firstSeenAt,
              voterIds,
              requiredApprovals,
              // Each job's buttons follow its own rule's approvers.
              mayAct: await engine.mayActOnRecord(userId, record).catch(() => false),
              ...(record.card ? { card: { channel: record.card.channel } } : {}),
            })),
          );
          return { jobs, unread: read.unread, unreadable: read.unreadable };
        },
        logger,
        'the waiting jobs',
      ),
      part(() => engine.recentDecisions(10), logger, 'the last decisions'),
      part(
        async () => {
          const records = await this.o.regionHealth.all(targets);
          const now = this.o.clock.now();
          return targets.map((at) =>
            pollLine(at, regionPollVerdict(records.get(accountRegionLabel(at)), now, this.o.pollIntervalMs)),
          );
        },
        logger,
        'the poll health',
      ),
    ]);
    return {
      viewerId: userId,
      mayAct,
      waiting,
      decisions,
      regions: health,
      now: new Date(this.o.clock.now()).toISOString(),
      ...(notice ? { notice } : {}),
    };
  }
}
