import type { AuditActor, AuditEntry, AuditTrail, NewestEntries, VerifyResult } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { CosClientSet } from '../cos/client-set.js';
import { isNoSuchJob } from '../cos/errors.js';
import type { Job, JobSummary, ListAllJobsOptions } from '../cos/model.js';
import { type AccountRegion, accountRegionKey, entryIdPart, type JobRef } from '../jobs/job-ref.js';
import type { Logger } from '../logger.js';
import type { KeySpace } from '../redis/keys.js';
import { type AppliedRule, RuleBook } from '../rules/applied.js';
import { defaultRule } from '../rules/default-rule.js';
import type { Rule, RuleSet } from '../rules/types.js';
import { type DecideHooks, DecisionService } from './decide.js';
import type { DecisionOutcome, DecisionRequest, StoredDecision } from './decision.js';
import type { DecisionStore } from './decision-store.js';
import type { DigestMessage, JobRecord, JobRecords } from './job-records.js';
import { LeaderLease } from './leader.js';
import { ApprovalPolicy } from './policy.js';
import { type ApproverDirectory, EngineEvents, type RedisClient, SYSTEM_ACTOR } from './ports.js';
import { DEFAULT_USER_LIMITS, RATE_WINDOW_MS, UserRateLimiter } from './rate-limits.js';
import { Reconciler } from './reconciler.js';
import { readWaitingJobs, type WaitingJobs } from './waiting-jobs.js';
import { JobWatcher } from './watcher.js';

/** Every setting of the engine, in one typed object (built from the configuration by buildCore). */
export interface EngineSettings {
  /**
   * The approval rules (COSJOB_CONFIG). Without them, every job is under one default rule made of the
   * approver, approval, reason, reminder and auto-cancel settings below, as before rules existed; with
   * them, those settings are not used (the rule set's default rule was made of the same environment).
   */
  rules?: RuleSet;
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  requiredApprovals: number;
  requireCancelReason: boolean;
  pollIntervalMs: number;
  remindAfterMs?: number;
  autoCancelAfterMs?: number;
  /** Counter-only progress is reported at most this often per job. */
  progressIntervalMs?: number;
  leaseTtlMs?: number;
  /** Intents younger than this may still be in flight elsewhere; the reconciler leaves them. */
  reconcileGraceMs?: number;
  /** How long a claim protects an act in flight (default 2 minutes). */
  claimTtlMs?: number;
  instanceId?: string;
  /** Refused attempts per person and minute audited one by one; the rest are counted (default 10). */
  refusalsPerUserPerMinute?: number;
  /** COS look-ups per person and minute on their behalf, e.g. `/cosjob status` (default 20). */
  lookupsPerUserPerMinute?: number;
}

