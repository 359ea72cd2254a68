/**
 * The bot: the core (src/core.ts) with the Slack app on top, so `npm start`, the demo and the end-to-end
 * tests run the same wiring.
 */
import type { ApprovalEngine, EngineSettings } from './approvals/engine.js';
import type { RedisAuditTrail } from './audit/trail.js';
import type { Clock } from './clock.js';
import type { AppConfig } from './config/index.js';
import { buildCore } from './core.js';
import type { CosClientOverrides } from './cos/client.js';
import { type Logger, registerSecret } from './logger.js';
import type { RedisClient } from './redis/connection.js';
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
  /** Engine settings the environment does not give (tests and demos need finer clocks). */
  engine?: Partial<
    Pick<
      EngineSettings,
      'leaseTtlMs' | 'progressIntervalMs' | 'reconcileGraceMs' | 'instanceId' | 'remindAfterMs'
    >
  >;
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

  const webClient = createSlackWebClient(config.slack, logger);
  const core = await buildCore(config, {
    logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.cosOverrides ? { cosOverrides: o.cosOverrides } : {}),
    directory: new SlackApproverDirectory(webClient),
    ...(o.engine ? { engine: o.engine } : {}),
  });
  let slack: RunningSlackApp;
  try {
    slack = await startSlackApp({
      slack: config.slack,
      approverUserIds: config.approvals.approverUserIds,
      approverUsergroupIds: config.approvals.approverUsergroupIds,
      requireCancelReason: config.approvals.requireCancelReason,
      engine: core.engine,
      webClient,
      logger,
      ...o.slack,
    });
  } catch (error) {
    await core.close();
    throw error;
  }
  if (o.startWatcher !== false) await core.engine.start();

  return {
    engine: core.engine,
    slack,
    redis: core.redis,
    audit: core.audit,
    async stop() {
      await core.engine.stop();
      // Give queued cards a moment to go out, but never let a Slack outage hang the shutdown.
      await Promise.race([slack.poster.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await slack.stop();
      await core.close();
    },
  };
}
