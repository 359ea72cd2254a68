import diagnostics_channel from 'node:diagnostics_channel';
import type { AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { AccountRegionClient, CosClientSet } from '../cos/client-set.js';
import { isNoSuchJob, isRegionWide } from '../cos/errors.js';
import { type CosJobsApi, isFinished, type Job, type JobSummary } from '../cos/model.js';
import {
  type AccountRegion,
  accountRegionKey,
  entryIdPart,
  type JobRef,
  jobRefKey,
  parseJobRefKey,
} from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import { type RuleBook, stampOf } from '../rules/applied.js';
import type { DecisionService } from './decide.js';
import type { DecisionStore } from './decision-store.js';
import type { JobRecord, JobRecords, Settled } from './job-records.js';
import type { LeaderLease } from './leader.js';
import { type EngineEvents, SYSTEM_ACTOR } from './ports.js';
import type { Reconciler } from './reconciler.js';

export interface WatcherOptions {
  clients: CosClientSet;
  records: JobRecords;
  /** Each job's rule says when to remind and when to cancel it unapproved. */
  rules: RuleBook;
  decisions: DecisionService;
  store: DecisionStore;
  reconciler: Reconciler;
  audit: AuditTrail;
  events: EngineEvents;
  lease: LeaderLease;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  /** Counter-only progress is reported at most this often per job; status changes always are. */
  progressIntervalMs?: number;
  /** Intents younger than this may still be in flight elsewhere; the reconciler leaves them. */
  reconcileGraceMs?: number;
  random?: () => number;
}

export interface RegionPollReport {
  account: string;
  region: string;
  skipped?: 'backoff';
  error?: string;
  announced: string[];
  badJobs: string[];
}

export interface PollReport {
  leader: boolean;
  regions: RegionPollReport[];
  tracked: number;
}

interface RegionHealth {
  failures: number;
  nextAttemptAt: number;
}

/** A followed job that needs nothing before `until` (a clock time) while its record's fields stay the same. */
interface QuietJob {
  fingerprint: string;
  until: number;
}

/** follow() found nothing to do at any time, as long as its inputs stay the same. */
const QUIET_FOREVER = Number.POSITIVE_INFINITY;
/** follow() acted, or could act at any moment: it is asked again next poll. */
const NOT_QUIET = 0;

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Every poll's start and end (Date.now()), whether this replica led it, and how many jobs it followed,
 * published on the diagnostics channel `cosjob:poll` for whoever subscribes in the process (the bench's
 * probe measures a poll's own CPU with it). A poll that throws publishes nothing.
 */
export const POLL_CHANNEL = 'cosjob:poll';
const pollChannel = diagnostics_channel.channel(POLL_CHANNEL);

export interface PollTiming {
  startedAt: number;
  endedAt: number;
  leader: boolean;
  tracked: number;
}

/**
 * ListJobs page size: the API's maximum, so a cycle costs one request per 1,000 waiting jobs. Parsing an
 * unchanged page again is skipped (xml/list-jobs.ts), so a quiet cycle pays for the request only.
 */
const LIST_PAGE_SIZE = 1000;

/**
 * Per-job Redis reads go this many at a time (JobRecords.getMany/existsMany: a pipeline on one node,
 * concurrent commands on Cluster) rather than one round trip after another; small enough that parsing
 * one batch's replies never holds the event loop long. ioredis enableAutoPipelining was tried instead:
 * its callback threw "results[i] is not iterable" under the concurrent decisions of
 * test/approvals/decide.test.ts, so it stays off.
 */
const READ_BATCH = 100;

/**
 * Finds jobs waiting for confirmation and follows the ones cosjob announced to the end. Runs only on the
 * replica holding the leader lease; every step is idempotent (records are created with NX, once-only
 * events are marked with HSETNX), so a brief overlap of two leaders announces nothing twice.
 */
export class JobWatcher {
  /** Back-off per (account, region) pair, by accountRegionKey: one entry per configured pair, so one failing pair never slows the others. */
  private readonly health = new Map<string, RegionHealth>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PollReport> | undefined;
  private wasLeader = false;
  private stopped = true;
  /**
   * The jobs each (account, region) pair listed as Suspended in this poll's listing, by accountRegionKey; a
   * pair is absent when its listing failed or was skipped. Such a job's status is known without DescribeJob.
   */
  private listedWaiting = new Map<string, ReadonlySet<string>>();
  /** The tracked set as this poll began: a listed job in it is known and needs no EXISTS. */
  private trackedAtStart: ReadonlySet<string> = new Set();
  /**
   * Jobs the last poll followed and found quiet, by jobRefKey: nothing to do for them before `until`
   * while their record keeps the same fields (its fingerprint), COS still lists them as waiting, no
   * decision is in flight and no card is being offered again. A quiet poll of 1,000 waiting jobs spent
   * most of its own CPU following each of them again to the same conclusion.
   */
  private quiet = new Map<string, QuietJob>();

  constructor(private readonly o: WatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.o.lease.start();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.o.lease.stop();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce().finally(() => {
        const random = this.o.random ?? Math.random;
        this.schedule(this.o.pollIntervalMs * (0.8 + 0.4 * random()));
      });
      this.running.catch((error) => this.o.logger.error('poll failed', { error }));
    }, delayMs);
    this.timer.unref();
  }

  /** One full pass: discovery in every (account, region) pair, then follow-up of tracked jobs. */
  async pollOnce(): Promise<PollReport> {
    const startedAt = Date.now();
    const report = await this.pollOnceUntimed();
    // Only built when someone listens (a profiler, the bench's probe): free otherwise.
    if (pollChannel.hasSubscribers) {
      pollChannel.publish({ startedAt, endedAt: Date.now(), leader: report.leader, tracked: report.tracked });
    }
    return report;
  }

  private async pollOnceUntimed(): Promise<PollReport> {
    const leader = await this.o.lease.tick();
    if (!leader) {
      this.wasLeader = false;
      return { leader: false, regions: [], tracked: 0 };
    }
    const redeliver = !this.wasLeader;
    this.wasLeader = true;

    await this.o.reconciler.reconcile(this.o.reconcileGraceMs ?? 60_000).catch((error) => {
      this.o.logger.warn('reconciliation pass failed', { error });
    });

    this.listedWaiting = new Map();
    // A member whose record was lost is not re-created this poll: followTracked drops it, and the next
    // poll's discovery finds no record and announces the job again.
    // Only a shortcut: if it cannot be read, every listed job gets its EXISTS as before.
    this.trackedAtStart = new Set(await this.o.records.tracked().catch(() => []));
    const regions = await Promise.all(this.o.clients.targets().map((target) => this.discover(target)));
    const announcedNow = new Set(
      regions.flatMap((r) =>
        r.announced.map((jobId) => jobRefKey({ account: r.account, region: r.region, jobId })),
      ),
    );
    const tracked = await this.followTracked(redeliver, announcedNow);
    return { leader: true, regions, tracked };
  }

  private async discover(target: AccountRegionClient): Promise<RegionPollReport> {
    const { account, region, client } = target;
    const at: AccountRegion = { account, region };
    const pair = accountRegionKey(at);
    const report: RegionPollReport = { account, region, announced: [], badJobs: [] };
    const now = this.o.clock.now();
    const health = this.health.get(pair) ?? { failures: 0, nextAttemptAt: 0 };
    if (health.nextAttemptAt > now) {
      await this.o.events.emit('region_polled', {
        account,
        region,
        result: 'skipped',
        failures: health.failures,
      });
      return { ...report, skipped: 'backoff' };
    }
    let suspended = 0;
    await this.o.events.emit('region_discovery_started', { account, region });
    try {
      const listing = client.listAllJobs({
        status: 'Suspended',
        maxResults: LIST_PAGE_SIZE,
        onBadMember: (bad) => report.badJobs.push(bad.jobId ?? `member #${bad.index} of page ${bad.page}`),
      });
      const listed = new Set<string>();
      // Handled a page at a time: jobs on pages read before a failing one are still announced.
      let batch: JobSummary[] = [];
      for await (const summary of listing) {
        if (summary.status !== 'Suspended') continue;
        suspended += 1;
        listed.add(summary.id);
        batch.push(summary);
        if (batch.length >= LIST_PAGE_SIZE) {
          await this.announceNew(at, client, batch, report);
          batch = [];
        }
      }
      await this.announceNew(at, client, batch, report);
      this.listedWaiting.set(pair, listed);
      this.health.set(pair, { failures: 0, nextAttemptAt: 0 });
      await this.o.events.emit('region_polled', {
        account,
        region,
        result: 'ok',
        failures: 0,
        suspended,
      });
    } catch (error) {
      const failures = health.failures + 1;
      const backoff = Math.min(MAX_BACKOFF_MS, this.o.pollIntervalMs * 2 ** (failures - 1));
      this.health.set(pair, { failures, nextAttemptAt: now + backoff });
      report.error = error instanceof Error ? error.message : String(error);
      this.o.logger.warn('COS region poll failed; backing off', {
        account,
        region,
        failures,
        backoffMs: backoff,
        error,
      });
      await this.o.events.emit('region_polled', { account, region, result: 'error', failures, error });
    }
    return report;
  }

  /** Describes and announces the listed jobs cosjob has no record of; known ones cost one EXISTS each. */
  private async announceNew(
    at: AccountRegion,
    client: CosJobsApi,
    waiting: JobSummary[],
    report: RegionPollReport,
  ): Promise<void> {
    const unknown = waiting.filter((s) => !this.trackedAtStart.has(jobRefKey({ ...at, jobId: s.id })));
    const known: Settled<boolean>[] = [];
    for (let i = 0; i < unknown.length; i += READ_BATCH) {
      const slice = unknown.slice(i, i + READ_BATCH);
      known.push(...(await this.o.records.existsMany(slice.map((s) => ({ ...at, jobId: s.id })))));
    }
    for (const [index, summary] of unknown.entries()) {
      const exists = known[index] as Settled<boolean>;
      let job: Job;
      try {
        if (!exists.ok) throw exists.error;
        if (exists.value) continue;
        job = await client.describeJob(summary.id);
      } catch (error) {
        if (isRegionWide(error)) throw error;
        // One bad job (malformed answer, odd operation) must not block the others.
        report.badJobs.push(summary.id);
        this.o.logger.warn('skipping a job that could not be described', {
          ...at,
          jobId: summary.id,
          error,
        });
        continue;
      }
      if (job.status !== 'Suspended') continue;
      // The rule is chosen as the job is announced, from what DescribeJob says of it.
      const rule = stampOf(this.o.rules.forJob(job, at));
      if (await this.o.records.createIfAbsent(at, job, this.o.clock.now(), rule)) {
        report.announced.push(job.id);
        await this.o.records.markOnce({ ...at, jobId: job.id }, 'announcedAt', this.o.clock.now());
        await this.o.events.emit('job_pending', { ...at, job, redelivery: false });
      }
    }
  }

  /**
   * `redeliver`: this replica just became leader, so cards a previous leader announced but never posted
   * are offered again (jobs announced in this very poll are not).
   */
  private async followTracked(redeliver: boolean, announcedNow: ReadonlySet<string>): Promise<number> {
    const members = await this.o.records.tracked();
    const inFlight = new Set((await this.o.reconciler.pendingIntents()).map(jobRefKey));
    const due: { member: string; client: CosJobsApi; ref: JobRef }[] = [];
    for (const member of members) {
      const { ref } = parseJobRefKey(member);
      if (!ref) continue;
      // The job's own account's client: a job is never asked about with another account's key.
      const client = this.o.clients.get(ref.account, ref.region);
      if (!client) continue;
      const healthy = (this.health.get(accountRegionKey(ref))?.nextAttemptAt ?? 0) <= this.o.clock.now();
      if (!healthy) continue;
      due.push({ member, client, ref });
    }
    const quiet = new Map<string, QuietJob>();
    for (let i = 0; i < due.length; i += READ_BATCH) {
      const slice = due.slice(i, i + READ_BATCH);
      const records = await this.o.records.getMany(slice.map((d) => d.ref));
      for (const [index, { member, client, ref }] of slice.entries()) {
        const record = records[index] as Settled<JobRecord | undefined>;
        try {
          if (!record.ok) throw record.error;
          const decisionInFlight = inFlight.has(member);
          const offerAgain = redeliver && !announcedNow.has(member);
          const fingerprint = record.value && this.o.records.fingerprintOf(record.value);
          // Only a job with nothing that could change its outcome but the clock may be left alone.
          const skippable = fingerprint !== undefined && !decisionInFlight && !offerAgain;
          const known = this.quiet.get(member);
          if (
            skippable &&
            known?.fingerprint === fingerprint &&
            this.o.clock.now() < known.until &&
            this.isListedWaiting(ref, record.value as JobRecord)
          ) {
            quiet.set(member, known);
            continue;
          }
          const until = await this.follow(client, ref, record.value, decisionInFlight, offerAgain);
          if (skippable && until > this.o.clock.now()) quiet.set(member, { fingerprint, until });
        } catch (error) {
          this.o.logger.warn('could not follow a tracked job', { ...ref, error });
        }
      }
    }
    this.quiet = quiet;
    return members.length;
  }

  /**
   * COS listed the job as Suspended in this very poll and cosjob last saw it Suspended too: a waiting job
   * makes no progress, so its stored description is current.
   */
  private isListedWaiting(ref: JobRef, record: JobRecord): boolean {
    return (
      record.lastStatus === 'Suspended' &&
      record.job.status === 'Suspended' &&
      this.listedWaiting.get(accountRegionKey(ref))?.has(ref.jobId) === true
    );
  }

  /**
   * Brings one tracked job up to date. Returns the clock time before which following it again would do
   * nothing, given the same record, the same listing and no decision in flight (NOT_QUIET when it acted,
   * asked COS, or may act at any moment).
   */
  private async follow(
    client: CosJobsApi,
    ref: JobRef,
    record: JobRecord | undefined,
    decisionInFlight: boolean,
    redeliver: boolean,
  ): Promise<number> {
    const { account, region, jobId } = ref;
    if (!record) {
      await this.o.records.untrack(ref);
      return NOT_QUIET;
    }
    // DescribeJob (a round trip and ~1 ms of XML per job per cycle) is only for jobs that left the
    // waiting list.
    const listedWaiting = this.isListedWaiting(ref, record);
    let job: Job;
    try {
      job = listedWaiting ? record.job : await client.describeJob(jobId);
    } catch (error) {
      if (isNoSuchJob(error)) {
        this.o.logger.info('tracked job no longer exists in COS; no longer following it', { ...ref });
        await this.o.records.untrack(ref);
        return NOT_QUIET;
      }
      throw error;
    }
    const now = this.o.clock.now();
    // Only a job known from the listing can be quiet: a described one may have moved since.
    let quietUntil = listedWaiting ? QUIET_FOREVER : NOT_QUIET;

    if (!record.card && job.status === 'Suspended') {
      if (redeliver || record.announcedAt === undefined) quietUntil = NOT_QUIET;
      if (record.announcedAt === undefined) {
        // Recorded by a typed command or the CLI before the watcher saw it: announce it now, once.
        if (await this.o.records.markOnce(ref, 'announcedAt', now)) {
          await this.o.events.emit('job_pending', { account, region, job, redelivery: false });
        }
      } else if (redeliver) {
        await this.o.events.emit('job_pending', {
          account,
          region,
          job,
          redelivery: true,
          ...(record.channel !== undefined ? { channel: record.channel } : {}),
        });
      }
    }

    // The decision is read only for a job that left Suspended: a waiting job costs no extra round trip.
    if (
      record.lastStatus === 'Suspended' &&
      job.status !== 'Suspended' &&
      !decisionInFlight &&
      (await this.o.store.decision(ref)) === undefined &&
      // A decision that started after this poll read the intents holds the job's claim until it is recorded.
      !(await this.o.store.isClaimed(ref))
    ) {
      if (await this.o.records.markOnce(ref, 'changedOutsideAt', now)) {
        await this.o.audit.append({
          entryId: `changed_outside:${entryIdPart(ref)}`,
          actor: SYSTEM_ACTOR,
          action: 'changed_outside',
          account,
          region,
          jobId,
          cosStatus: job.status,
          reason: job.statusUpdateReason ?? 'the job left Suspended without a decision made in cosjob',
          source: 'watcher',
        });
        await this.o.events.emit('job_changed_outside', {
          account,
          region,
          job,
          previousStatus: record.lastStatus,
        });
      }
    }

    quietUntil = Math.min(quietUntil, await this.reportProgress(ref, job, record, now));

    if (isFinished(job.status)) {
      if (await this.o.records.markOnce(ref, 'finishedAt', now)) {
        await this.o.audit.append({
          entryId: `finished:${entryIdPart(ref)}`,
          actor: SYSTEM_ACTOR,
          action: 'finished',
          account,
          region,
          jobId,
          cosStatus: job.status,
          outcome: `${job.progress.succeededTasks} succeeded, ${job.progress.failedTasks} failed of ${job.progress.totalTasks}`,
          source: 'watcher',
        });
        await this.o.events.emit('job_finished', {
          account,
          region,
          job,
          status: job.status,
          progress: job.progress,
          failureReasons: job.failureReasons,
        });
      }
      await this.o.records.untrack(ref);
      return NOT_QUIET;
    }

    if (job.status !== 'Suspended' || decisionInFlight) return NOT_QUIET;
    // A rule change (cosjob restarted with another file) is settled now, not at the next vote, so the
    // card tells people before anyone clicks. Reminders and auto-cancel then follow the new rule.
    const changed = await this.o.decisions.noticeRuleChange(ref, job, record);
    if (changed) {
      quietUntil = NOT_QUIET;
      await this.o.events.emit('job_rule_changed', { ...ref, rule: changed.name });
    }
    return Math.min(quietUntil, await this.remindOrExpire(ref, job, record, now));
  }

  /** Returns when it would next report, given the same job and record (NOT_QUIET: it just did). */
  private async reportProgress(ref: JobRef, job: Job, record: JobRecord, now: number): Promise<number> {
    const { account, region } = ref;
    const statusChanged = job.status !== record.lastStatus;
    const previous = record.lastProgress;
    const countersChanged =
      !previous ||
      previous.succeededTasks !== job.progress.succeededTasks ||
      previous.failedTasks !== job.progress.failedTasks ||
      previous.totalTasks !== job.progress.totalTasks;
    const interval = this.o.progressIntervalMs ?? 5 * 60_000;
    const due = now - (record.lastProgressAt ?? 0) >= interval;
    if (!statusChanged && !(countersChanged && due)) {
      return countersChanged ? (record.lastProgressAt ?? 0) + interval : QUIET_FOREVER;
    }
    await this.o.records.update(ref, {
      lastStatus: job.status,
      lastProgress: JSON.stringify(job.progress),
      lastProgressAt: now,
      job: JSON.stringify(job),
    });
    if (statusChanged) {
      await this.o.audit.append({
        // Deterministic, so two overlapping leaders record the transition once.
        entryId: `status:${entryIdPart(ref)}:${record.lastStatus}:${job.status}`,
        actor: SYSTEM_ACTOR,
        action: 'status_changed',
        account,
        region,
        jobId: job.id,
        cosStatus: job.status,
        outcome: `${record.lastStatus} → ${job.status}`,
        source: 'watcher',
      });
    }
    if (!isFinished(job.status)) {
      await this.o.events.emit('job_progress', { account, region, job, previousStatus: record.lastStatus });
    }
    return NOT_QUIET;
  }

  /** Returns when it would next remind or cancel, given the same job and record (NOT_QUIET: it just tried). */
  private async remindOrExpire(ref: JobRef, job: Job, record: JobRecord, now: number): Promise<number> {
    const { account, region, jobId } = ref;
    // Waiting counts from when COS suspended the job when it says so, else from when cosjob first saw it.
    const suspendedAt = job.suspendedDate ? Date.parse(job.suspendedDate) : Number.NaN;
    const waitingSince = Number.isFinite(suspendedAt)
      ? Math.min(suspendedAt, record.firstSeenAt)
      : record.firstSeenAt;
    const waitingMs = now - waitingSince;
    // The job's own rule says when: a rule of the file may set either, else the environment's apply.
    const { requires } = this.o.rules.forJob(job, { account: record.account, region }).rule;
    const remindAfterMs =
      requires.remindAfterMinutes === undefined ? undefined : requires.remindAfterMinutes * 60_000;
    const autoCancelAfterMs =
      requires.autoCancelAfterHours === undefined ? undefined : requires.autoCancelAfterHours * 3_600_000;
    if (autoCancelAfterMs !== undefined && waitingMs >= autoCancelAfterMs && record.expiredAt === undefined) {
      const hours = Math.round(autoCancelAfterMs / 3_600_000);
      const outcome = await this.o.decisions.decide({
        account,
        region,
        jobId,
        action: 'cancel',
        actor: SYSTEM_ACTOR,
        reason: `expired: not approved within ${hours} h`,
        source: 'watcher',
      });
      if (outcome.kind === 'cancelled' && (await this.o.records.markOnce(ref, 'expiredAt', now))) {
        await this.o.audit.append({
          entryId: `expired:${entryIdPart(ref)}`,
          actor: SYSTEM_ACTOR,
          action: 'expired',
          account,
          region,
          jobId,
          cosStatus: outcome.cosStatus,
          reason: `not approved within ${hours} h`,
          source: 'watcher',
        });
        await this.o.events.emit('job_expired', { account, region, jobId, hours, outcome: outcome.kind });
      } else if (outcome.kind !== 'cancelled') {
        this.o.logger.warn('auto-cancel of an expired job did not go through', {
          account,
          region,
          jobId,
          outcome: outcome.kind,
        });
      }
      return NOT_QUIET;
    }
    const cancelAt =
      autoCancelAfterMs !== undefined && record.expiredAt === undefined
        ? waitingSince + autoCancelAfterMs
        : QUIET_FOREVER;
    if (remindAfterMs === undefined) return cancelAt;
    if (waitingMs < remindAfterMs) return Math.min(cancelAt, waitingSince + remindAfterMs);
    // One reminder per interval, claimed with HSETNX so overlapping leaders remind once; intervals missed
    // while cosjob was down collapse into one reminder.
    const interval = Math.floor(waitingMs / remindAfterMs);
    const nextReminderAt = waitingSince + (interval + 1) * remindAfterMs;
    if (!(await this.o.records.markOnce(ref, `reminded:${interval}`, now))) {
      return Math.min(cancelAt, nextReminderAt);
    }
    await this.o.records.update(ref, { lastRemindedAt: now });
    const waitingMinutes = Math.floor(waitingMs / 60_000);
    await this.o.audit.append({
      entryId: `reminded:${entryIdPart(ref)}:${interval}`,
      actor: SYSTEM_ACTOR,
      action: 'reminded',
      account,
      region,
      jobId,
      reason: `waiting for approval for ${waitingMinutes} min`,
      source: 'watcher',
    });
    await this.o.events.emit('job_reminder', { account, region, jobId, waitingMinutes });
    return NOT_QUIET;
  }

  /** For tests and operators: the back-off state of one (account, region) pair. */
  regionHealth(at: AccountRegion): RegionHealth | undefined {
    return this.health.get(accountRegionKey(at));
  }
}