/** The parts the engine works with; buildCore makes them. */
export interface EngineDeps {
  redis: RedisClient;
  keys: KeySpace;
  audit: AuditTrail;
  records: JobRecords;
  store: DecisionStore;
  /** One client per (account, region) pair. */
  clients: CosClientSet;
  directory?: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

/** What a job's card is rendered from. */
export interface CardState {
  record: JobRecord;
  decision: StoredDecision | undefined;
  voterIds: string[];
  /** The approvals the job's rule asks for. */
  requiredApprovals: number;
  /** The rule the job falls under now (the next vote or decision applies it). */
  rule: AppliedRule;
}

/** The default rule of an engine given no rule set: its own settings, durations in (fractional) minutes. */
export function defaultRuleOfSettings(settings: EngineSettings): Rule {
  return defaultRule(settings, {
    ...(settings.remindAfterMs === undefined ? {} : { remindAfterMinutes: settings.remindAfterMs / 60_000 }),
    ...(settings.autoCancelAfterMs === undefined
      ? {}
      : { autoCancelAfterHours: settings.autoCancelAfterMs / 3_600_000 }),
  });
}

/**
 * Which configured (account, region) a JobId is in, as far as cosjob's records (and, when asked, COS)
 * know. A JobId is only unique within one account and region, so it may be found in several.
 */
export type JobLocation =
  | { kind: 'found'; ref: JobRef }
  | { kind: 'not_tracked' }
  | { kind: 'not_found' }
  | { kind: 'several'; places: AccountRegion[] }
  | { kind: 'unreachable'; place: AccountRegion; error: unknown }
  | { kind: 'unknown_account'; accounts: string[] };

/** The approval engine: use cases, queries and events, with no Slack or HTTP in sight. */
export class ApprovalEngine {
  readonly events: EngineEvents;
  /** Driven by its own timers after start(); tests and the demo poll by hand. */
  readonly watcher: JobWatcher;
  readonly reconciler: Reconciler;
  private readonly decisions: DecisionService;
  private readonly lease: LeaderLease;
  private readonly policy: ApprovalPolicy;
  /** The rules every job is judged by. */
  readonly rules: RuleBook;
  private readonly limiter: UserRateLimiter;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly d: EngineDeps,
    settings: EngineSettings,
  ) {
    const { audit, records, store, clients, clock, logger } = d;
    this.events = new EngineEvents(logger);
    this.limiter = new UserRateLimiter({
      redis: d.redis,
      keys: d.keys,
      audit,
      clock,
      logger,
      limits: {
        refusalsPerUserPerMinute:
          settings.refusalsPerUserPerMinute ?? DEFAULT_USER_LIMITS.refusalsPerUserPerMinute,
        lookupsPerUserPerMinute:
          settings.lookupsPerUserPerMinute ?? DEFAULT_USER_LIMITS.lookupsPerUserPerMinute,
      },
    });
    this.rules = new RuleBook(settings.rules ?? { rules: [], defaultRule: defaultRuleOfSettings(settings) });
    const policy = new ApprovalPolicy({
      ...(d.directory ? { directory: d.directory } : {}),
      clock,
      logger,
    });
    this.policy = policy;
    this.decisions = new DecisionService({
      store,
      records,
      audit,
      policy,
      rules: this.rules,
      clients,
      events: this.events,
      clock,
      logger,
      settings: {
        claimTtlMs: settings.claimTtlMs ?? 120_000,
      },
      refusals: this.limiter,
    });
    this.reconciler = new Reconciler({ store, audit, clients, clock, logger, events: this.events });
    this.lease = new LeaderLease({
      redis: d.redis,
      key: d.keys.leader('watcher'),
      ttlMs: settings.leaseTtlMs ?? 15_000,
      logger,
      ...(settings.instanceId ? { instanceId: settings.instanceId } : {}),
    });
    this.watcher = new JobWatcher({
      clients,
      records,
      rules: this.rules,
      decisions: this.decisions,
      store,
      reconciler: this.reconciler,
      audit,
      events: this.events,
      lease: this.lease,
      clock,
      logger,
      pollIntervalMs: settings.pollIntervalMs,
      ...(settings.progressIntervalMs !== undefined
        ? { progressIntervalMs: settings.progressIntervalMs }
        : {}),
      ...(settings.reconcileGraceMs !== undefined ? { reconcileGraceMs: settings.reconcileGraceMs } : {}),
      ...(d.random ? { random: d.random } : {}),
    });
  }

  decide(request: DecisionRequest, hooks?: DecideHooks): Promise<DecisionOutcome> {
    return this.decisions.decide(request, hooks);
  }

  /**
   * Whether the person may approve or cancel `job` by the policy decide() applies: its rule's approvers,
   * the rule chosen from cosjob's record of the job (no COS call). For a job cosjob has no record of, and
   * where no job is known (the Home tab's buttons as a whole), whether any rule accepts them. Callers check
   * it before anything costly (a COS look-up) is done for someone who may not act.
   */
  async mayAct(userId: string, job?: JobRef): Promise<boolean> {
    if (userId === SYSTEM_ACTOR.id) return false;
    const record = job ? await this.d.records.get(job) : undefined;
    if (record) return this.mayActOnRecord(userId, record);
    return (await this.policy.checkAny(userId, this.rules.everyApprovers())).allowed;
  }

  /** mayAct for a job whose record the caller has read already (a list of jobs). */
  async mayActOnRecord(userId: string, record: JobRecord): Promise<boolean> {
    if (userId === SYSTEM_ACTOR.id) return false;
    return (await this.policy.check(userId, this.ruleOf(record).rule.requires.approvers)).allowed;
  }

  /** The rule a job cosjob has a record of falls under now (no COS call); undefined without a record. */
  async ruleForJob(ref: JobRef): Promise<AppliedRule | undefined> {
    const record = await this.d.records.get(ref);
    return record ? this.ruleOf(record) : undefined;
  }

