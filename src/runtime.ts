/**
 * The bot: the core (src/core.ts) with the Slack app and the probes on top, so `npm start`, the demo and
 * the end-to-end tests run the same wiring.
 */
import type { ApprovalEngine, EngineSettings } from './approvals/engine.js';
import type { RedisAuditTrail } from './audit/trail.js';
import { type RunningCheckpoints, startCheckpointing } from './checkpointing.js';
import { type Clock, systemClock } from './clock.js';
import type { AppConfig } from './config/index.js';
import { buildCore } from './core.js';
import type { CosClientOverrides } from './cos/client.js';
import { type Logger, registerSecret } from './logger.js';
import {
  createObservability,
  type ObservabilityHooks,
  type RunningHealthServer,
  type RunningObservability,
  startHealthServer,
  startObservability,
} from './observability/index.js';
import type { RedisClient } from './redis/connection.js';
import type { RuleSet } from './rules/types.js';
import { createSlackWebClient, type RunningSlackApp, startSlackApp } from './slack/app.js';
import { type ConfigurationWarning, tellConfigurationWarningsOnce } from './slack/configuration-warnings.js';
import { CancelDialogs } from './slack/dialogs.js';
import { SlackApproverDirectory } from './slack/directory.js';
import { jobRefOfPayload } from './slack/job-ref.js';
import type { ForeignRequest } from './slack/request-guard.js';

export interface RuntimeOptions {
  config: AppConfig;
  /** The approval rules (COSJOB_CONFIG); without them the environment's settings are the one default rule. */
  rules?: RuleSet;
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
      'leaseTtlMs' | 'claimTtlMs' | 'progressIntervalMs' | 'reconcileGraceMs' | 'instanceId' | 'remindAfterMs'
    >
  >;
  /** The process's metrics and observers, when something ran before the runtime (npm start's checks). */
  observability?: ObservabilityHooks;
  /** Unwise configuration found at start: told once in the approval channel (remembered in Redis). */
  configurationWarnings?: readonly ConfigurationWarning[];
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
  /** Resolves with how many configuration warnings were told in the channel at this start. */
  configurationNotices: Promise<number>;
  /** Socket Mode: the port of the probe server (in HTTP mode the probes share slack.port). */
  healthPort?: number;
  /** Audit checkpoints outside Redis (the leader writes them). */
  checkpoints: RunningCheckpoints;
  stop(): Promise<void>;
}

/**
 * A request from another team, app or enterprise that names a job is audited against that job as denied
 * (what it named is untrusted: an entry the audit refuses is only logged).
 */
function auditForeignRequest(engine: ApprovalEngine, foreign: ForeignRequest, logger: Logger): void {
  const ref = jobRefOfPayload(foreign.body);
  if (!ref) return;
  const userId = foreign.userId ?? 'unknown';
  engine
    .recordRefusal({
      ...ref,
      actor: { id: userId, name: userId },
      reason: `request from another Slack installation (${foreign.field} does not match)`,
      source: 'slack',
    })
    .catch((error: unknown) => logger.warn('could not audit a request from another installation', { error }));
}

export async function startRuntime(o: RuntimeOptions): Promise<Runtime> {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  for (const secret of [
    ...config.accounts.flatMap((account) => [
      account.credentials.secretKey,
      account.credentials.securityToken,
    ]),
    config.slack.botToken,
    config.slack.appToken,
    config.slack.signingSecret,
    config.approvals.auditHmacKey,
  ]) {
    registerSecret(secret);
  }

  const obs = o.observability ?? createObservability(logger);
  const webClient = createSlackWebClient(config.slack, logger, obs.slackClientOptions);
  const core = await buildCore(o.rules ? { ...config, rules: o.rules } : config, {
    logger,
    clock,
    cosOverrides: { onAttempt: obs.onCosAttempt, ...o.cosOverrides },
    onAuditAppended: obs.onAuditAppended,
    directory: new SlackApproverDirectory(webClient),
    ...(o.engine ? { engine: o.engine } : {}),
  });
  const observability = startObservability(obs, {
    config,
    engine: core.engine,
    redis: core.redis,
    webClient,
    clock,
    logger,
  });
  let slack: RunningSlackApp;
  let health: RunningHealthServer | undefined;
  let checkpoints: RunningCheckpoints | undefined;
  try {
    checkpoints = await startCheckpointing({
      config,
      redis: core.redis,
      keys: core.keys,
      engine: core.engine,
      webClient,
      clock,
      logger,
    });
    slack = await startSlackApp({
      slack: config.slack,
      approverUserIds: config.approvals.approverUserIds,
      approverUsergroupIds: config.approvals.approverUsergroupIds,
      requireCancelReason: config.approvals.requireCancelReason,
      engine: core.engine,
      dialogs: new CancelDialogs(core.redis, core.keys),
      onForeignRequest: (foreign) => auditForeignRequest(core.engine, foreign, logger),
      webClient,
      logger,
      clientOptions: obs.slackClientOptions,
      httpRoutes: observability.routes,
      accountChannels: new Map(
        config.accounts.flatMap((account) =>
          account.channel === undefined ? [] : [[account.name, account.channel] as const],
        ),
      ),
      home: {
        regionHealth: observability.regionHealth,
        pollIntervalMs: config.watcher.pollIntervalSeconds * 1000,
        clock,
      },
      ...(config.approvals.limits
        ? { refusalEchoIntervalMs: config.approvals.limits.refusalEchoIntervalSeconds * 1000 }
        : {}),
      ...(config.slack.postIntervalMs === undefined ? {} : { postIntervalMs: config.slack.postIntervalMs }),
      ...o.slack,
    });
    // Socket Mode serves no HTTP of its own, so the probes get their own server on PORT.
    health = config.slack.appToken
      ? await startHealthServer(observability.handler, config.slack.port)
      : undefined;
  } catch (error) {
    await health?.close();
    await checkpoints?.stop();
    await observability.stop();
    await core.close();
    throw error;
  }
  // In the background: a slow or unreachable Slack must not hold up the start (or the signal handlers).
  const configurationNotices =
    o.configurationWarnings && o.configurationWarnings.length > 0
      ? tellConfigurationWarningsOnce({
          redis: core.redis,
          keys: core.keys,
          client: webClient,
          channel: config.slack.channelId,
          logger,
          warnings: o.configurationWarnings,
        }).catch((error) => {
          logger.warn('could not tell the channel about the configuration warnings', { error });
          return 0;
        })
      : Promise.resolve(0);
  if (o.startWatcher !== false) await core.engine.start();

  return {
    engine: core.engine,
    slack,
    redis: core.redis,
    audit: core.audit,
    observability,
    configurationNotices,
    ...(health ? { healthPort: health.port } : {}),
    checkpoints,
    async stop() {
      await checkpoints.stop();
      await core.engine.stop();
      await observability.stop();
      await health?.close();
      // Give queued cards a moment to go out, but never let a Slack outage hang the shutdown.
      await Promise.race([slack.poster.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await slack.stop();
      await core.close();
    },
  };
}
