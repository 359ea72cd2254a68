/**
 * The composition root: builds every part from the configuration in one place, so `npm start`, the demo
 * and the end-to-end tests run the same wiring.
 */
import { ApprovalEngine } from './approvals/engine.js';
import { RedisAuditTrail } from './audit/trail.js';
import { type Clock, systemClock } from './clock.js';
import type { AppConfig } from './config.js';
import { type CosClientOverrides, closeCosClients, createCosClients } from './cos/client.js';
import { type Logger, registerSecret } from './logger.js';
import {
  createObservability,
  type ObservabilityHooks,
  type RunningHealthServer,
  type RunningObservability,
  startHealthServer,
  startObservability,
} from './observability/index.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from './redis/connection.js';
import { KeySpace } from './redis/keys.js';
import { createSlackWebClient, type RunningSlackApp, startSlackApp } from './slack/app.js';
import { SlackApproverDirectory } from './slack/directory.js';

export interface RuntimeOptions {
  config: AppConfig;
  logger: Logger;
  clock?: Clock;
  cosOverrides?: CosClientOverrides;
  /** Test and demo knobs passed to the Slack app. */
  slack?: {
    bot?: { botId: string; botUserId: string };
    processBeforeResponse?: boolean;
    postIntervalMs?: number;
  };
  engine?: {
    leaseTtlMs?: number;
    progressIntervalMs?: number;
    reconcileGraceMs?: number;
    instanceId?: string;
    /** Overrides REMIND_AFTER_MINUTES (tests and demos need less than a minute's granularity). */
    remindAfterMs?: number;
  };
  /** The process's metrics and observers, when something ran before the runtime (npm start's checks). */
  observability?: ObservabilityHooks;
  /** Start the watcher's timers (off in tests that poll by hand). */
  startWatcher?: boolean;
}

export interface Runtime {
  engine: ApprovalEngine;
  slack: RunningSlackApp;
  redis: RedisClient;
  audit: RedisAuditTrail;
  /** Metrics, readiness and the probe handler. */
  observability: RunningObservability;
  /** Socket Mode: the port of the probe server (in HTTP mode the probes share slack.port). */
  healthPort?: number;
  stop(): Promise<void>;
}

export async function startRuntime(o: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  for (const secret of [
    config.cos.secretKey,
    config.cos.securityToken,
    config.slack.botToken,
    config.slack.appToken,
    config.slack.signingSecret,
    config.approvals.auditHmacKey,
  ]) {
    registerSecret(secret);
  }

  const obs = o.observability ?? createObservability(logger);
  const redis = createRedis(config.redis, { role: 'decision', logger, connectionName: 'cosjob' });
  await waitForReady(redis, 10_000);
  const audit = new RedisAuditTrail(redis, {
    keys: new KeySpace(config.redis.keyPrefix),
    clock,
    logger,
    onAppended: obs.onAuditAppended,
    ...(config.approvals.auditHmacKey ? { hmacKey: config.approvals.auditHmacKey } : {}),
  });
  const clients = createCosClients(config.cos, {
    clock,
    logger,
    onAttempt: obs.onCosAttempt,
    ...o.cosOverrides,
  });
  const webClient = createSlackWebClient(config.slack, logger, obs.slackClientOptions);
  const engine = new ApprovalEngine({
    redis,
    audit,
    clients,
    keyPrefix: config.redis.keyPrefix,
    approverUserIds: config.approvals.approverUserIds,
    approverUsergroupIds: config.approvals.approverUsergroupIds,
    directory: new SlackApproverDirectory(webClient),
    requiredApprovals: config.approvals.requiredApprovals,
    requireCancelReason: config.approvals.requireCancelReason,
    pollIntervalMs: config.watcher.pollIntervalSeconds * 1000,
    ...(config.watcher.remindAfterMinutes !== undefined
      ? { remindAfterMs: config.watcher.remindAfterMinutes * 60_000 }
      : {}),
    ...(config.watcher.autoCancelAfterHours !== undefined
      ? { autoCancelAfterMs: config.watcher.autoCancelAfterHours * 3_600_000 }
      : {}),
    clock,
    logger,
    ...o.engine,
  });
  const observability = startObservability(obs, { config, engine, redis, webClient, clock, logger });
  const slack = await startSlackApp({
    slack: config.slack,
    regions: config.cos.regions,
    approverUserIds: config.approvals.approverUserIds,
    approverUsergroupIds: config.approvals.approverUsergroupIds,
    requireCancelReason: config.approvals.requireCancelReason,
    engine,
    webClient,
    logger,
    clientOptions: obs.slackClientOptions,
    httpRoutes: observability.routes,
    ...o.slack,
  });
  // Socket Mode serves no HTTP of its own, so the probes get their own server on PORT.
  const health: RunningHealthServer | undefined = config.slack.appToken
    ? await startHealthServer(observability.handler, config.slack.port)
    : undefined;
  if (o.startWatcher !== false) await engine.start();

  return {
    engine,
    slack,
    redis,
    audit,
    observability,
    ...(health ? { healthPort: health.port } : {}),
    async stop() {
      await engine.stop();
      await observability.stop();
      await health?.close();
      // Give queued cards a moment to go out, but never let a Slack outage hang the shutdown.
      await Promise.race([slack.poster.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await slack.stop();
      await closeCosClients(clients);
      await closeRedis(redis);
    },
  };
}