  /** The rule a recorded job falls under now, from cosjob's description of it. */
  private ruleOf(record: JobRecord): AppliedRule {
    return this.rules.forJob(record.job, { region: record.region, account: record.account });
  }

  /** Whether cosjob may ask COS on this person's behalf once more this minute (per-user limit). */
  admitLookup(userId: string): Promise<boolean> {
    return this.limiter.admitLookup(userId);
  }

  /** Audits the refusals counted over the per-user limit in closed windows, one entry per user and window. */
  flushRefusalCounts(): Promise<number> {
    return this.limiter.flush();
  }

  /**
   * Audits a gesture refused before it could become a decision request (a dialog cosjob did not open, a
   * request from another workspace), as `denied`. Throws when the audit refuses or Redis is down.
   */
  async recordRefusal(refusal: {
    account: string;
    region: string;
    jobId: string;
    actor: AuditActor;
    reason: string;
    source: string;
  }): Promise<AuditEntry> {
    return this.d.audit.append({ ...refusal, action: 'denied', outcome: 'refused' });
  }

  /** Whether this replica holds the watcher lease (it polls, posts cards and tells the channel). */
  get isLeader(): boolean {
    return this.lease.isLeader;
  }

  /** This replica's name in the lease and in readiness records. */
  get instanceId(): string {
    return this.lease.instanceId;
  }

  /** The accounts cosjob watches, in configuration order. */
  get accounts(): string[] {
    return this.d.clients.accounts();
  }

  /** The regions cosjob watches for one account. */
  regionsOf(account: string): string[] {
    return this.d.clients.regionsOf(account);
  }

  /** Every (account, region) pair cosjob watches. */
  get targets(): AccountRegion[] {
    return this.d.clients.targets().map(({ account, region }) => ({ account, region }));
  }

  jobRecord(ref: JobRef): Promise<JobRecord | undefined> {
    return this.d.records.get(ref);
  }

  /** Everything a card shows, or undefined for a job cosjob has no record of. */
  async cardState(ref: JobRef): Promise<CardState | undefined> {
    const record = await this.d.records.get(ref);
    if (!record) return undefined;
    const [decision, voterIds] = await Promise.all([this.d.store.decision(ref), this.d.store.votes(ref)]);
    return this.cardStateOf(record, decision, voterIds);
  }

  /**
   * cardState for many jobs (a digest's rows) in two batched reads instead of three per job; undefined
   * where cosjob has no record. A read that fails fails the whole call, as cardState would.
   */
  async cardStates(refs: readonly JobRef[]): Promise<Array<CardState | undefined>> {
    const [records, facts] = await Promise.all([
      this.d.records.getMany(refs),
      this.d.store.decisionsAndVotes(refs),
    ]);
    return records.map((read, index) => {
      if (!read.ok) throw read.error;
      const fact = facts[index];
      return read.value && fact ? this.cardStateOf(read.value, fact.decision, fact.voterIds) : undefined;
    });
  }

  private cardStateOf(
    record: JobRecord,
    decision: StoredDecision | undefined,
    voterIds: string[],
  ): CardState {
    const rule = this.ruleOf(record);
    return { record, decision, voterIds, requiredApprovals: rule.rule.requires.approvals, rule };
  }

  /**
   * The jobs cosjob follows that still wait for a decision, oldest first, from its records (no COS call),
   * reading at most `maxRead` of the followed jobs.
   */
  waitingJobs(maxRead = 500): Promise<WaitingJobs> {
    return readWaitingJobs(
      {
        records: this.d.records,
        store: this.d.store,
        targets: new Set(this.targets.map(accountRegionKey)),
        requiredApprovals: (record) => this.ruleOf(record).rule.requires.approvals,
        logger: this.d.logger,
      },
      maxRead,
    );
  }

  /**
   * The newest decisions (approved and cancelled entries of the audit trail), newest first, reading at
   * most `scanLimit` of the newest entries so a trail full of refusals cannot make it slow.
   */
  recentDecisions(limit = 10, scanLimit = 2_000): Promise<NewestEntries> {
    return this.d.audit.newest({ actions: ['approved', 'cancelled'], limit, scanLimit });
  }

  /** Claims the right to post the job's card (another replica may be posting it). */
  claimCardPosting(ref: JobRef, ttlMs: number): Promise<boolean> {
    return this.d.records.claimCardPosting(ref, this.lease.instanceId, ttlMs);
  }

