import type { AuditTrail } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { CosJobsApi } from '../cos/model.js';
import type { Logger } from '../logger.js';
import { KeySpace } from '../redis/keys.js';
import { type DecisionRequest, DecisionService } from './decide.js';
import { JobRecords } from './job-records.js';
import { LeaderLease } from './leader.js';
import { ApprovalPolicy } from './policy.js';
import { type ApproverDirectory, EngineEvents, type RedisClient, SYSTEM_ACTOR } from './ports.js';
import { Reconciler } from './reconciler.js';
import { JobWatcher } from './watcher.js';

export interface EngineOptions {
  redis: RedisClient;
  audit: AuditTrail;
  clients: ReadonlyMap<string, CosJobsApi>;
  keyPrefix: string;
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  directory?: ApproverDirectory;
  requiredApprovals: number;
  requireCancelReason: boolean;
  pollIntervalMs: number;
  remindAfterMs?: number;
  autoCancelAfterMs?: number;
  progressIntervalMs?: number;
  leaseTtlMs?: number;
  reconcileGraceMs?: number;
  claimTtlMs?: number;
  instanceId?: string;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

/** The approval engine: use cases and events, with no Slack or HTTP in sight. */
export class ApprovalEngine {
  readonly events: EngineEvents;
  readonly records: JobRecords;
  readonly decisions: DecisionService;
  readonly reconciler: Reconciler;
  readonly watcher: JobWatcher;
  readonly lease: LeaderLease;
  readonly policy: ApprovalPolicy;
  readonly audit: AuditTrail;
  readonly clients: ReadonlyMap<string, CosJobsApi>;
  readonly requiredApprovals: number;

  constructor(private readonly o: EngineOptions) {
    const keys = new KeySpace(o.keyPrefix);
    this.audit = o.audit;
    this.clients = o.clients;
    this.requiredApprovals = o.requiredApprovals;
    this.events = new EngineEvents(o.logger);
    this.records = new JobRecords(o.redis, keys);
    this.policy = new ApprovalPolicy({
      approverUserIds: o.approverUserIds,
      approverUsergroupIds: o.approverUsergroupIds,
      ...(o.directory ? { directory: o.directory } : {}),
      clock: o.clock,
      logger: o.logger,
    });
    this.decisions = new DecisionService({
      redis: o.redis,
      keys,
      audit: o.audit,
      records: this.records,
      policy: this.policy,
      clients: o.clients,
      events: this.events,
      clock: o.clock,
      logger: o.logger,
      requiredApprovals: o.requiredApprovals,
      requireCancelReason: o.requireCancelReason,
      ...(o.claimTtlMs !== undefined ? { claimTtlMs: o.claimTtlMs } : {}),
    });
    this.reconciler = new Reconciler({
      redis: o.redis,
      keys,
      audit: o.audit,
      clients: o.clients,
      clock: o.clock,
      logger: o.logger,
    });
    this.lease = new LeaderLease({
      redis: o.redis,
      key: keys.leader('watcher'),
      ttlMs: o.leaseTtlMs ?? 15_000,
      logger: o.logger,
      ...(o.instanceId ? { instanceId: o.instanceId } : {}),
    });
    this.watcher = new JobWatcher({
      clients: o.clients,
      records: this.records,
      decisions: this.decisions,
      reconciler: this.reconciler,
      audit: o.audit,
      events: this.events,
      lease: this.lease,
      clock: o.clock,
      logger: o.logger,
      pollIntervalMs: o.pollIntervalMs,
      ...(o.remindAfterMs !== undefined ? { remindAfterMs: o.remindAfterMs } : {}),
      ...(o.autoCancelAfterMs !== undefined ? { autoCancelAfterMs: o.autoCancelAfterMs } : {}),
      ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
      ...(o.reconcileGraceMs !== undefined ? { reconcileGraceMs: o.reconcileGraceMs } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
  }

  decide(request: DecisionRequest) {
    return this.decisions.decide(request);
  }

  /** Called by whoever posted the card, so follow-ups go to the same message and thread. */
  async cardPosted(region: string, jobId: string, channel: string, ts: string): Promise<void> {
    await this.records.setCard(region, jobId, channel, ts);
    await this.audit.append({
      entryId: `posted:${region}:${jobId}`,
      actor: SYSTEM_ACTOR,
      action: 'posted',
      region,
      jobId,
      outcome: `card ${channel}/${ts}`,
      source: 'watcher',
    });
  }

  /**
   * Start-up: settle what a crash left behind, then watch. Intents younger than the grace period may
   * belong to another replica's decision in flight, so they wait for a later pass.
   */
  async start(): Promise<void> {
    await this.reconciler
      .reconcile(0)
      .catch((error) => this.o.logger.warn('start-up reconciliation failed', { error }));
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
  }
}
