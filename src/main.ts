/** `npm start`: the real bot, configured from the environment. */
import { ConfigError, loadAppConfig } from './config.js';
import { createProcessLogger, flushLogs, type LogFormat, type LogLevel } from './logger.js';
import { createObservability } from './observability/index.js';
import { runStartupChecks } from './ops/startup-checks.js';
import { startRuntime } from './runtime.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const requestedLevel = process.env.LOG_LEVEL?.trim().toLowerCase() || 'info';
if (!LOG_LEVELS.includes(requestedLevel as LogLevel)) {
  process.stderr.write(
    `Invalid configuration:\n  - LOG_LEVEL is malformed: expected one of ${LOG_LEVELS.join(', ')}\n`,
  );
  process.exit(2);
}
/** LOG_FORMAT=pretty for people at a terminal; JSON lines otherwise (read here until the config has it). */
function logFormatFromEnv(env: NodeJS.ProcessEnv): LogFormat {
  return env.LOG_FORMAT?.trim().toLowerCase() === 'pretty' ? 'pretty' : 'json';
}
const logger = await createProcessLogger({
  level: requestedLevel as LogLevel,
  format: logFormatFromEnv(process.env),
});

async function main(): Promise<void> {
  let config: ReturnType<typeof loadAppConfig>;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n\nSee README.md, section "Settings".\n`);
      process.exit(2);
    }
    throw error;
  }
  // One registry for the whole process: the start-up checks' requests are counted like any others.
  const observability = createObservability(logger);
  const fatal = await runStartupChecks(process.env, logger, {
    onCosAttempt: observability.onCosAttempt,
    slackClientOptions: observability.slackClientOptions,
  });
  if (fatal.length > 0) {
    logger.error('cosjob will not start: fix the failed checks above', { checks: fatal.map((c) => c.name) });
    flushLogs();
    process.exit(2);
  }
  const runtime = await startRuntime({ config, logger, observability });
  logger.info('cosjob is running', {
    mode: config.slack.appToken ? 'socket' : `http :${runtime.slack.port}`,
    regions: config.cos.regions,
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
