/** `npm start`: the real bot, configured from the environment (and `.env` when there is one). */
import { existsSync } from 'node:fs';
import { ConfigError, environmentSource, type LoadedConfig, loadConfig } from './config/index.js';
import { createProcessLogger, flushLogs } from './logger.js';
import { createObservability } from './observability/index.js';
import { runStartupChecks } from './ops/startup-checks.js';
import { startRuntime } from './runtime.js';
import { settingsWarnings } from './slack/configuration-warnings.js';

// process.loadEnvFile never overwrites a variable that is already set, so the environment wins over .env.
if (existsSync('.env')) process.loadEnvFile('.env');

let loaded: LoadedConfig;
try {
  loaded = loadConfig(environmentSource(process.env));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n\nSee README.md, section "Settings".\n`);
  process.exit(2);
}
const logger = await createProcessLogger({ level: loaded.logging.level, format: loaded.logging.format });
for (const warning of loaded.warnings) logger.warn(`configuration: ${warning}`);

async function main(): Promise<void> {
  const config = loaded.app;
  // One registry for the whole process: the start-up checks' requests are counted like any others.
  const observability = createObservability(logger);
  const { fatal, warnings } = await runStartupChecks(process.env, logger, {
    onCosAttempt: observability.onCosAttempt,
    slackClientOptions: observability.slackClientOptions,
  });
  if (fatal.length > 0) {
    logger.error('cosjob will not start: fix the failed checks above', { checks: fatal.map((c) => c.name) });
    flushLogs();
    process.exit(2);
  }
  const runtime = await startRuntime({
    config,
    rules: loaded.accountsAndRules.rules,
    logger,
    observability,
    configurationWarnings: [...settingsWarnings(loaded.warnings), ...warnings],
  });
  logger.info('cosjob is running', {
    mode: config.slack.appToken ? 'socket' : `http :${runtime.slack.port}`,
    accounts: config.accounts.map((account) => `${account.name}: ${account.regions.join(', ')}`),
    channel: config.slack.channelId,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await runtime.stop().catch((error) => logger.error('error while stopping', { error }));
    flushLogs();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
main().catch((error) => {
  logger.error('cosjob failed to start', { error });
  flushLogs();
  process.exit(1);
});
