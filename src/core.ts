/**
 * The composition root of the core: Redis, the key space, the audit trail, the COS clients and the
 * approval engine, built in one place for `npm start`, the CLI, the demo, the benchmarks and the tests.
 * The Slack app is built on top of it (src/runtime.ts).
 */
import { DecisionStore } from './approvals/decision-store.js';
import { ApprovalEngine, type EngineSettings } from './approvals/engine.js';
import { JobRecords } from './approvals/job-records.js';
import type { ApproverDirectory } from './approvals/ports.js';
import { RedisAuditTrail } from './audit/trail.js';
import type { AuditEntry } from './audit/types.js';
import { type Clock, systemClock } from './clock.js';
import {
  type AccountConfig,
  type ApprovalConfig,
  cosConfigOf,
  type RedisConfig,
  type WatcherConfig,
} from './config/index.js';
import {
  type CosClientOverrides,
  type CosJobsClient,
  closeCosClients,
  createCosClients,
} from './cos/client.js';
import { CosClientSet } from './cos/client-set.js';
import type { Logger } from './logger.js';
import {
  closeRedis,
  createRedis,
  type RedisClient,
  type RedisRole,
  waitForReady,
} from './redis/connection.js';
import { KeySpace } from './redis/keys.js';
import type { RuleSet } from './rules/types.js';

export interface AuditStoreOptions {
  logger: Logger;
  clock?: Clock;
  hmacKey?: string;
  /** `decision` fails fast (the bot, CLI decisions); `background` is patient (reading the audit trail). */
  role?: RedisRole;
  connectionName?: string;
  /** How long to wait for Redis before giving up (default 10 s). */
  readyTimeoutMs?: number;
  /** Called once per audit entry newly written (metrics). */
  onAuditAppended?: (entry: AuditEntry) => void;
}

export interface AuditStore {
  redis: RedisClient;
  keys: KeySpace;
  audit: RedisAuditTrail;
  close(): Promise<void>;
}

/** Redis, its key space and the audit trail: all the CLI's audit commands need. */
export async function openAuditStore(config: RedisConfig, o: AuditStoreOptions): Promise<AuditStore> {
  const redis = createRedis(config, {
    role: o.role ?? 'decision',
    logger: o.logger,
    lazy: true,
    connectionName: o.connectionName ?? 'cosjob',
  });
  try {
    await waitForReady(redis, o.readyTimeoutMs ?? 10_000);
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }
  const keys = new KeySpace(config.keyPrefix);
  const audit = new RedisAuditTrail(redis, {
    keys,
    clock: o.clock ?? systemClock,
    logger: o.logger,
    ...(o.onAuditAppended ? { onAppended: o.onAuditAppended } : {}),
    ...(o.hmacKey ? { hmacKey: o.hmacKey } : {}),
  });
  return { redis, keys, audit, close: () => closeRedis(redis) };
}

export interface CoreConfig {
  redis: RedisConfig;
  approvals: ApprovalConfig;
  watcher: WatcherConfig;
  /**
   * The approval rules (`loadConfig(...).accountsAndRules.rules`). Without them every job is under one
   * default rule made of `approvals` and `watcher` (and any engine overrides), as before rules existed.
   */
  rules?: RuleSet;
  /** The accounts to build COS clients for (one per account and region); needed unless `deps.clients` is given. */
  accounts?: readonly AccountConfig[];
  /** COS_ENDPOINT: every account's requests go to this origin. */
  cosEndpoint?: string;
}

export interface CoreDeps extends Omit<AuditStoreOptions, 'hmacKey' | 'role'> {
  cosOverrides?: CosClientOverrides;
  /** COS clients made elsewhere (tests, benchmarks); their owner closes them. */
  clients?: CosClientSet;
  /** Resolves approver user groups (the Slack layer's usergroups.users.list). */
  directory?: ApproverDirectory;
  /** Settings that are not in the environment (tests and the demo run faster clocks). */
  engine?: Partial<EngineSettings>;
  random?: () => number;
}

export interface Core extends AuditStore {
  clients: CosClientSet;
  records: JobRecords;
  store: DecisionStore;
  engine: ApprovalEngine;
}

/** The engine's settings from the configuration (durations in ms), with any overrides on top. */
export function engineSettings(config: CoreConfig, overrides: Partial<EngineSettings> = {}): EngineSettings {
  const { approvals, watcher } = config;
  return {
    approverUserIds: approvals.approverUserIds,
    approverUsergroupIds: approvals.approverUsergroupIds,
    requiredApprovals: approvals.requiredApprovals,
    requireCancelReason: approvals.requireCancelReason,
    pollIntervalMs: watcher.pollIntervalSeconds * 1000,
    ...(config.rules ? { rules: config.rules } : {}),
    ...(approvals.limits
      ? {
          refusalsPerUserPerMinute: approvals.limits.refusalsPerUserPerMinute,
          lookupsPerUserPerMinute: approvals.limits.lookupsPerUserPerMinute,
        }
      : {}),
    ...(watcher.remindAfterMinutes !== undefined
      ? { remindAfterMs: watcher.remindAfterMinutes * 60_000 }
      : {}),
    ...(watcher.autoCancelAfterHours !== undefined
      ? { autoCancelAfterMs: watcher.autoCancelAfterHours * 3_600_000 }
      : {}),
    ...overrides,
  };
}

/**
 * One client per (account, region), each signing with its own account's key. Accounts never share a
 * connection pool: createCosClients pools per account, so one account's traffic is never on another's.
 */
export function createAccountClients(
  accounts: readonly AccountConfig[],
  endpoint: string | undefined,
  overrides: CosClientOverrides,
): { set: CosClientSet; close(): Promise<void> } {
  const made: CosJobsClient[] = [];
  const set = new CosClientSet(
    accounts.flatMap((account) =>
      [...createCosClients(cosConfigOf(account, endpoint), overrides)].map(([region, client]) => {
        made.push(client);
        return { account: account.name, region, client };
      }),
    ),
  );
  return { set, close: () => closeCosClients(made) };
}

export async function buildCore(config: CoreConfig, deps: CoreDeps): Promise<Core> {
  const clock = deps.clock ?? systemClock;
  const { logger } = deps;
  if (deps.clients === undefined && config.accounts === undefined) {
    throw new Error('buildCore needs config.accounts or deps.clients');
  }
  const owned =
    deps.clients === undefined && config.accounts !== undefined
      ? createAccountClients(config.accounts, config.cosEndpoint, { clock, logger, ...deps.cosOverrides })
      : undefined;
  const clients: CosClientSet = deps.clients ?? owned?.set ?? new CosClientSet([]);
  let stored: AuditStore;
  try {
    stored = await openAuditStore(config.redis, {
      ...deps,
      clock,
      role: 'decision',
      ...(config.approvals.auditHmacKey ? { hmacKey: config.approvals.auditHmacKey } : {}),
    });
  } catch (error) {
    await owned?.close();
    throw error;
  }
  const records = new JobRecords(stored.redis, stored.keys);
  const store = new DecisionStore(stored.redis, stored.keys);
  const engine = new ApprovalEngine(
    {
      redis: stored.redis,
      keys: stored.keys,
      audit: stored.audit,
      records,
      store,
      clients,
      ...(deps.directory ? { directory: deps.directory } : {}),
      clock,
      logger,
      ...(deps.random ? { random: deps.random } : {}),
    },
    engineSettings(config, deps.engine),
  );
  return {
    ...stored,
    clients,
    records,
    store,
    engine,
    async close() {
      await engine.stop();
      await owned?.close();
      await stored.close();
    },
  };
}
