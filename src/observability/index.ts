/**
 * Observability in two steps, so the composition root stays a few lines: `createObservability` before
 * the parts are built (it hands out the observers they take), `startObservability` once they exist.
 */
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { AuditEntry } from '../audit/types.js';
import type { Clock } from '../clock.js';
import type { AppConfig } from '../config/index.js';
import type { CosAttempt } from '../cos/client.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/connection.js';
import { observeEngine } from './engine-observer.js';
import { type HealthHandler, healthHandler, healthRoutes } from './health-server.js';
import { CosjobMetrics } from './metrics.js';
import { ChannelNotices } from './notices.js';
import { Readiness } from './readiness.js';
import { observedSlackFetch, recordAuditEntry, recordCosAttempt } from './recorders.js';
import { RedisLossNotifier } from './redis-notices.js';
import { RegionHealthStore } from './region-health.js';

export { type RunningHealthServer, startHealthServer } from './health-server.js';
export { COSJOB_METRIC_NAMES, CosjobMetrics } from './metrics.js';
export { HEALTH_PATHS } from './paths.js';
export {
  type RegionHealthRecord,
  RegionHealthStore,
  type RegionPollVerdict,
  regionPollVerdict,
} from './region-health.js';

export interface ObservabilityHooks {
  metrics: CosjobMetrics;
  onCosAttempt: (attempt: CosAttempt) => void;
  onAuditAppended: (entry: AuditEntry) => void;
  slackClientOptions: WebClientOptions;
}

export function createObservability(logger: Logger, metrics = new CosjobMetrics()): ObservabilityHooks {
  return {
    metrics,
    onCosAttempt: recordCosAttempt(metrics),
    onAuditAppended: recordAuditEntry(metrics, logger),
    slackClientOptions: { fetch: observedSlackFetch(metrics) },
  };
}

export interface ObservedParts {
  config: AppConfig;
  engine: ApprovalEngine;
  redis: RedisClient;
  webClient: WebClient;
  clock: Clock;
  logger: Logger;
  /** How often Redis is checked for the loss notice. Default 5000 ms. */
  redisCheckMs?: number;
}

export interface RunningObservability {
  metrics: CosjobMetrics;
  readiness: Readiness;
  /** Each region's poll health as the leader records it in Redis (readiness and the Home tab read it). */
  regionHealth: RegionHealthStore;
  handler: HealthHandler;
  routes: ReturnType<typeof healthRoutes>;
  stop(): Promise<void>;
}

export function startObservability(hooks: ObservabilityHooks, parts: ObservedParts): RunningObservability {
  const { config, engine, logger, clock } = parts;
  const regionHealth = new RegionHealthStore(parts.redis, config.redis.keyPrefix);
  const notices = new ChannelNotices({ client: parts.webClient, channel: config.slack.channelId, logger });
  const unobserve = observeEngine({ engine, metrics: hooks.metrics, logger, clock, regionHealth, notices });
  const readiness = new Readiness({
    redis: parts.redis,
    webClient: parts.webClient,
    regionHealth,
    targets: engine.targets,
    pollIntervalMs: config.watcher.pollIntervalSeconds * 1000,
    keyPrefix: config.redis.keyPrefix,
    instanceId: engine.instanceId,
    clock,
    logger,
  });
  const redisNotices = new RedisLossNotifier(notices, () => engine.isLeader);
  readiness.onRedisChecked = (ok, reason) => redisNotices.update(ok, reason);
  const timer = setInterval(() => void readiness.checkRedis(), parts.redisCheckMs ?? 5_000);
  timer.unref();
  const handler = healthHandler({ readiness, metrics: hooks.metrics, logger });
  return {
    metrics: hooks.metrics,
    readiness,
    regionHealth,
    handler,
    routes: healthRoutes(handler),
    async stop() {
      clearInterval(timer);
      unobserve();
      await redisNotices.idle();
    },
  };
}