  /** Called by whoever posted a burst digest: each job it lists remembers it, so a decision re-renders it. */
  async digestPosted(digest: DigestMessage): Promise<void> {
    await this.d.records.setDigest(digest.jobs, digest);
  }

  /**
   * Remembers where the job's card goes, chosen when it was announced, so its replies and a redelivered
   * card go there even after a restart or a configuration change. The first choice stands.
   */
  rememberCardChannel(ref: JobRef, channel: string): Promise<boolean> {
    return this.d.records.rememberChannel(ref, channel);
  }

  /** Called by whoever posted the card, so follow-ups go to the same message and thread. */
  async cardPosted(ref: JobRef, channel: string, ts: string): Promise<void> {
    await this.d.records.setCard(ref, channel, ts);
    await this.d.audit.append({
      entryId: `posted:${entryIdPart(ref)}`,
      actor: SYSTEM_ACTOR,
      action: 'posted',
      ...ref,
      outcome: `card ${channel}/${ts}`,
      source: 'watcher',
    });
  }

  /** The job's audit trail and whether its chain verifies. */
  async auditTrail(ref: JobRef): Promise<{ entries: AuditEntry[]; verify: VerifyResult }> {
    const [entries, verify] = await Promise.all([
      this.d.audit.history(ref),
      this.d.audit.verify({ kind: 'job', ...ref }),
    ]);
    return { entries, verify };
  }

  /** Jobs in a configured (account, region) as COS lists them (undefined for a pair cosjob does not watch). */
  listJobs(at: AccountRegion, options: ListAllJobsOptions = {}): AsyncIterable<JobSummary> | undefined {
    return this.d.clients.get(at.account, at.region)?.listAllJobs(options);
  }

  /** The job as COS describes it now, asked with its own account's key. */
  describeJob(ref: JobRef): Promise<Job> {
    const client = this.d.clients.get(ref.account, ref.region);
    if (!client) {
      return Promise.reject(new Error(`account ${ref.account}, region ${ref.region} is not configured`));
    }
    return client.describeJob(ref.jobId);
  }

  /**
   * Which (account, region) a JobId lives in, among the pairs of `account` when given (else of every
   * account): the only pair configured, the one cosjob already tracks it in, or (when `askCos`) the one
   * COS knows it in.
   */
  async locateJob(jobId: string, askCos: boolean, account?: string): Promise<JobLocation> {
    if (account !== undefined && !this.d.clients.hasAccount(account)) {
      return { kind: 'unknown_account', accounts: this.accounts };
    }
    const places = this.targets.filter((t) => account === undefined || t.account === account);
    const found = (place: AccountRegion): JobLocation => ({ kind: 'found', ref: { ...place, jobId } });
    if (places.length === 1) return found(places[0]!);
    const known: AccountRegion[] = [];
    for (const place of places) if (await this.d.records.exists({ ...place, jobId })) known.push(place);
    if (known.length === 1) return found(known[0]!);
    if (known.length > 1) return { kind: 'several', places: known };
    if (!askCos) return { kind: 'not_tracked' };
    const lookups = await Promise.all(
      places.map(async (place) => {
        try {
          await this.describeJob({ ...place, jobId });
          return { place, found: true as const };
        } catch (error) {
          return { place, found: false as const, error };
        }
      }),
    );
    const there = lookups.filter((l) => l.found).map((l) => l.place);
    if (there.length === 1) return found(there[0]!);
    if (there.length > 1) return { kind: 'several', places: there };
    // Only NoSuchJob means "not there"; any other failure must not be reported as a missing job.
    const failed = lookups.find((l) => !l.found && !isNoSuchJob(l.error));
    if (failed && !failed.found) return { kind: 'unreachable', place: failed.place, error: failed.error };
    return { kind: 'not_found' };
  }

  /**
   * Start-up: settle what a crash left behind, then watch. Intents younger than the grace period may
   * belong to another replica's decision in flight, so they wait for a later pass.
   */
  async start(): Promise<void> {
    await this.reconciler
      .reconcile(0)
      .catch((error) => this.d.logger.warn('start-up reconciliation failed', { error }));
    this.watcher.start();
    this.flushTimer = setInterval(() => {
      this.flushRefusalCounts().catch((error) =>
        this.d.logger.warn('could not audit the counted refusals', { error }),
      );
    }, RATE_WINDOW_MS);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    await this.watcher.stop();
  }
}
