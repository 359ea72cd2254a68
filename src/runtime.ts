/**
 * The composition root: builds every part from the configuration in one place, so `npm start`, the demo
 * and the end-to-end tests run the same wiring.
 */
import { ApprovalEngine } from './approvals/engine.js';
import { RedisAuditTrail } from './audit/trail.js';
import { type Clock, systemClock } from './clock.js';
import type { AppConfig } from './config/index.js';
import { type CosClientOverrides, closeCosClients, createCosClients } from './cos/client.js';
import { type Logger, registerSecret } from './logger.js';
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
  /** Start the watcher's timers (off in tests that poll by hand). */
  startWatcher?: boolean;
}

export interface Runtime {
  engine: ApprovalEngine;
  slack: RunningSlackApp;
  redis: RedisClient;
  audit: RedisAuditTrail;
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

  const redis = createRedis(config.redis, { role: 'decision', logger, connectionName: 'cosjob' });
  await waitForReady(redis, 10_000);
  const audit = new RedisAuditTrail(redis, {
    keys: new KeySpace(config.redis.keyPrefix),
    clock,
    logger,
    ...(config.approvals.auditHmacKey ? { hmacKey: config.approvals.auditHmacKey } : {}),
  });
  const clients = createCosClients(config.cos, { clock, logger, ...o.cosOverrides });
  const webClient = createSlackWebClient(config.slack, logger);
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
  const slack = await startSlackApp({
    slack: config.slack,
    regions: config.cos.regions,
    approverUserIds: config.approvals.approverUserIds,
    approverUsergroupIds: config.approvals.approverUsergroupIds,
    requireCancelReason: config.approvals.requireCancelReason,
    engine,
    webClient,
    logger,
    ...o.slack,
  });
  if (o.startWatcher !== false) await engine.start();

  return {
    engine,
    slack,
    redis,
    audit,
    async stop() {
      await engine.stop();
      // Give queued cards a moment to go out, but never let a Slack outage hang the shutdown.
      await Promise.race([slack.poster.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await slack.stop();
      await closeCosClients(clients);
      await closeRedis(redis);
    },
  };
}
